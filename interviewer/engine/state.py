"""The plan a candidate chooses (pydantic: it comes from outside) and the session state the
engine keeps (dataclasses, stored as JSON after every turn)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_SCORE = 5.0


class Plan(BaseModel):
    """What the candidate asked for. Empty `topics` means all; `difficulty` None means
    adaptive; `seed` None picks one at random (stored, so a resumed session continues the same
    way); `follow_ups` None uses the configured default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    topics: list[str] = Field(default_factory=list)
    difficulty: int | None = Field(default=None, ge=1, le=3)
    questions: int = Field(default=8, ge=1, le=50)
    mode: Literal["concepts", "coding", "mixed"] = "concepts"
    seed: int | None = None
    follow_ups: int | None = Field(default=None, ge=0, le=5)
    sources: list[str] = Field(default_factory=list)  # knowledge sources; empty means all


@dataclass
class Attempt:
    """One thing the candidate said to an item: an answer, a follow-up answer, code, or a
    command (outcome idk / skipped)."""

    kind: str  # main | follow_up | code
    prompt: str
    answer: str
    outcome: str = "graded"  # graded | idk | skipped
    score: float | None = None
    grade: dict[str, Any] | None = None
    focus: str | None = None
    points: list[str] = field(default_factory=list)  # the key points it was graded against
    rubric: str | None = None  # id of that rubric: Q17 (main), Q17.1 (curated follow-up), ...


@dataclass
class PendingFollowUp:
    """A follow-up waiting for its answer, with the rubric it will be graded on: a curated
    record (`rubric` = its id, e.g. Q17.1), a probe of the main question's missed points
    (`rubric` = "Q17:probe", graded on `points`), an LLM-written one with its own key points
    (`rubric` = "Q17:llm"), or none (`rubric` None: conversation, not scored)."""

    text: str
    focus: str
    points: list[str]
    curated: str | None = None
    misconception: str | None = None
    rubric: str | None = None
    reference: str = ""  # an LLM-written follow-up's own reference (records carry theirs)


@dataclass
class Item:
    """A main question (or a coding exercise) and everything that happened around it."""

    number: int
    kind: str  # question | exercise
    ref_id: str
    topic: str  # slug
    topic_name: str
    difficulty: int
    prompt: str
    hints: list[str] = field(default_factory=list)
    unpaid_hints: int = 0  # hints since the last graded attempt; their penalty lands on it
    submissions: int = 0
    attempts: list[Attempt] = field(default_factory=list)
    follow_up: PendingFollowUp | None = None
    follow_ups_asked: int = 0
    curated_used: list[str] = field(default_factory=list)
    weak_points: list[str] = field(default_factory=list)
    follow_up_gaps: list[dict[str, Any]] = field(default_factory=list)  # missed in follow-ups
    misconceptions: list[str] = field(default_factory=list)
    status: str = "open"  # open | done | skipped
    score: float | None = None
    other_question_noted: bool = False  # told once that the answer fits another question

    def graded(self) -> list[Attempt]:
        return [a for a in self.attempts if a.score is not None]


@dataclass
class Usage:
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    estimated: bool = False

    @classmethod
    def priced(cls, call, settings, calls: int = 1) -> "Usage":
        """The usage of `calls` LLM calls (an llm.usage.CallUsage) at the configured price."""
        from interviewer.llm import usage as u

        price = u.price_for(settings.llm, settings.llm_price_per_mtok)
        return cls(calls=calls, prompt_tokens=call.prompt_tokens,
                   completion_tokens=call.completion_tokens,
                   cost_usd=u.cost_usd(call, price), estimated=call.estimated)

    def add(self, other: "Usage") -> None:
        self.calls += other.calls
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.cost_usd = round(self.cost_usd + other.cost_usd, 6)
        self.estimated = self.estimated or other.estimated


@dataclass
class SessionState:
    id: str
    user_id: str
    plan: dict[str, Any]
    seed: int
    topics: list[str]  # slugs in play
    topic_names: dict[str, str]
    level: int = 2
    status: str = "active"  # active | finished
    items: list[Item] = field(default_factory=list)
    brain: str = "offline"
    llm_failed: bool = False
    grader_fallback: bool = False
    usage: Usage = field(default_factory=Usage)
    started: str = ""
    ended: str = ""

    @property
    def current(self) -> Item | None:
        return self.items[-1] if self.items and self.items[-1].status == "open" else None

    @property
    def plan_model(self) -> Plan:
        return Plan.model_validate(self.plan)

    def asked_ids(self, kind: str = "question") -> list[str]:
        return [i.ref_id for i in self.items if i.kind == kind]

    def to_dict(self) -> dict[str, Any]:
        return plain(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "SessionState":
        d = dict(d)
        d["usage"] = Usage(**d.get("usage", {}))
        d["items"] = [_item(i) for i in d.get("items", [])]
        return cls(**d)


def _item(d: dict[str, Any]) -> Item:
    d = dict(d)
    d["attempts"] = [Attempt(**a) for a in d.get("attempts", [])]
    d["follow_up"] = PendingFollowUp(**d["follow_up"]) if d.get("follow_up") else None
    return Item(**d)


def plain(value: Any) -> Any:
    """Dataclasses as JSON-ready dicts, without the deep copies `asdict` makes (the state is
    serialised right away; this runs on every turn)."""
    if is_dataclass(value):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
