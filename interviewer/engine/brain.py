"""The interviewer's voice. The engine decides *what* happens (which question, which
follow-up, whether to hint); a brain decides how to say it.

- `OfflineBrain`: template files (`interviewer/prompts/interview_offline_*.yaml`) and the
  curated follow-ups. Always available, instant.
- `LLMBrain`: a LangChain chat model (`INTERVIEWER_LLM`), prompted with the question's
  reference, key points and the grade; streams its words. Any failure raises, and the engine
  falls back to the offline brain for the rest of the session.

Each method yields text chunks; an offline brain yields one.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from interviewer.engine.followups import FollowUpPlan
from interviewer.engine.state import Usage
from interviewer.errors import ServiceError
from interviewer.grading.base import Grade
from interviewer.knowledge.models import Question
from interviewer.llm.prompts import Prompt, render

MAX_REPLY_CHARS = 1500
_STOP = set("""a an the and or of to in on for with by is are be it its this that as at from
into via not no than then when which while each their there these those using use uses can
you your how what why does do should would will only also more most over under per""".split())


@dataclass(frozen=True)
class Exchange:
    role: str  # interviewer | candidate
    text: str


@dataclass(frozen=True)
class AskContext:
    question: Question
    topic_name: str
    number: int
    total: int
    difficulty: int
    previous_score: float | None = None
    previous_feedback: str | None = None
    history: tuple[Exchange, ...] = ()


@dataclass(frozen=True)
class FollowUpContext:
    question: Question
    answer: str
    grade: Grade
    plan: FollowUpPlan
    history: tuple[Exchange, ...] = ()
    nudge: str = ""  # a sentence pointing at the first probed point (curated hint or template)


@dataclass(frozen=True)
class HintContext:
    question: Question
    number: int
    penalty: float
    point: str  # the key point (or reference sentence) the hint points at
    verbatim: bool = False  # the point is itself a hint (exercises): show it as it is
    nudge: str = ""  # the curated hint for the point, else a natural template sentence
    history: tuple[Exchange, ...] = field(default=())


class WrittenFollowUp(BaseModel):
    """An LLM-written follow-up (structured output): the question and the key points its
    answer is graded on. Without key points it is asked as conversation, not scored."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=5, max_length=MAX_REPLY_CHARS)
    key_points: list[str] = Field(default_factory=list, max_length=4)
    reference: str = ""


class Brain(Protocol):
    name: str

    def ask(self, ctx: AskContext) -> Iterator[str]: ...

    def follow_up(self, ctx: FollowUpContext) -> Iterator[str]: ...

    def hint(self, ctx: HintContext) -> Iterator[str]: ...

    def take_usage(self) -> Usage:
        """Usage since the last call (zero for the offline brain)."""
        ...


def keywords(text: str, n: int = 3) -> list[str]:
    """The most telling words of a key point: code symbols first, then the longest words."""
    words = re.findall(r"[`\w.()\-]+", text)
    clean = [w.strip("`.,()").strip() for w in words]
    code = [w for w in clean if re.search(r"[._(]|[a-z][A-Z]", w) and len(w) > 2]
    plain = sorted({w for w in clean if w.lower() not in _STOP and len(w) > 3 and w not in code},
                   key=lambda w: (-len(w), w))
    return list(dict.fromkeys(code + plain))[:n]


def nudge_sentence(point: str, question: str = "") -> str:
    """A natural hint sentence toward `point` when no curated hint exists: it names the one
    most telling term of the point that the question does not already say, never the point
    itself."""
    said = {w.lower() for w in re.findall(r"[\w.]+", question)}
    term = [w for w in keywords(point, 6) if w.lower().strip("()") not in said][:1]
    if not term:
        return "Think about what happens underneath, step by step, and what could go wrong."
    shown = f"`{term[0]}`" if re.search(r"[._(]|[a-z][A-Z]", term[0]) else f"\"{term[0]}\""
    return f"Think about where {shown} comes into this, and why it matters."


class OfflineBrain:
    name = "offline"

    def ask(self, ctx: AskContext) -> Iterator[str]:
        yield render("interview_offline_ask", question=ctx.question.question,
                     topic=ctx.topic_name, number=ctx.number, total=ctx.total,
                     difficulty=ctx.difficulty, previous_score=ctx.previous_score).user

    def follow_up(self, ctx: FollowUpContext) -> Iterator[str]:
        plan = ctx.plan
        yield render("interview_offline_follow_up", focus=plan.focus, curated=plan.curated,
                     span=plan.span or "", nudge=ctx.nudge, score=ctx.grade.score).user

    def hint(self, ctx: HintContext) -> Iterator[str]:
        yield render("interview_offline_hint", number=ctx.number, penalty=ctx.penalty,
                     nudge=ctx.nudge or nudge_sentence(ctx.point, ctx.question.question),
                     point=ctx.point,
                     verbatim=ctx.verbatim).user

    def take_usage(self) -> Usage:
        return Usage()


