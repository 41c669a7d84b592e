"""`interviewer chat` to its first question, and when the embedding model was loaded (a
first question needs no model: it comes from the store's metadata while a warm-up thread
loads the models). Runs the real CLI against INTERVIEWER_HOME (ingest first).

    INTERVIEWER_HOME=... python bench/bench_chat_start.py [--runs 3]

Prints one JSON document: per run, seconds from the start of the process to the first
question and to the embedder loaded (absent when the run ended first), and the first
question's time after the model was loaded (negative: before it; target <= 3 s). Each run
is a fresh process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

PROBE = """
import io, json, sys, time
t0 = time.perf_counter()
from interviewer import cli
from interviewer.knowledge import embeddings
import interviewer.engine.commands as c
sys.stdin = io.StringIO("")
marks = {}
load = embeddings.Embedder.load
def timed_load(self):
    load(self)
    marks.setdefault("model_loaded_s", time.perf_counter() - t0)
embeddings.Embedder.load = timed_load
final = c.Renderer._final
def first(self, e):
    final(self, e)
    if e.kind == "question":
        marks.setdefault("first_question_s", time.perf_counter() - t0)
c.Renderer._final = first
cli.main(["chat", "--questions", "1", "--user", "bench-chat-start"])
print("MARKS " + json.dumps(marks), file=sys.stderr)
"""


def one_run(db: str) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "INTERVIEWER_LLM": "offline",
           "DATABASE_URL": f"sqlite:///{db}"}
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                          text=True, check=True)
    line = next(x for x in done.stderr.splitlines() if x.startswith("MARKS "))
    marks = {k: round(v, 2) for k, v in json.loads(line[6:]).items()}
    if "first_question_s" not in marks:
        raise RuntimeError(f"no first question; the chat said: {done.stdout[-500:]}")
    if "model_loaded_s" in marks:
        marks["after_model_s"] = round(marks["first_question_s"] - marks["model_loaded_s"], 2)
    return marks


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        runs = [one_run(f"{tmp}/s{i}.sqlite3") for i in range(args.runs)]
    first = sorted(r["first_question_s"] for r in runs)
    after = sorted(r["after_model_s"] for r in runs if "after_model_s" in r)
    print(json.dumps({"runs": runs, "first_question_median_s": first[len(first) // 2],
                      "after_model_median_s": after[len(after) // 2] if after else None,
                      "target_after_model_s": 3}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
