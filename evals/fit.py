"""Fit the offline grader's score calibration on answers to TRAIN questions only.

"curated" grades the rows with the knowledge base's rubric; "generic" grades them with the
rubric stripped (key points derived from the reference), which is how users' own question
banks and external data are graded. Rows: the train split plus the extra answers to train
questions (ordinary candidates, and the spoken-register set when present). The entailment
model's verdicts are the inputs (features.FEATURES); which map each mode uses is
calibration.MODEL_KIND (see `python -m evals select`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from evals.dataset import Item, generic
from interviewer.grading.calibration import (HIDDEN, INPUTS, L2, MODEL_KIND, QUALITY, GATE,
                                            SEEDS, fit, fit_gated, fit_linear)
from interviewer.grading.features import FEATURES
from interviewer.grading.offline import OfflineGrader


def feature_matrix(grader: OfflineGrader, items: list[Item], strip: bool) -> np.ndarray:
    rows = []
    for it in items:
        q = generic(it.question) if strip else it.question
        rows.append(grader.analyze(q, it.row.answer)[1].vector())
    return np.array(rows)


def fit_mode(x: np.ndarray, items: list[Item], mode: str, kind: str) -> dict:
    """Fit one mode's map on the feature matrix `x` (columns = FEATURES)."""
    inputs = QUALITY + GATE if kind == "gated" else INPUTS[mode]
    cols = [FEATURES.index(f) for f in inputs]
    gold = np.array([it.row.gold for it in items])
    if kind == "gated":
        cats = np.array([str(it.row.extras.get("category", "")) for it in items])
        return fit_gated(x[:, cols], gold, cats).to_dict()
    return (fit if kind == "mlp" else fit_linear)(x[:, cols], gold, inputs).to_dict()


def fit_calibration(grader: OfflineGrader, items: list[Item], datasets: Sequence[str],
                    generic_kind: str = MODEL_KIND["generic"]) -> dict:
    """Fit both modes on `items` (answers to train questions); the calibration document."""
    kinds = {"curated": MODEL_KIND["curated"], "generic": generic_kind}
    models = {mode: fit_mode(feature_matrix(grader, items, strip=mode == "generic"), items,
                             mode, kind) for mode, kind in kinds.items()}
    return {"fitted_on": list(datasets), "rows": len(items),
            "model": grader.model.manifest.get("sha256", ""),
            "hidden": HIDDEN, "l2": L2, "seeds": SEEDS,
            "questions": len({it.question.id for it in items}), "models": models}


def write_calibration(doc: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return path
