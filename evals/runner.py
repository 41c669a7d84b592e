"""Grade every row of a dataset and compute the report: metrics overall, per category and
per topic, and one item per row (gold, predicted, and the row's own extra fields)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from evals.dataset import Item
from evals.metrics import grouped, median_group_rmse, metrics
from interviewer.grading.base import Grader
from interviewer.grading.feedback import relevant_hits


def progress(total: int, label: str) -> tuple[Callable[[], None], Callable[[], None]]:
    """A tqdm bar on stderr when it is a terminal; otherwise no output at all."""
    if not sys.stderr.isatty():
        return (lambda: None), (lambda: None)
    from tqdm import tqdm

    bar = tqdm(total=total, desc=label, unit="answer", file=sys.stderr)
    return (lambda: bar.update(1)), bar.close


def grade_items(grader: Grader, items: list[Item], warmup: bool = True) -> list[dict]:
    if warmup and items:  # load the model outside the timed loop
        grader.grade(items[0].question, "warm-up")
    tick, close = progress(len(items), f"grading ({grader.name})")
    out = []
    try:
        for it in items:
            t0 = time.perf_counter()
            g = grader.grade(it.question, it.row.answer)
            out.append(_item(it, g, time.perf_counter() - t0))
            tick()
    finally:
        close()
    return out


def _item(it: Item, g, seconds: float) -> dict:
    row = it.row
    return {**row.extras, "id": row.id, "question_id": row.question_id or it.question.id,
            "topic": row.extras.get("topic") or it.question.topic,
            "mode": "curated" if it.question.curated else "generic",
            "gold": round(row.gold, 4), "predicted": g.score, "grader": g.grader,
            "fallback": g.fallback, "seconds": round(seconds, 5),
            "verdicts": {p.point: p.verdict for p in g.points},
            "misconceptions": [m.misconception for m in g.misconceptions],
            # what the candidate is told is wrong in the answer (feedback, challenges)
            "warned": len(relevant_hits(g.points, g.misconceptions))}


def build_report(items: list[dict], dataset: str, grader: str) -> dict:
    gold = [i["gold"] for i in items]
    pred = [i["predicted"] for i in items]
    m = metrics(gold, pred)
    m["median_question_rmse"] = median_group_rmse(items)
    m["seconds_per_answer"] = sum(i["seconds"] for i in items) / max(1, len(items))
    m["fallbacks"] = sum(bool(i["fallback"]) for i in items)
    doc = {"dataset": dataset, "grader": grader, "metrics": m,
           "per_category": grouped(items, "category"), "per_topic": grouped(items, "topic"),
           "items": items}
    for cat, cm in doc["per_category"].items():  # share of answers told of a wrong statement
        mine = [i for i in items if i.get("category") == cat]
        cm["warned"] = round(sum(i.get("warned", 0) > 0 for i in mine) / len(mine), 3)
    return doc
