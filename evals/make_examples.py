"""Build the LLM grader's bank of graded examples from labelled answers to train questions.

    python -m evals.make_examples [--out knowledge/graded-examples.jsonl]

Per train question it keeps up to four honest answers (no injections, off-topic or keyword
lists: examples show the model how people are scored, not how to be attacked), spread over
the gold scores. Dev questions are never included (evals/split.py).
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from evals.split import side

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [ROOT / "evals" / "data" / "train.jsonl",
           ROOT / "evals" / "data" / "extra" / "ordinary-train.jsonl",
           ROOT / "evals" / "data" / "extra" / "spoken-train.jsonl"]
LEFT_OUT = {"injection", "off_topic", "keyword_stuffing"}
PER_QUESTION = 4


def build(sources: list[Path]) -> list[dict]:
    rows: dict[str, list[dict]] = defaultdict(list)
    for src in sources:
        for line in src.read_text(encoding="utf-8").splitlines():
            row = json.loads(line) if line.strip() else None
            if row and side(row["question_id"]) == "train" and \
                    row.get("category") not in LEFT_OUT and len(row["answer"]) <= 1200:
                rows[row["question_id"]].append(row)
    out = []
    for qid in sorted(rows, key=lambda q: int(q[1:])):
        ranked = sorted(rows[qid], key=lambda r: (-r["score"], r["id"]))
        step = max(1, len(ranked) // PER_QUESTION)
        out += [{"question_id": qid, "answer": r["answer"], "score": r["score"],
                 "source_id": r["id"]} for r in ranked[::step][:PER_QUESTION]]
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m evals.make_examples", description=__doc__)
    ap.add_argument("--out", type=Path, default=ROOT / "knowledge" / "graded-examples.jsonl")
    args = ap.parse_args(argv)
    rows = build([s for s in SOURCES if s.exists()])
    args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                        encoding="utf-8")
    print(f"{len(rows)} examples for {len({r['question_id'] for r in rows})} train questions "
          f"-> {args.out}")


if __name__ == "__main__":
    main()
