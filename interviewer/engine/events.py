"""What the engine tells a front end. Every reply is a list (or a stream) of these events;
a UI renders them by `kind` and holds no interview logic of its own.

`delta` events are provisional: they carry pieces of interviewer text while an LLM streams
it, and the complete event that follows (question, follow_up, hint) carries the final text,
which may differ (a failed or malformed LLM reply is replaced by the offline wording).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class Event:
    kind: ClassVar[str] = "event"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **asdict(self)}

    @property
    def text_for_transcript(self) -> str:
        return str(getattr(self, "text", ""))


@dataclass(frozen=True)
class QuestionAsked(Event):
    """A main question. `number` counts from 1 up to `total` (the planned length)."""

    kind: ClassVar[str] = "question"
    question_id: str
    topic: str
    topic_name: str
    difficulty: int
    number: int
    total: int
    text: str


@dataclass(frozen=True)
class FollowUpAsked(Event):
    """A follow-up on the current question. `focus`: missing | misconception | deeper."""

    kind: ClassVar[str] = "follow_up"
    question_id: str
    number: int
    focus: str
    text: str


@dataclass(frozen=True)
class GradeReady(Event):
    """The grade of an answer (main or follow-up), on 0..max_score after any hint penalty.
    Each key point is in exactly one of `covered`, `partial`, `missing`; `feedback` is prose
    (an opener that fits the score, wrong statements quoted) and does not repeat the points;
    `misconceptions` are sentences for the candidate, never a grader's label."""

    kind: ClassVar[str] = "grade"
    question_id: str
    score: float
    max_score: float
    follow_up: bool
    covered: list[str]
    missing: list[str]
    misconceptions: list[str]
    feedback: str
    penalty: float = 0.0
    partial: list[str] = field(default_factory=list)

    @property
    def text_for_transcript(self) -> str:
        return f"{self.score:.1f}/{self.max_score:.0f} {self.feedback}".strip()


@dataclass(frozen=True)
class HintGiven(Event):
    kind: ClassVar[str] = "hint"
    question_id: str
    number: int
    penalty: float
    text: str


@dataclass(frozen=True)
class ReferenceShown(Event):
    """The reference answer of a finished question or follow-up (`question_id` Q17 or
    Q17.1), titled with that question's text (`question`)."""

    kind: ClassVar[str] = "reference"
    question_id: str
    text: str
    key_points: list[str] = field(default_factory=list)
    question: str = ""


@dataclass(frozen=True)
class ExerciseOffered(Event):
    kind: ClassVar[str] = "exercise"
    exercise_id: str
    title: str
    topic: str
    difficulty: int
    number: int
    total: int
    text: str
    starter: str
    topic_name: str = ""


@dataclass(frozen=True)
class CodeResult(Event):
    """The outcome of running the candidate's code against the exercise's hidden checks."""

    kind: ClassVar[str] = "code_result"
    exercise_id: str
    status: str
    passed: int
    total: int
    score: float
    text: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportReady(Event):
    """The end of the interview. `report` is the JSON report; `markdown` the same in words."""

    kind: ClassVar[str] = "report"
    session_id: str
    report: dict[str, Any]
    markdown: str

    @property
    def text_for_transcript(self) -> str:
        return "report ready"


@dataclass(frozen=True)
class Notice(Event):
    """Anything else worth telling the candidate (welcome, fallback to offline, errors)."""

    kind: ClassVar[str] = "notice"
    text: str
    level: str = "info"  # info | warning


@dataclass(frozen=True)
class TextDelta(Event):
    """A piece of interviewer text while it streams; `target` is the kind it belongs to."""

    kind: ClassVar[str] = "delta"
    target: str
    text: str


EVENT_KINDS = {cls.kind: cls for cls in (QuestionAsked, FollowUpAsked, GradeReady, HintGiven,
                                         ReferenceShown, ExerciseOffered, CodeResult,
                                         ReportReady, Notice, TextDelta)}
