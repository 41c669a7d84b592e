"""Grading answers against reference answers: the Grade record and the graders."""

from interviewer.grading.base import (MAX_ANSWER_CHARS, Grade, Grader, MisconceptionHit,
                                      PointVerdict, Span)

__all__ = ["MAX_ANSWER_CHARS", "Grade", "Grader", "MisconceptionHit", "PointVerdict", "Span"]
