"""Deciding what a follow-up should probe, and what its answer is graded against, before
anyone words it.

After a graded answer:
1. a misconception from the question's rubric (or a statement that reverses a key point the
   grader did *not* judge covered) is challenged first, quoting the candidate's own words;
2. else the key points the answer missed: the curated follow-up closest to them when one is
   close enough (graded on that follow-up's own record), else a probe of those points
   (graded on those points only);
3. else, when the answer was complete, a curated follow-up goes deeper (graded on its own
   record).
An answer with nothing covered and a score below 0.5 (empty, off-topic, gibberish) gets no
follow-up: the interview moves on.
A curated follow-up without a record (its topic's followups file does not exist yet) is asked
as conversation and not scored. A point the grader judged covered is never challenged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from interviewer.grading.base import Grade
from interviewer.grading.feedback import reversed_point
from interviewer.knowledge.followups import FollowUpBook
from interviewer.knowledge.models import FollowUpRecord, Question

CURATED_MATCH = 0.35  # cosine similarity above which a curated follow-up fits missed points
MAX_POINTS = 2
NOTHING_TO_PROBE = 0.5  # below this score, with no point covered, there is no follow-up

Similarity = Callable[[Sequence[str], Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class FollowUpPlan:
    focus: str  # missing | misconception | deeper
    points: tuple[str, ...]  # the main question's points it is about (probe / challenge)
    curated: str | None = None
    misconception: str | None = None
    record: FollowUpRecord | None = None  # the curated follow-up's own rubric
    span: str | None = None  # the candidate's words a challenge quotes

    @property
    def rubric_id(self) -> str | None:
        """What the answer is graded on: a record id, "<qid>:probe", or None (not scored)."""
        if self.record is not None:
            return self.record.id
        if self.curated is None and self.points:
            return "probe"
        return None


def _challenge(question: Question, grade: Grade,
               similarity: Similarity | None) -> FollowUpPlan | None:
    covered = set(grade.covered)
    missing = [p for p in grade.missing if p not in covered]
    for hit in grade.misconceptions:
        span = hit.span.text.strip() if hit.span and hit.span.text.strip() else None
        point = reversed_point(hit, question.key_points)
        if point is not None:
            if point not in covered and span:
                return FollowUpPlan("misconception", (point,), misconception=point, span=span)
            continue
        if hit.misconception not in question.misconceptions:
            continue  # not a wrong belief this question's rubric knows about
        points = _nearest(missing, [hit.misconception], similarity, MAX_POINTS) or missing[:1]
        if points:
            return FollowUpPlan("misconception", tuple(points), misconception=hit.misconception,
                                span=span)
    return None


def plan_follow_up(question: Question, grade: Grade, used: Sequence[str],
                   similarity: Similarity | None,
                   book: FollowUpBook | None = None) -> FollowUpPlan | None:
    book = book or FollowUpBook()
    unused = [f for f in question.follow_ups if f not in used]
    challenge = _challenge(question, grade, similarity)
    if challenge is not None:
        return challenge
    covered = set(grade.covered)
    if question.key_points and not covered and grade.score < NOTHING_TO_PROBE:
        return None  # nothing to build on (empty, off-topic, gibberish): move on
    missing = tuple(p for p in grade.missing if p not in covered)[:MAX_POINTS]
    if missing:
        graded = [f for f in unused if book.record(question.id, f) is not None]
        curated = _closest(graded, missing, similarity, book, question.id)
        return FollowUpPlan("missing", missing, curated=curated,
                            record=book.record(question.id, curated) if curated else None)
    if not question.key_points and grade.score < 3.5:
        return FollowUpPlan("missing", ())  # generic question: "say more" (not scored)
    if unused:
        return FollowUpPlan("deeper", (), curated=unused[0],
                            record=book.record(question.id, unused[0]))
    return None


def _closest(candidates: Sequence[str], points: Sequence[str], similarity: Similarity | None,
             book: FollowUpBook, parent: str) -> str | None:
    """The curated follow-up (with a record) whose question or key points are nearest the
    missed points, when near enough."""
    if not candidates or not points or similarity is None:
        return None
    best, best_sim = None, CURATED_MATCH
    for text in candidates:
        record = book.record(parent, text)
        texts = [text, *(record.key_points if record else ())]
        sim = float(similarity(texts, list(points)).max())
        if sim >= best_sim:
            best, best_sim = text, sim
    return best


def _nearest(points: Sequence[str], targets: Sequence[str], similarity: Similarity | None,
             k: int) -> list[str]:
    if not points or similarity is None:
        return []
    sims = similarity(points, targets).max(axis=1)
    return [points[i] for i in np.argsort(-sims)[:k]]


def probe_question(question: Question, points: Sequence[str], asked: str,
                   misconception: str | None = None) -> Question:
    """The rubric of a probe: the follow-up's own text and only the key points it asks about
    (the reference stays whole: those points come from it)."""
    wrong = [misconception] if misconception and misconception in question.misconceptions \
        else []
    return question.model_copy(update={"id": f"{question.id}:probe", "question": asked,
                                       "key_points": list(points), "misconceptions": wrong})


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
