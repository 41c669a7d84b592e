"""Knowledge-base benchmark: retrieval quality and ingest/search speed.

    python bench/bench_retrieval.py [--synthetic 10000] [--out bench/results/retrieval.json]
    python bench/bench_retrieval.py --quality-only     # retrieval and no-match figures only
    python bench/bench_retrieval.py --calibrate        # the relevance anchors, from the tuning
                                                       # half of evals/retrieval/offtopic.jsonl

Measures, in one run on this machine:
- retrieval hit rates (top-1, top-3) of the paraphrased queries in evals/retrieval/queries.jsonl,
  with and without the no-match threshold (a top hit below it counts as a miss);
- the share of off-topic queries (questions from other fields, evals/retrieval/offtopic.jsonl)
  that get no match, on the tuning half (which set the threshold) and the held-out half;
- ingest of the 100 curated questions after the model is loaded, and a re-ingest of unchanged data;
- ingest of a synthetic corpus at growing sizes (docs/s, and how time grows);
- cold start of `interviewer search` (a new process) and steady-state query latency.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from interviewer.knowledge import KnowledgeStore, Question, load_questions  # noqa: E402
from interviewer.knowledge.embeddings import Embedder  # noqa: E402
from interviewer.knowledge.relevance import anchors  # noqa: E402
from interviewer.settings import Settings  # noqa: E402


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def retrieval_quality(store: KnowledgeStore, path: Path) -> dict:
    rows = read_jsonl(path)
    results = store.search([r["query"] for r in rows], k=3)
    matched = [[h for h in hits if h.is_match] for hits in results]

    def rate(found) -> float:
        return round(sum(found) / len(rows), 4)

    misses = [{"query": r["query"], "expected": r["expected"], "got": [h.id for h in hits],
               "relevance": hits[0].score}
              for r, hits in zip(rows, results) if hits[0].id != r["expected"]]
    return {"queries": len(rows),
            "top1": rate(hits[0].id == r["expected"] for r, hits in zip(rows, results)),
            "top3": rate(r["expected"] in [h.id for h in hits] for r, hits in zip(rows, results)),
            "top1_with_threshold": rate(bool(m) and m[0].id == r["expected"]
                                        for r, m in zip(rows, matched)),
            "top3_with_threshold": rate(r["expected"] in [h.id for h in m]
                                        for r, m in zip(rows, matched)),
            "no_match": rate(not m for m in matched),
            "top1_misses": misses}


def offtopic_best(store: KnowledgeStore, rows: list[dict]) -> list:
    return [hits[0] for hits in store.search([r["query"] for r in rows], k=1)]


def offtopic_rejection(store: KnowledgeStore, path: Path) -> dict:
    """Share of off-topic queries whose best hit is below the match threshold, per split and
    kind (questions from other fields; software questions that are not about ML)."""
    rows = read_jsonl(path)
    best = offtopic_best(store, rows)
    out: dict = {}
    for key, group in (("split", ("tune", "test")), ("kind", ("other-field", "software"))):
        for name in group:
            hits = [h for r, h in zip(rows, best) if r[key] == name]
            out[name] = {"queries": len(hits),
                         "no_match": round(sum(not h.is_match for h in hits) / len(hits), 4)}
    out["all"] = {"queries": len(rows),
                  "no_match": round(sum(not h.is_match for h in best) / len(rows), 4)}
    out["matched"] = [{"query": r["query"], "got": h.id, "relevance": h.score}
                      for r, h in zip(rows, best) if h.is_match]
    return out


def calibrate(store: KnowledgeStore, path: Path) -> dict:
    """The relevance anchors from the tuning half of the off-topic queries only."""
    tune = [r for r in read_jsonl(path) if r["split"] == "tune"]
    return {"tuning_queries": len(tune),
            **anchors([h.subject for h in offtopic_best(store, tune)])}


def synthetic(n: int) -> list[Question]:
    words = ("tensor gradient module optimizer loss batch layer kernel stride device memory "
             "dataset sampler checkpoint precision attention sequence pooling dropout norm").split()
    out = []
    for i in range(n):
        w = [words[(i * k + k) % len(words)] for k in (1, 3, 7, 11)]
        out.append(Question(id=f"S{i}", topic=f"Synthetic {i % 12}",
                            question=f"How does {w[0]} interact with {w[1]} in case {i}?",
                            reference=f"The {w[2]} controls the {w[3]}; item {i} shows why the "
                                      f"{w[0]} must match the {w[1]} shape."))
    return out


def ingest_growth(embedder: Embedder, sizes: list[int]) -> list[dict]:
    rows = []
    for n in sizes:
        with tempfile.TemporaryDirectory() as home:
            store = KnowledgeStore(Settings(home=Path(home)), embedder=embedder)
            summary, secs = timed(lambda: store.ingest(synthetic(n)))
            rows.append({"questions": n, "texts": summary.embedded_texts, "seconds": round(secs, 2),
                         "questions_per_s": round(n / secs, 1)})
            print(f"  synthetic {n:>6}: {secs:6.2f} s  ({n / secs:7.1f} questions/s)", file=sys.stderr)
    return rows


def cold_search(home: Path, runs: int = 5) -> float:
    env = {**os.environ, "INTERVIEWER_HOME": str(home), "INTERVIEWER_TORCH_THREADS": "1"}
    times = []
    for _ in range(runs):
        _, secs = timed(lambda: subprocess.run(
            [sys.executable, "-m", "interviewer", "search", "view vs reshape", "--json"],
            env=env, check=True, capture_output=True))
        times.append(secs)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--synthetic", type=int, default=10000)
    ap.add_argument("--queries", type=Path, default=REPO / "evals/retrieval/queries.jsonl")
    ap.add_argument("--out", type=Path, default=REPO / "bench/results/retrieval.json")
    ap.add_argument("--offtopic", type=Path, default=REPO / "evals/retrieval/offtopic.jsonl")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    ap.add_argument("--quality-only", action="store_true",
                    help="only retrieval quality and off-topic rejection (no speed runs)")
    ap.add_argument("--calibrate", action="store_true",
                    help="print the relevance anchors from the off-topic tuning half")
    args = ap.parse_args()
    if args.calibrate or args.quality_only:
        quick(args)
        return

    import torch

    torch.set_num_threads(args.threads)
    embedder = Embedder(threads=args.threads)
    _, load_s = timed(embedder.load)
    questions = load_questions([REPO / "knowledge/questions"])
    with tempfile.TemporaryDirectory() as home:
        store = KnowledgeStore(Settings(home=Path(home)), embedder=embedder)
        first, first_s = timed(lambda: store.ingest(questions))
        _, again_s = timed(lambda: store.ingest(questions))
        quality = retrieval_quality(store, args.queries)
        offtopic = offtopic_rejection(store, args.offtopic)
        queries = [json.loads(x)["query"] for x in args.queries.read_text().splitlines() if x.strip()]
        lat = [timed(lambda: store.search([q], k=5))[1] for q in queries[:100]]
        cold = cold_search(Path(home))
    sizes = sorted({s for s in (1000, args.synthetic // 4, args.synthetic // 2, args.synthetic) if s})
    report = {
        "machine": f"{os.cpu_count()} cores, torch threads {args.threads}",
        "model_load_s": round(load_s, 2),
        "ingest_100_s": round(first_s, 3), "ingest_100_embedded_texts": first.embedded_texts,
        "reingest_unchanged_s": round(again_s, 3),
        "retrieval": quality,
        "offtopic": offtopic,
        "query_latency_ms": {"median": round(statistics.median(lat) * 1000, 1),
                             "p95": round(sorted(lat)[int(0.95 * len(lat)) - 1] * 1000, 1)},
        "cli_search_cold_start_s": round(cold, 2),
        "synthetic_ingest": ingest_growth(embedder, sizes),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    summary = {k: v for k, v in report.items() if k != "retrieval"}
    summary["retrieval"] = {k: v for k, v in quality.items() if k != "top1_misses"}
    print(json.dumps(summary, indent=2))


def quick(args: argparse.Namespace) -> None:
    import torch

    torch.set_num_threads(args.threads)
    embedder = Embedder(threads=args.threads)
    with tempfile.TemporaryDirectory() as home:
        store = KnowledgeStore(Settings(home=Path(home)), embedder=embedder)
        store.ingest(load_questions([REPO / "knowledge/questions"]))
        if args.calibrate:
            print(json.dumps(calibrate(store, args.offtopic), indent=2))
            return
        quality = retrieval_quality(store, args.queries)
        offtopic = offtopic_rejection(store, args.offtopic)
    print(json.dumps({"retrieval": {k: v for k, v in quality.items() if k != "top1_misses"},
                      "offtopic": offtopic}, indent=2))


if __name__ == "__main__":
    main()
