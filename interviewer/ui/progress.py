"""Scores as the page shows them outside the chat: the in-session bars, and progress across
sessions. Pure functions of engine data (dicts); no Gradio import."""

from __future__ import annotations

from typing import Any

BAR_WIDTH = 10


def bar(score: float, width: int = BAR_WIDTH) -> str:
    filled = round(width * max(0.0, min(5.0, score)) / 5)
    return "█" * filled + "░" * (width - filled)


def score_bars(rows: list[dict[str, Any]]) -> str:
    """Per-topic scores as a small text bar chart (Markdown), weakest first; empty when
    nothing is scored yet."""
    if not rows:
        return ""
    lines = ["", "", "| topic | score (0–5) |", "| --- | --- |"]
    for r in sorted(rows, key=lambda r: r["score"]):
        lines.append(f"| {r['topic']} | `{bar(r['score'])}` {r['score']:.1f} |")
    return "\n".join(lines)


def timeline_rows(timeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The per-session topic scores for the progress plot: x is the session's number (1 =
    the oldest with a score), one line per topic."""
    order: dict[str, int] = {}
    rows = []
    for r in timeline:
        n = order.setdefault(r["session"], len(order) + 1)
        rows.append({"session": n, "topic": r["name"], "score": float(r["score"])})
    return rows
