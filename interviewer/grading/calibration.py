"""The calibrated map from grading features to the 0-5 scale.

One model per mode ("curated": rubric from the knowledge base; "generic": key points derived
from a bare reference), over features computed from the entailment model's verdicts
(features.FEATURES). Kinds: a linear map 5 * sigmoid(w . x + b); a tiny MLP ensemble (inputs
standardised, one tanh hidden layer, output 5 * sigmoid, averaged over fixed seeds); a gated
map. The parameters are fitted on answers to train questions only (`python -m evals fit`)
and shipped as `calibration.json` beside this module; the package falls back to a hand-set
linear prior if the file is absent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Protocol

import numpy as np

from interviewer.grading.features import FEATURES

CALIBRATION_FILE = "calibration.json"
# Prior, used until a fit exists: entailed points raise the score, reversed points, asserted
# misconceptions and keyword lists lower it.
_PRIOR = {f: 0.0 for f in FEATURES} | {"entailed": 6.0, "covered_frac": 2.0,
                                        "contradicted": -4.0, "max_contradicted": -2.0,
                                        "misconception": -3.0, "stuffing": -3.0}
# Inputs per mode; generic mode has no curated misconceptions.
INPUTS = {
    "curated": FEATURES,
    "generic": tuple(f for f in FEATURES if f != "misconception"),
}
# Generic mode's gated map (a candidate of `python -m evals select`): how good an honest
# answer is (quality), times whether it is an answer at all (gate).
QUALITY = ("entailed", "covered_frac", "max_entailed", "min_entailed", "length")
GATE = ("stuffing", "contradicted", "max_contradicted", "entailed", "code_frac")
HONEST = ("full", "verbose_correct", "partial", "code_only", "ordinary", "spoken_correct",
          "spoken_partial", "spoken_wrong")
# Categories the gate is not fitted on (it would learn to punish middling honest answers).
UNSEEN_GENERIC = ("misconception",)
HIDDEN, L2, SEEDS = 8, 0.01, 5
# The score map per mode: see evals/README.md ("Score map").
MODEL_KIND = {"curated": "mlp", "generic": "linear"}


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -60.0, 60.0)))


class ScoreModel(Protocol):
    def score(self, features: dict[str, float]) -> float: ...

    def to_dict(self) -> dict: ...


@dataclass(frozen=True)
class LinearModel:
    """score = 5 * sigmoid(w . features + b): generic mode, and the prior."""

    weights: dict[str, float]
    bias: float

    def score(self, features: dict[str, float]) -> float:
        z = self.bias + sum(w * features[f] for f, w in self.weights.items())
        return float(5.0 * _sigmoid(np.float64(z)))

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Rows of `x` hold the features in the order of `weights`."""
        return 5.0 * _sigmoid(np.atleast_2d(x) @ np.array(list(self.weights.values()))
                              + self.bias)

    def to_dict(self) -> dict:
        return {"kind": "linear", "weights": {k: round(v, 6) for k, v in self.weights.items()},
                "bias": round(self.bias, 6)}


@dataclass(frozen=True)
class Net:
    w1: np.ndarray  # (inputs, hidden)
    b1: np.ndarray
    w2: np.ndarray
    b2: float

    def __call__(self, z: np.ndarray) -> np.ndarray:
        return 5.0 * _sigmoid(np.tanh(z @ self.w1 + self.b1) @ self.w2 + self.b2)


@dataclass(frozen=True)
class MLPModel:
    """The mean of a few one-hidden-layer nets over standardised inputs."""

    inputs: tuple[str, ...]
    mean: np.ndarray
    std: np.ndarray
    nets: tuple[Net, ...]

    def predict(self, x: np.ndarray) -> np.ndarray:
        z = (np.atleast_2d(x) - self.mean) / self.std
        return np.mean([net(z) for net in self.nets], axis=0)

    def score(self, features: dict[str, float]) -> float:
        return float(self.predict(np.array([features[f] for f in self.inputs]))[0])

    def to_dict(self) -> dict:
        r = lambda a: np.round(np.asarray(a, np.float64), 6).tolist()  # noqa: E731
        return {"kind": "mlp", "inputs": list(self.inputs), "mean": r(self.mean),
                "std": r(self.std), "nets": [{"w1": r(n.w1), "b1": r(n.b1), "w2": r(n.w2),
                                              "b2": round(float(n.b2), 6)} for n in self.nets]}

    @classmethod
    def from_dict(cls, d: dict) -> "MLPModel":
        nets = tuple(Net(np.array(n["w1"]), np.array(n["b1"]), np.array(n["w2"]),
                         float(n["b2"])) for n in d["nets"])
        return cls(tuple(d["inputs"]), np.array(d["mean"]), np.array(d["std"]), nets)


