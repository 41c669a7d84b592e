"""Fit the offline grader's score calibration on the TRAIN split only.

"curated" grades the train rows with the knowledge base's rubric; "generic" grades them
with the rubric stripped (key points derived from the reference), which is how users' own
question banks and external data are graded. The extra answers of ordinary candidates to
train questions (evals/data/extra/ordinary-train.jsonl) feed only a gated generic map, which
is not the shipped one. Which map each mode uses was chosen with `python -m evals select`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from evals.dataset import Item, generic
from interviewer.grading.calibration import (GATE, HIDDEN, INPUTS, L2, MODEL_KIND, QUALITY,
                                            SEEDS, fit, fit_gated, fit_linear)
from interviewer.grading.features import FEATURES
from interviewer.grading.offline import OfflineGrader


def feature_matrix(grader: OfflineGrader, items: list[Item], strip: bool) -> np.ndarray:
    rows = []
    for it in items:
        q = generic(it.question) if strip else it.question
        rows.append(grader.analyze(q, it.row.answer)[1].vector())
    return np.array(rows)


def _fit_mode(grader: OfflineGrader, items: list[Item], mode: str, kind: str) -> dict:
    inputs = QUALITY + GATE if kind == "gated" else INPUTS[mode]
    cols = [FEATURES.index(f) for f in inputs]
    x = feature_matrix(grader, items, strip=mode == "generic")[:, cols]
    gold = np.array([it.row.gold for it in items])
    if kind == "gated":
        cats = np.array([str(it.row.extras.get("category", "")) for it in items])
        return fit_gated(x, gold, cats).to_dict()
    return (fit if kind == "mlp" else fit_linear)(x, gold, inputs).to_dict()


def fit_calibration(grader: OfflineGrader, items: list[Item], dataset: str,
                    extra: Sequence[Item] = (), extra_dataset: str = "",
                    generic_kind: str = MODEL_KIND["generic"]) -> dict:
    """Fit both modes; returns the calibration document. The extra ordinary answers feed the
    gated generic map only (see select.py); the shipped maps are fitted on train alone."""
    uses_extra = generic_kind == "gated"
    models = {"curated": _fit_mode(grader, items, "curated", MODEL_KIND["curated"]),
              "generic": _fit_mode(grader, list(items) + list(extra) if uses_extra else items,
                                   "generic", generic_kind)}
    return {"fitted_on": dataset, "rows": len(items),
            "generic_also_on": extra_dataset if uses_extra else "",
            "hidden": HIDDEN, "l2": L2, "seeds": SEEDS,
            "selected_by": "python -m evals select: 5-fold CV grouped by question within train",
            "questions": len({it.question.id for it in items}), "models": models}


def write_calibration(doc: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return path
