"""Coding exercises: YAML files under knowledge/exercises/, validated at the border.

Each file holds what the candidate sees (prompt, starter, hints), and what stays hidden
(solution, the probe that exercises a submission, its cases, known-wrong answers that the
checks must reject). See knowledge/exercises/README.md for the format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from interviewer.errors import InputError
from interviewer.topics import resolve_topic, topic_slug

TOPICS = (
    "Basics of PyTorch", "Tensor Operations & Manipulation", "Autograd & Gradients",
    "Neural Networks & Layers", "Convolutional Neural Networks", "Recurrent Neural Networks",
    "Loss Functions & Optimization", "Data Loading & Processing",
    "Model Saving, Loading & Deployment",
)
Topic = Literal[TOPICS]  # type: ignore[valid-type]
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "knowledge" / "exercises"


class WrongAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    why: str
    code: str


class ExerciseFile(BaseModel):
    """One exercise file as written; unknown keys are an error."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{2,60}$")
    title: str
    topic: Topic
    difficulty: int = Field(ge=1, le=3)
    related: list[str] = Field(default_factory=list)
    prompt: str
    starter: str
    hints: list[str] = Field(min_length=1)
    solution: str
    probe: str
    cases: list[dict[str, Any]] = Field(min_length=1)
    tolerance: dict[str, tuple[float, float]] = Field(default_factory=dict)
    wrong: list[WrongAnswer] = Field(min_length=1)
    cpu_only: bool = False

    @field_validator("related")
    @classmethod
    def _question_ids(cls, v: list[str]) -> list[str]:
        bad = [q for q in v if not re.fullmatch(r"Q([1-9][0-9]?|100)", q)]
        if bad:
            raise ValueError(f"related ids must be Q1..Q100, not {bad}")
        return v

    @field_validator("cases")
    @classmethod
    def _named_cases(cls, v: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if any(not isinstance(c.get("name"), str) for c in v):
            raise ValueError("every case needs a 'name'")
        return v


@dataclass(frozen=True)
class Exercise:
    """An exercise as the engine sees it. `public()` is what may be shown to a candidate."""

    id: str
    title: str
    topic: str
    difficulty: int
    prompt: str
    starter: str
    hints: list[str]
    related: list[str]
    solution: str = field(repr=False)
    probe: str = field(repr=False)
    cases: list[dict[str, Any]] = field(repr=False)
    tolerance: dict[str, tuple[float, float]] = field(repr=False)
    wrong: list[WrongAnswer] = field(repr=False)
    cpu_only: bool = False
    path: Path | None = None

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "topic": self.topic,
                "difficulty": self.difficulty, "prompt": self.prompt, "starter": self.starter,
                "hints": list(self.hints), "related": list(self.related)}

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "topic": self.topic,
                "difficulty": self.difficulty}


def load_exercise(path: Path) -> Exercise:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        spec = ExerciseFile.model_validate(raw)
    except (OSError, yaml.YAMLError) as e:
        raise InputError(f"cannot read exercise: {e}", where=str(path)) from e
    except ValidationError as e:
        raise InputError(f"invalid exercise: {e}", where=str(path)) from e
    return Exercise(**spec.model_dump(exclude={"wrong"}), wrong=spec.wrong, path=path)


def load_exercises(directory: Path | None = None, topic: str | None = None) -> list[Exercise]:
    """All exercises under `directory` (default: knowledge/exercises), sorted by difficulty."""
    directory = Path(directory or DEFAULT_DIR)
    if not directory.is_dir():
        raise InputError("exercise folder not found", where=str(directory))
    found: dict[str, Exercise] = {}
    for path in sorted(directory.rglob("*.yaml")):
        ex = load_exercise(path)
        if ex.id in found:
            raise InputError(f"duplicate exercise id {ex.id!r}", where=str(path))
        found[ex.id] = ex
    if topic is not None:  # the same topic names `search --topic` and interviews accept
        slug = resolve_topic(topic, {topic_slug(t): t for t in TOPICS})
        found = {k: e for k, e in found.items() if topic_slug(e.topic) == slug}
    return sorted(found.values(), key=lambda e: (TOPICS.index(e.topic), e.difficulty, e.id))


def get_exercise(exercise_id: str, directory: Path | None = None) -> Exercise:
    for ex in load_exercises(directory):
        if ex.id == exercise_id:
            return ex
    raise InputError(f"no exercise with id {exercise_id!r} (see `interviewer exercises`)")
