"""What a grade is, and the one interface every grader implements."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal, Protocol

from interviewer.knowledge.models import Question

Verdict = Literal["covered", "partial", "missing"]
MAX_ANSWER_CHARS = 20_000


@dataclass(frozen=True)
class Span:
    """A stretch of the candidate's answer: character offsets and the text itself."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class PointVerdict:
    point: str
    verdict: Verdict
    span: Span | None = None
    confidence: float = 0.0


@dataclass(frozen=True)
class MisconceptionHit:
    misconception: str
    span: Span | None = None
    confidence: float = 0.0


@dataclass(frozen=True)
class Grade:
    """The grade of one answer to one question. `score` is on 0-5 and may be fractional."""

    score: float
    points: tuple[PointVerdict, ...]
    misconceptions: tuple[MisconceptionHit, ...]
    feedback: str
    grader: str
    fallback: bool = False
    details: dict = field(default_factory=dict)

    @property
    def missing(self) -> list[str]:
        return [p.point for p in self.points if p.verdict != "covered"]

    @property
    def covered(self) -> list[str]:
        return [p.point for p in self.points if p.verdict == "covered"]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Grade":
        def span(s: dict | None) -> Span | None:
            return Span(**s) if s else None

        return cls(
            score=float(d["score"]),
            points=tuple(PointVerdict(p["point"], p["verdict"], span(p.get("span")),
                                      p.get("confidence", 0.0)) for p in d.get("points", [])),
            misconceptions=tuple(MisconceptionHit(m["misconception"], span(m.get("span")),
                                                  m.get("confidence", 0.0))
                                 for m in d.get("misconceptions", [])),
            feedback=d.get("feedback", ""), grader=d.get("grader", "unknown"),
            fallback=bool(d.get("fallback", False)), details=dict(d.get("details", {})))


class Grader(Protocol):
    """Grades an answer against a question's reference (and its rubric, when curated)."""

    name: str

    def grade(self, question: Question, answer: str) -> Grade: ...