class LLMBrain:
    """Words from a chat model. The model is built on first use (no I/O before)."""

    def __init__(self, settings, model=None) -> None:
        self.settings = settings
        self.name = settings.llm
        self._model = model
        # Usage is kept per thread: one brain serves many sessions at once, and a session's
        # turn records and takes its usage on one thread (inside one step of the engine).
        self._local = threading.local()

    @property
    def model(self):
        if self._model is None:
            from interviewer.llm.registry import make_chat_model

            self._model = make_chat_model(self.settings)
        return self._model

    def ask(self, ctx: AskContext) -> Iterator[str]:
        q = ctx.question
        return self._stream("interview_ask", ctx.history, dict(
            question=q.question, reference=q.reference, topic=ctx.topic_name,
            number=ctx.number, total=ctx.total, previous_score=ctx.previous_score,
            previous_feedback=ctx.previous_feedback))

    def follow_up(self, ctx: FollowUpContext) -> Iterator[str]:
        q, g, p = ctx.question, ctx.grade, ctx.plan
        return self._stream("interview_follow_up", ctx.history, dict(
            question=q.question, reference=q.reference, key_points=q.key_points,
            answer=ctx.answer, score=round(g.score, 1), covered=g.covered, missing=g.missing,
            focus=p.focus, points=list(p.points), curated=p.curated,
            misconception=p.misconception or ""))

    def write_follow_up(self, ctx: FollowUpContext) -> WrittenFollowUp:
        """A follow-up of the model's own, with the key points its answer is graded on (one
        JSON reply, not streamed: the key points must never reach the candidate)."""
        q, g, p = ctx.question, ctx.grade, ctx.plan
        prompt = fit_prompt("interview_follow_up_written", ctx.history, dict(
            question=q.question, reference=q.reference, answer=ctx.answer,
            score=round(g.score, 1), points=list(p.points), focus=p.focus, span=p.span or ""),
            self.settings.prompt_token_budget)
        try:
            reply = self.model.invoke(prompt.messages())
        except Exception as e:  # the provider's own error types vary; all mean "no reply"
            raise ServiceError(f"the LLM ({self.name}) failed: {type(e).__name__}: {e}") from e
        text = reply.content if isinstance(reply.content, str) else ""
        self._record(prompt, text, getattr(reply, "usage_metadata", None))
        return parse_written(text)

    def hint(self, ctx: HintContext) -> Iterator[str]:
        q = ctx.question
        return self._stream("interview_hint", (), dict(
            question=q.question, reference=q.reference, point=ctx.point, number=ctx.number))

    def take_usage(self) -> Usage:
        usage = getattr(self._local, "usage", None) or Usage()
        self._local.usage = Usage()
        return usage

    def _stream(self, name: str, history: Sequence[Exchange], variables: dict) -> Iterator[str]:
        prompt = fit_prompt(name, history, variables, self.settings.prompt_token_budget)
        parts: list[str] = []
        meta = None
        try:
            for chunk in self.model.stream(prompt.messages(), **self._stream_kwargs()):
                meta = getattr(chunk, "usage_metadata", None) or meta
                text = chunk.content if isinstance(chunk.content, str) else ""
                if text:
                    parts.append(text)
                    yield text
        except Exception as e:  # the provider's own error types vary; all mean "no reply"
            raise ServiceError(f"the LLM ({self.name}) failed: {type(e).__name__}: {e}") from e
        self._record(prompt, "".join(parts), meta)
        check_reply("".join(parts))

    def _stream_kwargs(self) -> dict:
        # OpenAI-compatible servers report token usage in the stream only when asked.
        return {"stream_usage": True} if hasattr(self.model, "stream_usage") else {}

    def _record(self, prompt: Prompt, reply: str, meta: dict | None) -> None:
        from interviewer.llm import usage as u

        call = u.from_metadata(meta) or u.estimate([prompt.system, prompt.user], reply)
        if getattr(self._local, "usage", None) is None:
            self._local.usage = Usage()
        self._local.usage.add(Usage.priced(call, self.settings))


def check_reply(text: str) -> str:
    """An interviewer reply must be prose of a sensible length."""
    stripped = text.strip()
    if not stripped or len(stripped) > MAX_REPLY_CHARS or stripped[0] in "{[<":
        raise ServiceError(f"the LLM's reply is unusable: {stripped[:80]!r}")
    return stripped


def parse_written(text: str) -> WrittenFollowUp:
    """The model's JSON follow-up; a reply that is only a question (no JSON) is kept as
    conversation (no key points); anything else is a ServiceError."""
    body = re.sub(r"^```(?:json)?\s*|\s*```$", "", text.strip())
    try:
        return WrittenFollowUp.model_validate(json.loads(body))
    except (ValueError, ValidationError):
        pass
    try:
        return WrittenFollowUp(question=check_reply(text))
    except ValidationError as e:
        raise ServiceError(f"the LLM's follow-up is unusable: {text[:80]!r}") from e


def fit_prompt(name: str, history: Sequence[Exchange], variables: dict, budget: int) -> Prompt:
    """Render prompt `name` within `budget` tokens: drop the oldest history first, then cut
    the candidate's answer; the reference and key points are never trimmed."""
    from interviewer.llm.tokens import count_tokens, fit_tokens

    def size(p: Prompt) -> int:
        return count_tokens(p.system) + count_tokens(p.user)

    history = list(history)
    while True:
        prompt = render(name, history=history, **variables)
        over = size(prompt) - budget
        if over <= 0:
            return prompt
        if history:
            history.pop(0)
        elif count_tokens(variables.get("answer", "")) > 16:
            variables = {**variables, "answer": fit_tokens(
                variables["answer"], max(16, count_tokens(variables["answer"]) - over))}
        else:
            return prompt  # only the reference is left: send it whole