@dataclass(frozen=True)
class GatedModel:
    """score = 5 * sigmoid(w . zq + b) * sigmoid(v . za + c) over standardised inputs."""

    quality: tuple[str, ...]
    gate: tuple[str, ...]
    mean: np.ndarray  # over quality + gate inputs
    std: np.ndarray
    w: np.ndarray
    b: float
    v: np.ndarray
    c: float

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.quality + self.gate

    def predict(self, x: np.ndarray) -> np.ndarray:
        z = (np.atleast_2d(x) - self.mean) / self.std
        n = len(self.quality)
        return 5.0 * _sigmoid(z[:, :n] @ self.w + self.b) * _sigmoid(z[:, n:] @ self.v + self.c)

    def score(self, features: dict[str, float]) -> float:
        return float(self.predict(np.array([features[f] for f in self.inputs]))[0])

    def to_dict(self) -> dict:
        r = lambda a: np.round(np.asarray(a, np.float64), 6).tolist()  # noqa: E731
        return {"kind": "gated", "quality": list(self.quality), "gate": list(self.gate),
                "mean": r(self.mean), "std": r(self.std), "w": r(self.w),
                "b": round(self.b, 6), "v": r(self.v), "c": round(self.c, 6)}

    @classmethod
    def from_dict(cls, d: dict) -> "GatedModel":
        return cls(tuple(d["quality"]), tuple(d["gate"]), np.array(d["mean"]),
                   np.array(d["std"]), np.array(d["w"]), float(d["b"]), np.array(d["v"]),
                   float(d["c"]))


def prior(mode: str) -> ScoreModel:
    return LinearModel(dict(_PRIOR), -3.0)


def _load(d: dict) -> ScoreModel:
    if d.get("kind") == "mlp":
        return MLPModel.from_dict(d)
    if d.get("kind") == "gated":
        return GatedModel.from_dict(d)
    return LinearModel({f: float(d["weights"].get(f, 0.0)) for f in FEATURES}, float(d["bias"]))


def load_models(path=None) -> dict[str, ScoreModel]:
    """The calibration at `path`; by default the shipped one, or the priors when none was
    fitted yet."""
    if path is not None and not path.is_file():
        from interviewer.errors import InputError

        raise InputError("no such calibration file", where=str(path))
    path = path or resources.files("interviewer.grading").joinpath(CALIBRATION_FILE)
    if not path.is_file():
        return {m: prior(m) for m in ("curated", "generic")}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {mode: _load(d) for mode, d in data["models"].items()}


def _net_loss(theta: np.ndarray, z: np.ndarray, y: np.ndarray, hidden: int, l2: float,
              weight: np.ndarray):
    """Weighted mean squared error on the 0-5 scale + L2 on the weights, and its gradient
    (`weight` sums to 1 over the rows)."""
    k = z.shape[1]
    w1, b1 = theta[:k * hidden].reshape(k, hidden), theta[k * hidden:(k + 1) * hidden]
    w2, b2 = theta[(k + 1) * hidden:(k + 2) * hidden], theta[-1]
    h = np.tanh(z @ w1 + b1)
    s = _sigmoid(h @ w2 + b2)
    err = 5.0 * s - y
    dz = err * 5.0 * s * (1.0 - s) * 2.0 * weight
    dh = np.outer(dz, w2) * (1.0 - h ** 2)
    grad = np.concatenate([(z.T @ dh + 2 * l2 * w1).ravel(), dh.sum(0),
                           h.T @ dz + 2 * l2 * w2, [dz.sum()]])
    return float(weight @ err ** 2 + l2 * (np.sum(w1 ** 2) + w2 @ w2)), grad


