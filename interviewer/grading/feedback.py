"""Short feedback for the candidate, written from the verdicts: what was right, what was
missing, what was wrong. Deterministic; the LLM grader may replace it with its own words.
"""

from __future__ import annotations

from collections.abc import Sequence

from interviewer.grading.base import MisconceptionHit, PointVerdict

MAX_ITEMS = 3


def _clip(s: str, n: int = 140) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 1] + "…"


def _list(items: Sequence[str]) -> str:
    shown = [_clip(i).rstrip(".") for i in items[:MAX_ITEMS]]
    more = len(items) - len(shown)
    return "; ".join(shown) + (f" (and {more} more)" if more > 0 else "") + "."


def write_feedback(points: Sequence[PointVerdict], hits: Sequence[MisconceptionHit],
                   notes: Sequence[str] = ()) -> str:
    """Three short parts: right / missing / wrong, plus notes (e.g. ignored instructions)."""
    covered = [p.point for p in points if p.verdict == "covered"]
    partial = [p.point for p in points if p.verdict == "partial"]
    missing = [p.point for p in points if p.verdict == "missing"]
    parts = []
    if covered:
        parts.append("Right: " + _list(covered))
    if partial:
        parts.append("Only partly explained: " + _list(partial))
    if missing:
        parts.append("Missing: " + _list(missing))
    if hits:
        parts.append("Wrong: " + _list([h.misconception for h in hits]))
    parts.extend(notes)
    return " ".join(parts) or "No answer to grade."
