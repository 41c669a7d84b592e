"""Offline grading latency, after warm-up (targets: p50 <= 50 ms, p95 <= 120 ms).

    python bench/bench_grading.py [--dataset evals/data/dev.jsonl] [--limit 200] [--json]

Warm-up loads the grading model (the int8 cross-encoder) and builds every question's rubric
(cached per question), then each answer is graded once and timed: one batched forward pass
over every (key point or misconception, answer window) pair. "cold" is the first grade of a
question. Uses one torch thread, like the product's default.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> int:
    for var, val in (("HF_HUB_OFFLINE", "1"), ("TOKENIZERS_PARALLELISM", "false")):
        os.environ.setdefault(var, val)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", type=Path, default=REPO / "evals" / "data" / "dev.jsonl")
    ap.add_argument("--limit", type=int, default=200)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    import torch

    from evals.dataset import load_dataset
    from interviewer.grading.offline import OfflineGrader

    torch.set_num_threads(1)
    items = load_dataset(args.dataset, REPO / "knowledge" / "questions")[: args.limit]
    grader = OfflineGrader()
    cold = []
    for q in {it.question.id: it.question for it in items}.values():
        t0 = time.perf_counter()
        grader.grade(q, "warm-up answer")
        cold.append(time.perf_counter() - t0)
    warm = []
    for it in items:
        t0 = time.perf_counter()
        grader.grade(it.question, it.row.answer)
        warm.append(time.perf_counter() - t0)
    ms = sorted(1000 * w for w in warm)
    doc = {"answers": len(ms), "mean_ms": statistics.mean(ms), "p50_ms": ms[len(ms) // 2],
           "p95_ms": ms[int(len(ms) * 0.95) - 1], "max_ms": ms[-1],
           "cold_rubric_ms_mean": 1000 * statistics.mean(cold[1:] or cold),
           "mean_answer_chars": statistics.mean(len(it.row.answer) for it in items),
           "model_layers": grader.model.manifest.get("layers"), "threads": 1}
    print(json.dumps(doc, indent=2) if args.json else
          "  ".join(f"{k}={v:.1f}" for k, v in doc.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