def _fit_net(z: np.ndarray, y: np.ndarray, seed: int, hidden: int, l2: float,
             weight: np.ndarray) -> Net:
    from scipy.optimize import minimize

    k = z.shape[1]
    theta0 = np.random.default_rng(seed).normal(0.0, 0.3, (k + 2) * hidden + 1)
    res = minimize(_net_loss, theta0, args=(z, y, hidden, l2, weight), jac=True, method="L-BFGS-B",
                   options={"maxiter": 2000})
    t = res.x
    return Net(t[:k * hidden].reshape(k, hidden), t[k * hidden:(k + 1) * hidden],
               t[(k + 1) * hidden:(k + 2) * hidden], float(t[-1]))


def fit_linear(x: np.ndarray, y: np.ndarray, inputs: tuple[str, ...] = FEATURES,
               l2: float = L2) -> LinearModel:
    """score = 5 * sigmoid(w . x + b), least squares on the 0-5 scale with an L2 penalty;
    deterministic (L-BFGS from zero)."""
    from scipy.optimize import minimize

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[:-1], theta[-1]
        s = _sigmoid(x @ w + b)
        err = 5.0 * s - y
        d = err * 5.0 * s * (1.0 - s) * 2.0 / len(y)
        grad = np.append(x.T @ d + 2.0 * l2 * w, d.sum())
        return float(np.mean(err ** 2) + l2 * np.sum(w ** 2)), grad

    res = minimize(loss, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B")
    return LinearModel({f: float(v) for f, v in zip(inputs, res.x[:-1])}, float(res.x[-1]))


def fit(x: np.ndarray, y: np.ndarray, inputs: tuple[str, ...] = FEATURES,
        hidden: int = HIDDEN, l2: float = L2, seeds: int = SEEDS,
        weight: np.ndarray | None = None) -> MLPModel:
    """Fit the MLP ensemble on rows `x` (columns = `inputs`), optionally weighting rows;
    deterministic (fixed seeds)."""
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = (x - mean) / std
    w = np.ones(len(y)) if weight is None else np.asarray(weight, np.float64)
    nets = tuple(_fit_net(z, y, s, hidden, l2, w / w.sum()) for s in range(seeds))
    return MLPModel(tuple(inputs), mean, std, nets)


def fit_gated(x: np.ndarray, y: np.ndarray, categories: np.ndarray,
              quality: tuple[str, ...] = QUALITY, gate: tuple[str, ...] = GATE,
              l2: float = L2) -> GatedModel:
    """Two stages on rows `x` (columns = quality + gate) labelled with `categories`: the
    quality map by least squares on the HONEST rows only, then, with it fixed, the gate on
    every row whose category is not in UNSEEN_GENERIC."""
    from scipy.optimize import minimize

    honest, gate_rows = np.isin(categories, HONEST), ~np.isin(categories, UNSEEN_GENERIC)
    mean, std = x[honest].mean(axis=0), x[honest].std(axis=0) + 1e-6
    z = (x - mean) / std
    n = len(quality)
    zq = z[:, :n]
    lin = fit_linear(zq[honest], y[honest], quality, l2)
    w, b = np.array([lin.weights[f] for f in quality]), lin.bias
    q = 5.0 * _sigmoid(zq[gate_rows] @ w + b)
    za, yg = z[gate_rows][:, n:], y[gate_rows]

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        g = _sigmoid(za @ theta[:-1] + theta[-1])
        err = q * g - yg
        d = 2.0 * err * q * g * (1.0 - g) / len(yg)
        return (float(np.mean(err ** 2) + l2 * theta[:-1] @ theta[:-1]),
                np.append(za.T @ d + 2.0 * l2 * theta[:-1], d.sum()))

    theta0 = np.append(np.zeros(len(gate)), 3.0)  # start fully open
    t = minimize(loss, theta0, jac=True, method="L-BFGS-B").x
    return GatedModel(quality, gate, mean, std, w, b, t[:-1], float(t[-1]))
