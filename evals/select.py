"""Choose a mode's score map by cross-validation on TRAIN questions only.

`python -m evals select --mode generic [--extra evals/data/extra/ordinary-train.jsonl]`
grades every train row (and the extra rows, which are answers to train questions too) in the
given mode, then runs 5-fold cross-validation grouped by question over a fixed list of
candidate score maps and writes each candidate's out-of-fold numbers to a JSON report.

The rule that picks the winner is fixed here, before any candidate is run, so that nothing
held out (dev, Mohler) takes part in the choice:

1. A candidate is admissible when its out-of-fold mean score is <= 1.0 for every adversarial
   category it can detect (keyword_stuffing, injection, off_topic; in curated mode also
   negation_trap) and >= 4.0 for full answers: the product's guarantees.
2. Among admissible candidates the winner has the highest out-of-fold Pearson on honest
   answers (categories full, verbose_correct, partial, code_only, ordinary): telling better
   honest answers from worse ones is what generic mode is for.
3. A candidate within 0.005 of the best is preferred when it is simpler (earlier in the
   list).

Revision (made after the first generic run, on train CV numbers only): rule 1 first required
negation_trap <= 1.0 in generic mode too. Only the train-only MLP met it, by scoring every
middling honest answer low (honest Pearson 0.48; ordinary answers predicted 1.85 against gold
3.41): a reference alone gives no signal that tells a reversed statement from a middling
honest answer (`feature_means_by_category` in the report). Generic mode now reports negation traps and
misconceptions without gating on them; curated mode, whose rubrics carry the contrasts and
misconceptions, keeps the condition.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evals.dataset import Item
from evals.fit import feature_matrix
from evals.metrics import metrics
from interviewer.grading.calibration import (GATE, HONEST, INPUTS, QUALITY, fit, fit_gated,
                                            fit_linear)
from interviewer.grading.features import FEATURES
from interviewer.grading.offline import OfflineGrader

ADVERSARIAL = {"curated": ("keyword_stuffing", "injection", "negation_trap", "off_topic"),
               "generic": ("keyword_stuffing", "injection", "off_topic")}
FOLDS, TIE = 5, 0.005


@dataclass(frozen=True)
class Candidate:
    name: str
    inputs: tuple[str, ...]
    extra: float  # weight of the extra (ordinary) rows in the fit; 0: train rows only
    fitter: Callable[..., object]  # (x, y, inputs, cats, row weights) -> model


def _linear(x, y, inputs, cats, weight):
    return fit_linear(x, y, inputs)


def _mlp(l2: float):
    return lambda x, y, inputs, cats, weight: fit(x, y, inputs, l2=l2, weight=weight)


def _gated(x, y, inputs, cats, weight):
    return fit_gated(x, y, cats)


def candidates(mode: str) -> list[Candidate]:
    """Simplest first (rule 3)."""
    base = INPUTS[mode]
    return [
        Candidate("linear, train", base, 0.0, _linear),
        Candidate("linear, train+extra", base, 1.0, _linear),
        Candidate("mlp, train", base, 0.0, _mlp(0.01)),
        Candidate("mlp, train+extra", base, 1.0, _mlp(0.01)),
        Candidate("mlp l2=0.1, train+extra", base, 1.0, _mlp(0.1)),
        Candidate("gated, train+extra", QUALITY + GATE, 1.0, _gated),
    ]


def folds(question_ids: list[str], k: int = FOLDS) -> np.ndarray:
    """Fold per row: questions sorted by id, dealt round-robin (deterministic)."""
    qs = sorted(set(question_ids), key=lambda q: (len(q), q))
    fold_of = {q: i % k for i, q in enumerate(qs)}
    return np.array([fold_of[q] for q in question_ids])


def out_of_fold(c: Candidate, x: np.ndarray, y: np.ndarray, cats: np.ndarray,
                fold: np.ndarray, is_extra: np.ndarray) -> np.ndarray:
    cols = [FEATURES.index(f) for f in c.inputs]
    pred = np.zeros(len(y))
    for k in range(FOLDS):
        weight = np.where(is_extra, c.extra, 1.0)
        fit_rows = (fold != k) & (weight > 0)
        model = c.fitter(x[fit_rows][:, cols], y[fit_rows], c.inputs, cats[fit_rows],
                         weight[fit_rows])
        test = fold == k
        pred[test] = model.predict(x[test][:, cols])
    return pred


def summarise(y: np.ndarray, pred: np.ndarray, cats: np.ndarray, mode: str) -> dict:
    honest = np.isin(cats, HONEST)
    means = {c: float(pred[cats == c].mean()) for c in sorted(set(cats))}
    admissible = (all(means.get(c, 0.0) <= 1.0 for c in ADVERSARIAL[mode])
                  and means.get("full", 5.0) >= 4.0)
    return {"honest_pearson": metrics(y[honest], pred[honest])["pearson"],
            "all": metrics(y, pred), "mean_by_category": means, "admissible": admissible}


def choose(results: list[dict]) -> str:
    ok = [r for r in results if r["admissible"]]
    if not ok:
        raise SystemExit("no admissible candidate")
    best = max(r["honest_pearson"] for r in ok)
    return next(r["name"] for r in ok if r["honest_pearson"] >= best - TIE)


def run(grader: OfflineGrader, train: list[Item], extra: list[Item], mode: str) -> dict:
    items = train + extra
    x = feature_matrix(grader, items, strip=mode == "generic")
    y = np.array([it.row.gold for it in items])
    cats = np.array([str(it.row.extras.get("category", "")) for it in items])
    fold = folds([it.question.id for it in items])
    is_extra = np.array([False] * len(train) + [True] * len(extra))
    results = []
    for c in candidates(mode):
        pred = out_of_fold(c, x, y, cats, fold, is_extra)
        results.append({"name": c.name, "inputs": list(c.inputs),
                        **summarise(y, pred, cats, mode)})
        r = results[-1]
        print(f"{c.name:32s} honest r={r['honest_pearson']:.3f} qwk={r['all']['qwk']:.3f} "
              f"mae={r['all']['mae']:.3f} admissible={r['admissible']}", file=sys.stderr)
    means = {c: {f: round(float(v), 3) for f, v in zip(FEATURES, x[cats == c].mean(axis=0))}
             for c in sorted(set(cats))}
    return {"mode": mode, "rows": len(items), "extra_rows": len(extra), "folds": FOLDS,
            "rule": __doc__.split("\n\n")[2:6], "results": results, "chosen": choose(results),
            "feature_means_by_category": means}


def write(doc: dict, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
