"""Executor speed: a small torch snippet's verdict from the warm sandbox vs a cold python.

    .venv/bin/python bench/bench_executor.py [--runs 30] [--json]

Reports the median (and p90) seconds over --runs runs of: the warm executor (plain code, and
an exercise with its hidden checks), and, in the same process, a cold
`python -c "import torch; ..."` subprocess (no sandbox at all, so the comparison flatters the
cold side). Also the private memory (USS) of one run, and the worker's resident memory.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from interviewer.executor import Executor, get_exercise  # noqa: E402

SNIPPET = "import torch\nx = torch.randn(64, 64)\nprint((x @ x.T).trace().item() > 0)\n"


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def summary(times: list[float]) -> dict:
    q = statistics.quantiles(times, n=10)
    return {"median_s": round(statistics.median(times), 4), "p90_s": round(q[-1], 4),
            "runs": len(times)}


def worker_rss_kb(ex: Executor) -> int | None:
    pid = ex._worker._proc.pid if ex._worker and ex._worker._proc else None
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        while kids:  # bwrap -> bwrap (pid 1 inside) -> python worker
            pid = int(kids[0])
            kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        status = Path(f"/proc/{pid}/status").read_text()
        return next(int(line.split()[1]) for line in status.splitlines()
                    if line.startswith("VmRSS:"))
    except (OSError, ValueError, StopIteration):
        return None


def concurrent_wall(ex: Executor, n: int) -> float:
    threads = [threading.Thread(target=ex.run, args=(SNIPPET,)) for _ in range(n)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return round(time.perf_counter() - t, 4)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--concurrency", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    exercise = get_exercise("tensor-pairwise-distances")
    with Executor(concurrency=args.concurrency) as ex:
        assert ex.run(SNIPPET).status == "ok", ex.run(SNIPPET)
        assert ex.run(exercise.solution, exercise).status == "passed"
        warm = timed(lambda: ex.run(SNIPPET), args.runs)
        graded = timed(lambda: ex.run(exercise.solution, exercise), args.runs)
        uss = [ex.run(SNIPPET).memory_kb for _ in range(5)]
        rss = worker_rss_kb(ex)
        par = concurrent_wall(ex, 8)
    cold = timed(lambda: subprocess.run([sys.executable, "-c", SNIPPET], check=True,
                                        capture_output=True), args.runs)
    report = {
        "warm_snippet": summary(warm), "warm_exercise_verdict": summary(graded),
        "cold_subprocess": summary(cold),
        "speedup_snippet": round(statistics.median(cold) / statistics.median(warm), 1),
        "speedup_exercise": round(statistics.median(cold) / statistics.median(graded), 1),
        "memory_per_run_uss_kb": statistics.median(u for u in uss if u is not None),
        "worker_rss_kb": rss, "concurrency": args.concurrency,
        "eight_snippets_wall_s": par,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for key, value in report.items():
        print(f"{key:26s} {value}")


if __name__ == "__main__":
    main()
