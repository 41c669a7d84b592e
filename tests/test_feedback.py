"""Feedback written from the verdicts: each key point once under the verdict it got, praise
only from 2.5 up, wrong statements in the candidate's words, never a grader's label, and no
complaint about a point the grader judged covered."""

from __future__ import annotations

import pytest

from interviewer.grading.base import Grade, MisconceptionHit, PointVerdict, Span
from interviewer.grading.feedback import by_verdict, explain, opener, write_feedback

A, B, C = "view() never copies.", "reshape() copies only when needed.", "-1 is inferred."


def grade(points, hits=(), score=3.0, **details):
    return Grade(score, tuple(PointVerdict(p, v) for p, v in points), tuple(hits), "", "t",
                 details=details)


def test_each_point_once_under_its_best_verdict():
    g = grade([(A, "missing"), (A, "partial"), (B, "covered"), (C, "missing")])
    assert by_verdict(g) == {"covered": [B], "partial": [A], "missing": [C]}
    text = write_feedback(g.points, ())
    assert text.count("view() never copies") == 1 and "Not covered: -1 is inferred" in text


@pytest.mark.parametrize("score,praise", [(0.0, False), (1.2, False), (2.4, False),
                                          (2.5, True), (3.9, True), (4.8, True)])
def test_praise_words_follow_the_score(score, praise):
    said = explain(grade([(A, "covered"), (B, "missing")], score=score), score)
    has = any(w in said for w in ("Excellent", "Good", "fair"))
    assert has == praise


def test_low_score_opener_still_agrees_with_the_verdicts():
    assert "Some of this is right" in opener(1.5, covered_share=2 / 3)
    assert "doesn't address" in opener(0.2, covered_share=0.0)


@pytest.mark.parametrize("score", [1.2, 2.4, 3.3])
def test_an_answer_covering_every_point_is_not_told_it_has_gaps(score):
    """Seen in the page: 4 of 4 follow-up points covered, 3.3/5, "A fair answer, with gaps."
    with no gap listed."""
    said = opener(score, covered_share=1.0)
    assert "gaps" not in said and "misses" not in said and "Every key point is there" in said


def test_a_reversal_is_quoted_without_its_label_and_dropped_when_covered():
    hit = MisconceptionHit(f"Reverses: {A}", Span(0, 12, "view() copies"))
    missing = explain(grade([(A, "missing"), (B, "covered")], [hit], score=2.0), 2.0)
    assert '"view() copies"' in missing and "opposite" in missing
    assert "Reverses" not in missing
    covered = explain(grade([(A, "covered"), (B, "covered")], [hit], score=4.9), 4.9)
    assert "opposite" not in covered and "Reverses" not in covered


def test_a_rubric_misconception_and_an_injection_note():
    hit = MisconceptionHit("view() always copies.", Span(0, 9, "it copies"))
    said = explain(grade([(A, "missing")], [hit], score=0.5, injection=True), 0.5)
    assert '"it copies"' in said and "common mistake" in said and "ignored" in said


def test_no_praise_when_nothing_was_covered_whatever_the_score():
    said = explain(grade([(A, "missing"), (B, "missing")], score=2.6), 2.6)
    assert not any(w in said for w in ("Excellent", "Good", "fair"))
