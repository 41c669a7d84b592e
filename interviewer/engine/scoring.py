"""Scores of items, what stays weak after follow-ups, and the grade event.

How follow-up scores combine with the main question's (also in the report): the item's score
is (2 x main answer + the sum of its counted follow-ups) / (2 + their number). A follow-up
with its own rubric (a curated record, an LLM-written one) counts. Two kinds count only when
they raise the score: a "deeper" follow-up (it goes beyond the question), and a follow-up
graded on the main question's own points (a probe of missed points, a challenge of a wrong
statement): the main answer already lost those points once, so not recovering them must not
take them a second time. Follow-ups asked as conversation (no rubric) are not scored and do
not count. Code counts its best run.
"""

from __future__ import annotations

from interviewer.engine.events import GradeReady
from interviewer.engine.state import MAX_SCORE, Item
from interviewer.grading.base import Grade
from interviewer.grading.feedback import (by_verdict, explain, misconception_text,
                                          relevant_hits)

COMBINE_RULE = ("Each question's score is (2 x your main answer + each counted follow-up) / "
                "(2 + the number of counted follow-ups). A follow-up that goes deeper, or that "
                "asks again about points your main answer missed or got wrong, counts only "
                "when it raises the score; follow-ups asked for discussion are not scored.")


def item_score(item: Item) -> float | None:
    scores = [a.score for a in item.attempts if a.score is not None]
    if not scores:
        return None
    if item.kind == "exercise":
        return max(scores)
    main = [a.score for a in item.attempts if a.kind == "main" and a.score is not None]
    if not main:
        return round(sum(scores) / len(scores), 2)
    follow = [a.score for a in item.attempts if a.kind == "follow_up" and a.score is not None
              and (not _only_if_higher(a) or a.score > main[0])]
    return round((2 * main[0] + sum(follow)) / (2 + len(follow)), 2)


def _only_if_higher(attempt) -> bool:
    """A deeper follow-up, or one graded on the main question's own points (a probe)."""
    return attempt.focus == "deeper" or (attempt.rubric or "").endswith(":probe")


def grade_event(item: Item, grade: Grade, score: float, penalty: float,
                follow_up: bool) -> GradeReady:
    """The grade as the candidate sees it: feedback written from the verdicts (each point
    once, praise by score) and wrong statements in words, never a grader's label."""
    points = [p.point for p in grade.points]
    hits = relevant_hits(grade.points, grade.misconceptions)
    verdicts = by_verdict(grade)
    return GradeReady(question_id=item.ref_id, score=score, max_score=MAX_SCORE,
                      follow_up=follow_up, covered=verdicts["covered"],
                      missing=verdicts["missing"], partial=verdicts["partial"],
                      misconceptions=[misconception_text(h, points) for h in hits],
                      feedback=explain(grade, score), penalty=penalty)
