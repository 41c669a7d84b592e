"""SemEval-2013 Task 7, 3-way: the entailment model alone on the test splits (it trains on
the train split only). `python -m evals semeval [--data PATH] [--out REPORT.json]`.

Each student answer is the premise and the question's reference answer the hypothesis;
correct -> entailed, contradictory -> contradicted, incorrect -> missing, as in training.
Reported per corpus and split: accuracy, macro-F1 and weighted-F1 (the task's metrics).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from evals.grader_data import SEMEVAL_LABEL, semeval_rows
from interviewer.grading.entail import EntailmentModel

TEST_SPLITS = ("test-unseen-answers", "test-unseen-questions", "test-unseen-domains")
BATCH = 64


def f1_scores(gold: np.ndarray, pred: np.ndarray, k: int = 3) -> dict[str, float]:
    f1s, support = [], []
    for c in range(k):
        tp = np.sum((pred == c) & (gold == c))
        p = tp / max(1, np.sum(pred == c))
        r = tp / max(1, np.sum(gold == c))
        f1s.append(0.0 if p + r == 0 else 2 * p * r / (p + r))
        support.append(np.sum(gold == c))
    return {"n": int(len(gold)), "accuracy": float(np.mean(gold == pred)),
            "macro_f1": float(np.mean(f1s)),
            "weighted_f1": float(np.average(f1s, weights=support)),
            "f1_per_class": [round(float(f), 4) for f in f1s]}


def predict(model: EntailmentModel, rows: list[dict]) -> np.ndarray:
    order = sorted(range(len(rows)), key=lambda i: len(rows[i]["student_answer"]))
    pred = np.zeros(len(rows), dtype=int)
    for k in range(0, len(order), BATCH):
        idx = order[k:k + BATCH]
        probs = model.predict([rows[i]["reference_answer"] for i in idx],
                              [rows[i]["student_answer"] for i in idx])
        pred[idx] = probs.argmax(axis=1)
    return pred


def evaluate(model: EntailmentModel, path, splits=TEST_SPLITS) -> dict:
    rows = semeval_rows(path, splits)
    pred = predict(model, rows)
    groups: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        groups[f"{r['corpus']}/{r['split']}"].append(i)
    gold = np.array([SEMEVAL_LABEL[r["label"]] for r in rows])
    return {"model": model.manifest.get("sha256", ""),
            "splits": {g: f1_scores(gold[idx], pred[idx]) for g, idx in sorted(groups.items())}}
