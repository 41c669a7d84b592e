"""Question records: the unit of the knowledge base.

`Question` is read from outside (YAML files, parsed markdown), so it is a strict pydantic
model. A curated question carries a rubric (key points, misconceptions); a question parsed
from someone's markdown has only question + reference, and is graded in generic mode.
"""

from __future__ import annotations

import hashlib
import json
import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# An id local to its source (Q17), or namespaced by it (my-notes/Q17; see knowledge/sources.py).
ID_PATTERN = r"^(?:[a-z0-9][a-z0-9_-]{0,47}/)?[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"


def topic_slug(topic: str) -> str:
    """'Loss Functions & Optimization' -> 'loss-functions-optimization'."""
    return re.sub(r"[^a-z0-9]+", "-", topic.lower()).strip("-")


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=ID_PATTERN)
    topic: str = Field(min_length=1)
    question: str = Field(min_length=1)
    reference: str = Field(min_length=1)
    key_points: list[str] = Field(default_factory=list, max_length=6)
    misconceptions: list[str] = Field(default_factory=list, max_length=3)
    difficulty: int = Field(default=2, ge=1, le=3)
    symbols: list[str] = Field(default_factory=list)
    follow_ups: list[str] = Field(default_factory=list, max_length=3)
    errata: list[str] = Field(default_factory=list)

    @field_validator("question", "reference", "topic")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError("must not be empty")
        return v

    @field_validator("key_points", "misconceptions", "follow_ups", "symbols", "errata")
    @classmethod
    def _no_blank_items(cls, items: list[str]) -> list[str]:
        cleaned = [s.strip() for s in items]
        if any(not s for s in cleaned):
            raise ValueError("list items must not be empty")
        return cleaned

    @property
    def curated(self) -> bool:
        return bool(self.key_points)

    @property
    def topic_slug(self) -> str:
        return topic_slug(self.topic)

    def content_hash(self) -> str:
        """A hash of everything that defines the question; it changes when any field does."""
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class CuratedQuestion(Question):
    """A question of our own knowledge base: the rubric is mandatory."""

    key_points: list[str] = Field(min_length=2, max_length=6)
    misconceptions: list[str] = Field(min_length=1, max_length=3)
    follow_ups: list[str] = Field(min_length=1, max_length=3)


class TopicFile(BaseModel):
    """One YAML file under knowledge/questions/: a topic and its curated questions."""

    model_config = ConfigDict(extra="forbid")

    topic: str = Field(min_length=1)
    questions: list[CuratedQuestion] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _inherit_topic(cls, data: object) -> object:
        # Each question inherits the file's topic unless it names one itself.
        if isinstance(data, dict) and isinstance(data.get("questions"), list):
            topic = data.get("topic")
            data = dict(data)
            data["questions"] = [
                {"topic": topic, **q} if isinstance(q, dict) and "topic" not in q else q
                for q in data["questions"]
            ]
        return data


FOLLOW_UP_ID = r"^[A-Za-z0-9][A-Za-z0-9_:-]{0,60}\.[1-9][0-9]?$"


class FollowUpRecord(BaseModel):
    """The rubric of one curated follow-up (`knowledge/followups/*.yaml`): a follow-up is
    graded only against its own key points, never against its parent question's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=FOLLOW_UP_ID)  # parent id + "." + 1-based position
    parent: str = Field(pattern=ID_PATTERN)
    question: str = Field(min_length=1)
    reference: str = Field(min_length=1)
    key_points: list[str] = Field(min_length=2, max_length=4)
    misconceptions: list[str] = Field(default_factory=list, max_length=2)
    hints: list[str] = Field(default_factory=list)

    _not_blank = field_validator("question", "reference")(Question._not_blank.__func__)
    _no_blank_items = field_validator("key_points", "misconceptions", "hints")(
        Question._no_blank_items.__func__)

    @model_validator(mode="after")
    def _consistent(self) -> "FollowUpRecord":
        if self.id.rsplit(".", 1)[0] != self.parent:
            raise ValueError(f"id {self.id!r} must start with its parent {self.parent!r}")
        if self.hints and len(self.hints) != len(self.key_points):
            raise ValueError(f"hints: {len(self.hints)} given for {len(self.key_points)} key "
                             "points; write one hint per key point, in the same order")
        return self

    @property
    def position(self) -> int:
        return int(self.id.rsplit(".", 1)[1])

    def as_question(self, topic: str, difficulty: int = 2) -> Question:
        """A Question-like rubric for the grader: this follow-up's own text and points."""
        return Question(id=self.id, topic=topic, question=self.question,
                        reference=self.reference, key_points=list(self.key_points),
                        misconceptions=list(self.misconceptions), difficulty=difficulty)


class FollowUpFile(BaseModel):
    """One YAML file under knowledge/followups/: the follow-up records of one topic file and
    the curated hints (one per key point) of its main questions."""

    model_config = ConfigDict(extra="forbid")

    follow_ups: list[FollowUpRecord] = Field(default_factory=list)
    hints: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("hints")
    @classmethod
    def _no_blank_hints(cls, hints: dict[str, list[str]]) -> dict[str, list[str]]:
        return {qid: Question._no_blank_items(items) for qid, items in hints.items()}
