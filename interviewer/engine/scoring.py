"""Scores of items and what stays weak after follow-ups."""

from __future__ import annotations

from interviewer.engine.events import GradeReady
from interviewer.engine.state import MAX_SCORE, Item, PendingFollowUp
from interviewer.grading.base import Grade


def update_weak_points(item: Item, grade: Grade, pending: PendingFollowUp | None) -> None:
    if pending is None:
        item.weak_points = list(grade.missing)
        item.misconceptions = [m.misconception for m in grade.misconceptions]
        return
    recovered = set(grade.covered)
    item.weak_points = [p for p in item.weak_points if p not in recovered]
    if pending.misconception and not grade.misconceptions and grade.score >= MAX_SCORE / 2:
        item.misconceptions = [m for m in item.misconceptions if m != pending.misconception]


def item_score(item: Item) -> float | None:
    """Main answer counts double against each follow-up (a "deeper" follow-up only when it
    helps: it goes beyond the reference); code counts its best run."""
    scores = [a.score for a in item.attempts if a.score is not None]
    if not scores:
        return None
    if item.kind == "exercise":
        return max(scores)
    main = [a.score for a in item.attempts if a.kind == "main" and a.score is not None]
    follow = [a.score for a in item.attempts if a.kind == "follow_up" and a.score is not None
              and (a.focus != "deeper" or (main and a.score > main[0]))]
    if not main:
        return round(sum(scores) / len(scores), 2)
    return round((2 * main[0] + sum(follow)) / (2 + len(follow)), 2)


def grade_event(item: Item, grade: Grade, score: float, penalty: float,
                 follow_up: bool) -> GradeReady:
    return GradeReady(question_id=item.ref_id, score=score, max_score=MAX_SCORE,
                      follow_up=follow_up, covered=grade.covered, missing=grade.missing,
                      misconceptions=[m.misconception for m in grade.misconceptions],
                      feedback=grade.feedback, penalty=penalty)
