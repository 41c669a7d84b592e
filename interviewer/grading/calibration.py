"""The calibrated map from grading features to the 0-5 scale.

score = 5 * sigmoid(w . features + b), one (w, b) per mode ("curated": rubric from the
knowledge base; "generic": key points derived from a bare reference). The parameters are
fitted on the train split only (`python -m evals fit`) and shipped as `calibration.json`
beside this module; the package falls back to hand-set priors if the file is absent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

import numpy as np

from interviewer.grading.features import FEATURES

CALIBRATION_FILE = "calibration.json"
# Priors, used until a fit exists: coverage and meaning matter, stuffing/injection hurt.
_PRIOR = dict(zip(FEATURES, (6.0, 2.0, 2.0, 2.0, 1.0, -3.0, -3.0, -3.0, -6.0, 1.0, 2.0)))


@dataclass(frozen=True)
class ScoreModel:
    weights: dict[str, float]
    bias: float

    def score(self, features: dict[str, float]) -> float:
        z = self.bias + sum(w * features[f] for f, w in self.weights.items())
        return float(5.0 / (1.0 + np.exp(-z)))

    def to_dict(self) -> dict:
        return {"weights": {k: round(v, 6) for k, v in self.weights.items()},
                "bias": round(self.bias, 6)}


def prior(mode: str) -> ScoreModel:
    return ScoreModel(dict(_PRIOR), -4.5)


def load_models() -> dict[str, ScoreModel]:
    """The shipped calibration, or the priors when none was fitted yet."""
    path = resources.files("interviewer.grading").joinpath(CALIBRATION_FILE)
    if not path.is_file():
        return {m: prior(m) for m in ("curated", "generic")}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {mode: ScoreModel({f: float(d["weights"].get(f, 0.0)) for f in FEATURES},
                             float(d["bias"])) for mode, d in data["models"].items()}


def fit(x: np.ndarray, y: np.ndarray, l2: float = 0.01) -> ScoreModel:
    """Least squares on the 0-5 scale with an L2 penalty; deterministic (L-BFGS from zero)."""
    from scipy.optimize import minimize

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[:-1], theta[-1]
        s = 1.0 / (1.0 + np.exp(-(x @ w + b)))
        err = 5.0 * s - y
        d = err * 5.0 * s * (1.0 - s) * 2.0 / len(y)
        grad = np.append(x.T @ d + 2.0 * l2 * w, d.sum())
        return float(np.mean(err ** 2) + l2 * np.sum(w ** 2)), grad

    res = minimize(loss, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B")
    w, b = res.x[:-1], float(res.x[-1])
    return ScoreModel({f: float(v) for f, v in zip(FEATURES, w)}, b)
