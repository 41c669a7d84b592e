"""Agreement metrics on the 0-5 scale (numpy/scipy only)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np
from scipy.stats import pearsonr, spearmanr

SCALE = 5


def quadratic_weighted_kappa(gold: Sequence[float], pred: Sequence[float], k: int = SCALE) -> float:
    """QWK of scores rounded (half up) to the integers 0..k."""
    g = np.clip(np.floor(np.asarray(gold, float) + 0.5), 0, k).astype(int)
    p = np.clip(np.floor(np.asarray(pred, float) + 0.5), 0, k).astype(int)
    observed = np.zeros((k + 1, k + 1))
    np.add.at(observed, (g, p), 1)
    expected = np.outer(observed.sum(1), observed.sum(0)) / max(1, len(g))
    idx = np.arange(k + 1)
    weights = (idx[:, None] - idx[None, :]) ** 2 / k ** 2
    denom = float((weights * expected).sum())
    return 1.0 - float((weights * observed).sum()) / denom if denom else float("nan")


def _corr(fn, g: np.ndarray, p: np.ndarray) -> float:
    if len(g) < 2 or np.std(g) == 0 or np.std(p) == 0:
        return float("nan")
    return float(fn(g, p)[0])


def metrics(gold: Sequence[float], pred: Sequence[float]) -> dict[str, float]:
    g, p = np.asarray(gold, float), np.asarray(pred, float)
    err = p - g
    return {
        "n": int(len(g)),
        "qwk": quadratic_weighted_kappa(g, p),
        "pearson": _corr(pearsonr, g, p),
        "spearman": _corr(spearmanr, g, p),
        "mae": float(np.mean(np.abs(err))),
        "rmse": float(np.sqrt(np.mean(err ** 2))),
        "exact": float(np.mean(np.floor(g + 0.5) == np.floor(p + 0.5))),
        "within_1": float(np.mean(np.abs(err) <= 1.0)),
        "mean_gold": float(np.mean(g)),
        "mean_predicted": float(np.mean(p)),
    }


def grouped(items: list[dict], key: str) -> dict[str, dict[str, float]]:
    """The same metrics per value of `key` (e.g. category, topic) where items carry it."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for it in items:
        if it.get(key) is not None:
            groups[str(it[key])].append(it)
    return {k: metrics([i["gold"] for i in v], [i["predicted"] for i in v])
            for k, v in sorted(groups.items())}


def median_group_rmse(items: list[dict], key: str = "question_id") -> float:
    per = grouped(items, key)
    return float(np.median([m["rmse"] for m in per.values()])) if per else float("nan")
