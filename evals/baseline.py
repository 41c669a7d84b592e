"""The regression gate: a run fails when a metric is worse than the committed baseline by
more than its tolerance. `python -m evals baseline` rewrites the baseline deliberately."""

from __future__ import annotations

import json
import math
from pathlib import Path

# metric -> (direction, tolerance). Higher is better for +1, lower for -1.
GATED = {"qwk": (+1, 0.02), "pearson": (+1, 0.02), "spearman": (+1, 0.02),
         "exact": (+1, 0.03), "within_1": (+1, 0.02), "mae": (-1, 0.03), "rmse": (-1, 0.03)}


def baseline_doc(report: dict) -> dict:
    m = report["metrics"]
    return {"dataset": report["dataset"], "grader": report["grader"],
            "tolerance": {k: t for k, (_, t) in GATED.items()},
            "metrics": {k: round(m[k], 4) for k in GATED}}


def compare(metrics: dict, baseline: dict) -> list[str]:
    """Human-readable regressions; empty when the run is within tolerance everywhere."""
    problems = []
    if not baseline.get("metrics"):
        return ["the baseline has no metrics: refusing to gate against nothing"]
    for name, (direction, default_tol) in GATED.items():
        if name not in baseline["metrics"]:
            continue
        base, now = baseline["metrics"][name], metrics.get(name)
        tol = baseline.get("tolerance", {}).get(name, default_tol)
        if now is None or not math.isfinite(now):
            problems.append(f"{name}: {now} is not a number (baseline {base:.4f})")
        elif (base - now) * direction > tol:
            problems.append(f"{name}: {now:.4f} vs baseline {base:.4f} (tolerance {tol})")
    return problems


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def save(doc: dict, path: Path) -> None:
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
