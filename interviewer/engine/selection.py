"""Choosing the next question: cover every chosen topic once, then spend the remaining
questions where the candidate looks weakest, at a difficulty that follows their answers.

Questions come from the Chroma store (by topic, difficulty and meaning: a topic the candidate
was weak on is searched with the key points they missed), full records from a `QuestionBank`.
Every choice draws from a `random.Random` seeded with the session's seed and the question
number, so a session is reproducible.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interviewer.engine.state import SessionState
from interviewer.knowledge.models import Question

LCB_WEIGHT = 1.5  # how strongly uncertainty (few questions on a topic) draws more questions
FOLLOW_UP_WEIGHT = 0.5


class QuestionBank:
    """Full question records by id: the curated files, else rebuilt from the store's
    documents (question + reference), so questions ingested from markdown work too."""

    def __init__(self, loader: Callable[[], Sequence[Question]], store=None) -> None:
        self._loader = loader
        self._store = store
        self._by_id: dict[str, Question] | None = None

    @classmethod
    def from_dir(cls, folder: Path, store=None) -> "QuestionBank":
        from interviewer.knowledge.corpus import load_questions

        return cls(lambda: load_questions([folder]) if folder.exists() else [], store)

    @classmethod
    def of(cls, questions: Sequence[Question], store=None) -> "QuestionBank":
        return cls(lambda: list(questions), store)

    def questions(self) -> list[Question]:
        """The bank's own questions (curated files); store-only ones are not listed."""
        if self._by_id is None:
            self._by_id = {q.id: q for q in self._loader()}
        return list(self._by_id.values())

    def get(self, qid: str) -> Question:
        if self._by_id is None:
            self._by_id = {q.id: q for q in self._loader()}
        if qid not in self._by_id and self._store is not None:
            self._by_id[qid] = self._from_store(qid)
        return self._by_id[qid]

    def _from_store(self, qid: str) -> Question:
        got = self._store.collection.get(where={"$and": [{"qid": qid}, {"facet": "qa"}]},
                                         include=["metadatas", "documents"])
        meta, doc = got["metadatas"][0], got["documents"][0]
        reference = doc[len(meta["question"]):].strip() or doc
        return Question(id=qid, topic=meta["topic"], question=meta["question"],
                        reference=reference, difficulty=int(meta.get("difficulty", 2)))


def topic_scores(state: SessionState) -> dict[str, list[float]]:
    """Scores of finished items per topic slug (skipped items do not count)."""
    out: dict[str, list[float]] = {t: [] for t in state.topics}
    for item in state.items:
        if item.status == "done" and item.score is not None:
            out.setdefault(item.topic, []).append(item.score)
    return out


def session_rng(state: SessionState, number: int, purpose: str) -> random.Random:
    return random.Random(f"{state.seed}:{number}:{purpose}")


def choose_topic(state: SessionState, available: Sequence[str], number: int) -> str:
    """First every topic once (in a seeded order); then the topic whose lower confidence
    bound on the mean score is lowest: weak topics and barely sampled ones get questions."""
    order = sorted(available)
    random.Random(f"{state.seed}:topics").shuffle(order)
    scores = topic_scores(state)
    asked = {i.topic for i in state.items}
    fresh = [t for t in order if t not in asked]
    if fresh:
        return fresh[0]
    rng = session_rng(state, number, "topic")

    def bound(t: str) -> tuple[float, float]:
        s = scores.get(t) or []
        mean = sum(s) / len(s) if s else 2.5
        return mean - LCB_WEIGHT / math.sqrt(len(s) + 1), rng.random()

    return min(order, key=bound)


def weak_query(state: SessionState, topic: str) -> str | None:
    """What to search for in a topic: the last key point missed there, if any."""
    missed = [p for i in state.items if i.topic == topic for p in i.weak_points]
    return missed[-1] if missed else None


@dataclass(frozen=True)
class Pick:
    question_id: str
    difficulty: int


def levels_near(level: int) -> list[int]:
    return sorted((1, 2, 3), key=lambda d: (abs(d - level), -d))


def choose_question(store, state: SessionState, topic: str, level: int,
                    number: int) -> Pick | None:
    """A question of `topic` not yet asked, at the difficulty nearest `level`: one of the 3
    nearest the last key point the candidate missed in that topic, else any of the topic's
    (no model is needed for it, so a first question comes while the models still load)."""
    asked = state.asked_ids("question")
    query = weak_query(state, topic)
    rng = session_rng(state, number, "question")
    for difficulty in levels_near(level):
        if query is None:
            ids = store.question_ids(topic, difficulty, exclude=asked)
        else:
            conds: list[dict[str, Any]] = [{"topic_slug": topic}, {"difficulty": difficulty}]
            if asked:
                conds.append({"qid": {"$nin": asked}})
            ids = [h.id for h in store.search([query], k=3, where={"$and": conds})[0]]
        if ids:
            return Pick(rng.choice(ids), difficulty)
    return None
