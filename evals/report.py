"""A Markdown report with plots (confusion matrix, predicted vs gold, per-category means)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from evals.metrics import SCALE

TABLE_KEYS = ("n", "qwk", "pearson", "spearman", "mae", "rmse", "exact", "within_1",
              "mean_gold", "mean_predicted")


def _fmt(v) -> str:
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def _table(groups: dict[str, dict]) -> list[str]:
    lines = ["| group | " + " | ".join(TABLE_KEYS) + " |",
             "|---" * (len(TABLE_KEYS) + 1) + "|"]
    for name, m in groups.items():
        lines.append(f"| {name} | " + " | ".join(_fmt(m[k]) for k in TABLE_KEYS) + " |")
    return lines


def _plots(report: dict, out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    items = report["items"]
    g = np.array([i["gold"] for i in items])
    p = np.array([i["predicted"] for i in items])
    gi, pi = (np.clip(np.floor(a + 0.5), 0, SCALE).astype(int) for a in (g, p))
    cm = np.zeros((SCALE + 1, SCALE + 1), int)
    np.add.at(cm, (gi, pi), 1)
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.imshow(cm, cmap="Blues")
    for (r, c), v in np.ndenumerate(cm):
        ax.text(c, r, str(v), ha="center", va="center", fontsize=8)
    ax.set(xlabel="predicted (rounded)", ylabel="gold (rounded)", title="confusion matrix")
    fig.tight_layout(); fig.savefig(out / "confusion.png", dpi=110); plt.close(fig)
    fig, ax = plt.subplots(figsize=(4.5, 4))
    jitter = (np.random.default_rng(0).random(len(g)) - 0.5) * 0.15
    ax.scatter(g + jitter, p, s=8, alpha=0.5)
    ax.plot([0, SCALE], [0, SCALE], "k--", lw=1)
    ax.set(xlabel="gold", ylabel="predicted", title="predicted vs gold")
    fig.tight_layout(); fig.savefig(out / "scatter.png", dpi=110); plt.close(fig)
    names = ["confusion.png", "scatter.png"]
    if report["per_category"]:
        names.append(_category_bars(report["per_category"], out, plt))
    return names


def _category_bars(per: dict, out: Path, plt) -> str:
    cats = list(per)
    x = np.arange(len(cats))
    fig, ax = plt.subplots(figsize=(max(5, len(cats) * 0.9), 3.6))
    ax.bar(x - 0.2, [per[c]["mean_gold"] for c in cats], 0.4, label="gold")
    ax.bar(x + 0.2, [per[c]["mean_predicted"] for c in cats], 0.4, label="predicted")
    ax.set_xticks(x, cats, rotation=30, ha="right")
    ax.set(ylabel="mean score", ylim=(0, SCALE), title="mean score per category")
    ax.legend(); fig.tight_layout(); fig.savefig(out / "categories.png", dpi=110)
    plt.close(fig)
    return "categories.png"


def write_markdown(report: dict, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    pngs = _plots(report, out)
    m = report["metrics"]
    lines = [f"# Grading report: {report['grader']} on `{report['dataset']}`", "",
             *_table({"all": m}), "",
             f"Seconds per answer: {m['seconds_per_answer']:.4f}; fallbacks: {m['fallbacks']}; "
             f"median per-question RMSE: {m['median_question_rmse']:.3f}", ""]
    for title, key in (("Per category", "per_category"), ("Per topic", "per_topic")):
        if report[key]:
            lines += [f"## {title}", "", *_table(report[key]), ""]
    lines += ["## Plots", ""] + [f"![{n[:-4]}]({n})" for n in pngs]
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
