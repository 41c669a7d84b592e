"""Helpers shared by the engine, brain and chat tests (no tests here).

`TopicGrader` is a scripted grader behind the real `Grader` protocol: its score for an
answer is the number in the answer ("4: ..."), else the score set for the question's topic.
Covered key points are the first ones in proportion to the score.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from interviewer.engine import CodeOutcome, Exercise, Interviewer
from interviewer.engine.selection import QuestionBank
from interviewer.errors import ServiceError
from interviewer.grading.base import Grade, MisconceptionHit, PointVerdict
from interviewer.storage import SessionStore


class TopicGrader:
    name = "scripted"

    def __init__(self, scores: dict[str, float] | None = None, default: float = 3.0,
                 misconception_word: str = "WRONG") -> None:
        self.scores = scores or {}
        self.default = default
        self.misconception_word = misconception_word
        self.calls: list[tuple[str, list[str], str]] = []

    def grade(self, question, answer: str) -> Grade:
        self.calls.append((question.question, list(question.key_points), answer))
        m = re.match(r"\s*(\d+(?:\.\d+)?)\b", answer)
        score = float(m.group(1)) if m else self.scores.get(question.topic_slug, self.default)
        n = len(question.key_points)
        k = round(n * score / 5)
        points = tuple(PointVerdict(p, "covered" if i < k else "missing")
                       for i, p in enumerate(question.key_points))
        hits = ()
        if self.misconception_word in answer and question.misconceptions:
            hits = (MisconceptionHit(question.misconceptions[0]),)
        return Grade(score=min(5.0, score), points=points, misconceptions=hits,
                     feedback=f"scripted {score}", grader=self.name)


class FakeRunner:
    """A CodeRunner without a sandbox: code containing 'PASS' passes all 3 checks, 'SYNTAX'
    fails before the checks (an error), 'REFUSED' is a sandbox that cannot run code."""

    def __init__(self, exercises: Sequence[Exercise] | None = None) -> None:
        self._exercises = list(exercises or [
            Exercise("ex-softmax", "Stable softmax", "Tensor Operations & Manipulation", 2,
                     "Write softmax(x, dim).", "def softmax(x, dim):\n    ...\n",
                     ("subtract the max",)),
            Exercise("ex-linear", "Linear layer", "Neural Networks & Layers", 1,
                     "Write a linear layer.", "class Linear:\n    ...\n"),
        ])
        self.runs: list[tuple[str, str]] = []

    def exercises(self):
        return self._exercises

    def run(self, code: str, exercise_id: str) -> CodeOutcome:
        self.runs.append((code, exercise_id))
        if "SYNTAX" in code or "REFUSED" in code:
            status = "error" if "SYNTAX" in code else "refused"
            return CodeOutcome(status, 0, 0, f"{status}: no checks ran")
        passed = 3 if "PASS" in code else 1
        return CodeOutcome("passed" if passed == 3 else "failed", passed, 3, f"{passed}/3")


class ScriptedBrain:
    """A brain that streams canned words, or fails (raises ServiceError) when told to."""

    name = "scripted-llm"

    def __init__(self, fail_after: int | None = None) -> None:
        self.fail_after = fail_after
        self.calls = 0

    def _words(self, text: str) -> Iterator[str]:
        self.calls += 1
        if self.fail_after is not None and self.calls > self.fail_after:
            yield "partial "
            raise ServiceError("scripted failure")
        for word in text.split(" "):
            yield word + " "

    def ask(self, ctx):
        return self._words(f"LLM asks: {ctx.question.question}")

    def follow_up(self, ctx):
        return self._words(f"LLM follow-up on {ctx.plan.focus}?")

    def hint(self, ctx):
        return self._words("LLM hint.")

    def take_usage(self):
        from interviewer.engine.state import Usage

        return Usage(calls=1, prompt_tokens=100, completion_tokens=10)


def make_engine(settings, store, questions, grader=None, **kw) -> Interviewer:
    return Interviewer(settings, store, grader or TopicGrader(),
                       sessions=kw.pop("sessions", None) or SessionStore.from_settings(settings),
                       bank=QuestionBank.of(questions, store), **kw)


def kinds(events) -> list[str]:
    return [e.kind for e in events]


def first(events, kind: str):
    return next(e for e in events if e.kind == kind)
