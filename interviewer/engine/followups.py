"""Deciding what a follow-up should probe, before anyone words it.

After a graded answer: a misconception is challenged first; else the key points the answer
missed are probed (with the curated follow-up closest to them, when one is close enough);
else, when the answer was complete, a curated follow-up goes deeper. The follow-up answer is
graded against `points`: the key points it probes (all of them for a deeper one).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from interviewer.grading.base import Grade
from interviewer.knowledge.models import Question

CURATED_MATCH = 0.35  # cosine similarity above which a curated follow-up fits missed points
MAX_POINTS = 2

Similarity = Callable[[Sequence[str], Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class FollowUpPlan:
    focus: str  # missing | misconception | deeper
    points: tuple[str, ...]
    curated: str | None = None
    misconception: str | None = None


def plan_follow_up(question: Question, grade: Grade, used: Sequence[str],
                   similarity: Similarity | None) -> FollowUpPlan | None:
    unused = [f for f in question.follow_ups if f not in used]
    missing = grade.missing
    if grade.misconceptions:
        wrong = grade.misconceptions[0].misconception
        points = _nearest(question.key_points, [wrong], similarity, MAX_POINTS) or missing
        return FollowUpPlan("misconception", tuple(points[:MAX_POINTS]), misconception=wrong)
    if missing:
        points = tuple(missing[:MAX_POINTS])
        return FollowUpPlan("missing", points, curated=_closest(unused, points, similarity))
    if not question.key_points and grade.score < 3.5:
        return FollowUpPlan("missing", ())
    if unused:
        return FollowUpPlan("deeper", tuple(question.key_points), curated=unused[0])
    return None


def _closest(candidates: Sequence[str], points: Sequence[str],
             similarity: Similarity | None) -> str | None:
    if not candidates or not points or similarity is None:
        return None
    sims = similarity(candidates, list(points)).max(axis=1)
    best = int(np.argmax(sims))
    return candidates[best] if sims[best] >= CURATED_MATCH else None


def _nearest(points: Sequence[str], targets: Sequence[str], similarity: Similarity | None,
             k: int) -> list[str]:
    if not points or similarity is None:
        return []
    sims = similarity(points, targets).max(axis=1)
    return [points[i] for i in np.argsort(-sims)[:k]]


def question_for_points(question: Question, plan: FollowUpPlan, asked: str) -> Question:
    """The question a follow-up answer is graded against: the follow-up's text and only the
    key points it probes (the reference stays whole)."""
    points = list(plan.points) or list(question.key_points)
    wrong = [plan.misconception] if plan.misconception else list(question.misconceptions)
    return question.model_copy(update={"question": asked, "key_points": points,
                                       "misconceptions": wrong})


class EmbeddingSimilarity:
    """Cosine similarity with an embedder, caching vectors of texts seen before."""

    def __init__(self, embedder) -> None:
        self._embedder = embedder
        self._cache: dict[str, np.ndarray] = {}

    def _vectors(self, texts: Sequence[str]) -> np.ndarray:
        new = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if new:
            for t, v in zip(new, self._embedder.encode(new)):
                self._cache[t] = v
        return np.stack([self._cache[t] for t in texts])

    def warm(self, texts: Sequence[str]) -> None:
        if texts:
            self._vectors(texts)

    def __call__(self, a: Sequence[str], b: Sequence[str]) -> np.ndarray:
        return self._vectors(a) @ self._vectors(b).T
