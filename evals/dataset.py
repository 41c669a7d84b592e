"""Labelled answer sets: read JSONL rows, validate them, and resolve each row's question.

A row has `id`, `answer`, `score` (gold) and optional `score_max` (default 5). Its question
is either `question_id` (a knowledge-base question, or a curated follow-up `Qn.k` graded on
its own rubric) or inline `question` +
`reference_answer` (generic mode; an inline reference wins over `question_id`). Any other
field (category, topic, ...) is carried into the report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from interviewer.errors import InputError
from interviewer.knowledge.models import Question


class Row(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str = Field(min_length=1)
    answer: str
    score: float = Field(ge=0)
    score_max: float = Field(default=5.0, gt=0)
    question_id: str | None = None
    question: str | None = None
    reference_answer: str | None = None

    @model_validator(mode="after")
    def _has_question(self) -> "Row":
        if self.reference_answer is not None and not self.question:
            raise ValueError("an inline reference_answer needs the inline question too")
        if self.reference_answer is None and not self.question_id:
            raise ValueError("needs question_id, or question + reference_answer")
        if self.score > self.score_max:
            raise ValueError(f"score {self.score} is above score_max {self.score_max}")
        return self

    @property
    def gold(self) -> float:
        """The gold score on the 0-5 scale."""
        return self.score * 5.0 / self.score_max

    @property
    def extras(self) -> dict:
        return dict(self.model_extra or {})


@dataclass(frozen=True)
class Item:
    row: Row
    question: Question
    where: str


def read_rows(path: Path) -> list[tuple[Row, str]]:
    if not path.is_file():
        raise InputError("no such dataset file", where=str(path))
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{n}"
        try:
            rows.append((Row.model_validate(json.loads(line)), where))
        except json.JSONDecodeError as e:
            raise InputError(f"not valid JSON: {e.msg}", where=where) from e
        except ValidationError as e:
            err = e.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or "row"
            raise InputError(f"{field}: {err['msg']}", where=where) from e
    if not rows:
        raise InputError("the dataset is empty", where=str(path))
    return rows


def resolve(row: Row, where: str, knowledge: dict[str, Question] | None) -> Question:
    if row.reference_answer is not None:
        return Question(id=_safe_id(row.question_id or row.id), question=row.question,
                        reference=row.reference_answer, topic=str(row.extras.get("topic")
                                                                  or "generic"))
    if knowledge is None or row.question_id not in knowledge:
        raise InputError(f"row {row.id!r}: unknown question id {row.question_id!r}", where=where)
    return knowledge[row.question_id]


def _safe_id(raw: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "_.:-" else "-" for c in raw)[:64]
    return cleaned if cleaned[:1].isalnum() else f"x{cleaned}"[:64]


def load_dataset(path: Path, knowledge_dir: Path | None) -> list[Item]:
    """Rows with their questions; the knowledge base is read only when a row needs it."""
    rows = read_rows(path)
    knowledge = None
    if any(r.reference_answer is None for r, _ in rows):
        from interviewer.knowledge import load_questions

        if knowledge_dir is None or not knowledge_dir.exists():
            raise InputError("rows name question_id but the knowledge folder is missing",
                             where=str(knowledge_dir))
        knowledge = {q.id: q for q in load_questions([knowledge_dir])}
        knowledge |= _followups(knowledge_dir, knowledge)
    seen: set[str] = set()
    items = []
    for row, where in rows:
        if row.id in seen:
            raise InputError(f"duplicate row id {row.id!r}", where=where)
        seen.add(row.id)
        items.append(Item(row, resolve(row, where, knowledge), where))
    return items


def _followups(knowledge_dir: Path, questions: dict[str, Question]) -> dict[str, Question]:
    """The curated follow-ups (knowledge/followups/, beside the questions folder), each as
    the Question the engine grades it as: its own rubric, its parent's topic."""
    folder = knowledge_dir.parent / "followups"
    if not folder.is_dir():
        return {}
    from interviewer.knowledge.followups import load_followups

    book = load_followups(folder, knowledge_dir)
    return {r.id: r.as_question(questions[r.parent].topic) for r in book.records.values()}


def generic(q: Question) -> Question:
    """The question as a bare (question, reference) pair: no curated rubric."""
    return Question(id=q.id, topic=q.topic, question=q.question, reference=q.reference)


def without_rubric(items: list[Item]) -> list[Item]:
    return [replace(it, question=generic(it.question)) for it in items]
