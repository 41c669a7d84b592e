"""The LLM grader: a LangChain chat model judges each key point; the score is derived from
those verdicts, never asked for. Any failure (timeout, HTTP error, output that is still
invalid after one repair attempt, a prompt over the token budget) falls back to the offline
grade, marked ``fallback=True``; the answer is never lost.

Defences against instructions inside the answer: the answer is passed between tags as data
(any copy of the tag inside it is neutralised), the reply must match a strict schema with no
score field, and a "covered" verdict must quote evidence that really is in the answer and
is not one of its instruction-like sentences; otherwise it is downgraded.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from interviewer.grading import text as T
from interviewer.grading.base import Grade, MisconceptionHit, PointVerdict, Span
from interviewer.grading.examples import Example, ExampleBank
from interviewer.grading.feedback import write_feedback
from interviewer.grading.offline import INJECTION_NOTE, OfflineGrader, check_answer
from interviewer.grading.rubric import derive_points
from interviewer.knowledge.models import Question
from interviewer.llm import count_tokens, render

log = logging.getLogger(__name__)
TAG = "candidate_answer"
CREDIT = {"covered": 1.0, "partial": 0.5, "missing": 0.0}
MISCONCEPTION_PENALTY = 1.5  # points off the 0-5 score per misconception asserted


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PointOut(_Strict):
    index: int = Field(ge=1)
    verdict: Literal["covered", "partial", "missing"]
    evidence: str = ""


class MisconceptionOut(_Strict):
    index: int = Field(ge=1)
    evidence: str = ""


class GradeOut(_Strict):
    """The reply we accept from the model; anything else is invalid (and repaired once)."""

    points: list[PointOut]
    misconceptions: list[MisconceptionOut] = Field(default_factory=list)
    injection_detected: bool = False
    feedback: str = Field(default="", max_length=2000)


class LLMFailure(Exception):
    """Internal: the LLM path failed; the grader falls back (never escapes this module)."""


def parse_reply(raw: str, n_points: int, n_misconceptions: int) -> GradeOut:
    """Validate a model reply (a JSON object, optionally inside a ``` fence)."""
    text = raw.strip()
    fence = re.search(r"```(?:json)?\s*(.*?)```", text, re.S)
    if fence:
        text = fence.group(1).strip()
    try:
        out = GradeOut.model_validate(json.loads(text))
    except (json.JSONDecodeError, ValidationError) as e:
        raise ValueError(f"not the required JSON object ({str(e).splitlines()[0]})") from e
    indexes = sorted(p.index for p in out.points)
    if indexes != list(range(1, n_points + 1)):
        raise ValueError(f"expected one verdict for each key point 1..{n_points}")
    if any(m.index > n_misconceptions for m in out.misconceptions):
        raise ValueError(f"misconception index out of range 1..{n_misconceptions}")
    return out


def _neutralise(answer: str) -> str:
    return re.sub(rf"<\s*/?\s*{TAG}\s*>", "[tag removed]", answer, flags=re.I)


def _shown(example: Example) -> dict[str, Any]:
    text = re.sub(r"<\s*/?\s*graded_example[^>]*>", "[tag removed]", example.answer, flags=re.I)
    return {"answer": _neutralise(text), "score": f"{example.score:g}"}


def _find(answer: str, quote: str) -> Span | None:
    quote = quote.strip().strip('"').strip()
    if len(quote) < 3:
        return None
    i = answer.lower().find(quote.lower())
    return Span(i, i + len(quote), answer[i:i + len(quote)]) if i >= 0 else None


class LLMGrader:
    """Grades with a chat model; `fallback` (the offline grader) covers every failure."""

    name = "llm"

    def __init__(self, chat_model: Any, fallback: OfflineGrader, token_budget: int = 6000,
                 examples: ExampleBank | None = None, shots: int = 3) -> None:
        self.chat_model = chat_model
        self.fallback = fallback
        self.token_budget = token_budget
        self.examples = examples
        self.shots = shots
        self.usage: dict[str, int] = {"input_tokens": 0, "output_tokens": 0, "calls": 0}

    def grade(self, question: Question, answer: str,
              points: Sequence[str] | None = None) -> Grade:
        check_answer(answer)
        rubric_points = list(points) if points else (list(question.key_points)
                                                     or derive_points(question.reference))
        tally = {"calls": 0, "input_tokens": 0, "output_tokens": 0}  # this grade's calls
        try:
            out = self._ask(question, answer, rubric_points, tally)
        except LLMFailure as e:
            log.warning("LLM grading failed, using the offline grade: %s", e)
            g = self._fallback(question, answer, points, str(e))
        else:
            g = self._grade_from(out, question, answer, rubric_points)
        g.details["usage"] = tally
        return g

    def _fallback(self, question, answer, points, reason: str) -> Grade:
        g = self.fallback.grade(question, answer, points)
        return Grade(score=g.score, points=g.points, misconceptions=g.misconceptions,
                     feedback=g.feedback, grader=g.grader, fallback=True,
                     details={**g.details, "fallback_reason": reason[:300]})

    def _messages(self, question: Question, answer: str, points: list[str]) -> list:
        """The prompt, with as many graded examples of this question as fit the token budget
        (the rubric and the answer always go in whole)."""
        shots = self.examples.for_question(question.id, self.shots) if self.examples else []
        while True:
            prompt = render("grade_answer", question=question.question,
                            reference=question.reference, points=points,
                            misconceptions=list(question.misconceptions),
                            examples=[_shown(e) for e in shots],
                            answer=_neutralise(answer), tag=TAG)
            size = count_tokens(prompt.system) + count_tokens(prompt.user)
            if size <= self.token_budget:
                return prompt.messages()
            if not shots:
                raise LLMFailure(f"prompt of {size} tokens is over the budget of "
                                 f"{self.token_budget} (INTERVIEWER_PROMPT_TOKEN_BUDGET)")
            shots = shots[:-1]

    def _ask(self, question: Question, answer: str, points: list[str],
             tally: dict[str, int]) -> GradeOut:
        messages = self._messages(question, answer, points)
        n_mis = len(question.misconceptions)
        reply = self._invoke(messages, tally)
        try:
            return parse_reply(reply, len(points), n_mis)
        except ValueError as first:
            repair = render("repair_json", error=str(first)).messages()
            reply2 = self._invoke(messages + [("assistant", reply)] + repair, tally)
            try:
                return parse_reply(reply2, len(points), n_mis)
            except ValueError as second:
                raise LLMFailure(f"invalid output after one repair: {second}") from second

    def _invoke(self, messages: list, tally: dict[str, int]) -> str:
        try:
            msg = self.chat_model.invoke(messages)
        except Exception as e:  # any provider/transport failure -> offline fallback
            raise LLMFailure(f"{type(e).__name__}: {e}") from e
        usage = getattr(msg, "usage_metadata", None) or {}
        for counts in (self.usage, tally):  # the process's total, and this grade's
            counts["calls"] += 1
            for k in ("input_tokens", "output_tokens"):
                counts[k] += int(usage.get(k, 0) or 0)
        content = msg.content
        return content if isinstance(content, str) else json.dumps(content)

    def _grade_from(self, out: GradeOut, question: Question, answer: str,
                    points: list[str]) -> Grade:
        injected = [s.span for s in T.segments(answer) if T.is_injection(s.span.text)]
        verdicts = tuple(self._verdict(points[p.index - 1], p, answer, injected)
                         for p in sorted(out.points, key=lambda p: p.index))
        hits = tuple(MisconceptionHit(question.misconceptions[m.index - 1],
                                      _find(answer, m.evidence), 1.0)
                     for m in out.misconceptions)
        credit = sum(CREDIT[v.verdict] for v in verdicts) / max(1, len(verdicts))
        score = max(0.0, 5.0 * credit - MISCONCEPTION_PENALTY * len(hits))
        notes = [INJECTION_NOTE] if (out.injection_detected or injected) else []
        feedback = (out.feedback.strip() + (" " + notes[0] if notes else "")).strip()
        return Grade(score=round(score, 2), points=verdicts, misconceptions=hits,
                     feedback=feedback or write_feedback(verdicts, hits, notes), grader=self.name,
                     details={"injection_detected": out.injection_detected or bool(injected)})

    @staticmethod
    def _verdict(point: str, p: PointOut, answer: str, injected: list[Span]) -> PointVerdict:
        """Credit needs evidence found in the answer (verbatim, or nearly word for word)
        outside its instruction-like sentences; otherwise the point counts as missing."""
        span = _find(answer, p.evidence)
        clean = "".join(" " if any(s.start <= i < s.end for s in injected) else c
                        for i, c in enumerate(answer))
        stems = T.content_stems(p.evidence)
        supported = (span is not None and clean[span.start:span.end].strip() != "") or (
            len(stems) >= 2 and len(stems & T.content_stems(clean)) >= 0.8 * len(stems))
        verdict = p.verdict if supported else "missing"
        return PointVerdict(point, verdict, span if verdict != "missing" else None,
                            1.0 if verdict == p.verdict else 0.5)
