"""Fit the offline grader's score calibration on the TRAIN split only.

Both modes are fitted on the same train rows: "curated" grades them with the knowledge
base's rubric, "generic" with the rubric stripped (key points derived from the reference),
which is how users' own question banks and external data are graded.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from evals.dataset import Item
from interviewer.grading.calibration import (CALIBRATION_FILE, HIDDEN, INPUTS, L2, MODEL_KIND,
                                            SEEDS, fit, fit_linear)
from interviewer.grading.features import FEATURES
from interviewer.grading.offline import OfflineGrader
from interviewer.knowledge.models import Question


def generic(q: Question) -> Question:
    return Question(id=q.id, topic=q.topic, question=q.question, reference=q.reference)


def feature_matrix(grader: OfflineGrader, items: list[Item], strip: bool) -> np.ndarray:
    rows = []
    for it in items:
        q = generic(it.question) if strip else it.question
        rows.append(grader.analyze(q, it.row.answer)[1].vector())
    return np.array(rows)


def fit_calibration(grader: OfflineGrader, items: list[Item], dataset: str) -> dict:
    """Fit both modes; returns the calibration document (features, weights, provenance)."""
    gold = np.array([it.row.gold for it in items])
    models = {}
    for mode, strip in (("curated", False), ("generic", True)):
        cols = [FEATURES.index(f) for f in INPUTS[mode]]
        x = feature_matrix(grader, items, strip)[:, cols]
        fitter = fit if MODEL_KIND[mode] == "mlp" else fit_linear
        models[mode] = fitter(x, gold, INPUTS[mode]).to_dict()
    return {"fitted_on": dataset, "rows": len(items), "hidden": HIDDEN, "l2": L2,
            "seeds": SEEDS, "selected_by": "5-fold CV grouped by question within train",
            "questions": len({it.question.id for it in items}), "models": models}


def write_calibration(doc: dict, package_dir: Path) -> Path:
    path = package_dir / CALIBRATION_FILE
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return path
