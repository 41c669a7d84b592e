"""Benchmark the interview engine.

- Offline turn latency (answer in -> grade and next question/follow-up out, committed), with
  the real offline grader, after warm-up. Between turns the candidate "reads" (the engine's
  background rubric preparation is allowed to finish, as it would while a person types).
  Also the engine's own share: the same turns with a constant-time grader.
- Prompt tokens per LLM turn (tiktoken), with the LLM brain in front of a local echo model.

    .venv/bin/python bench/bench_engine.py [--turns 120] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from interviewer.grading.base import Grade, PointVerdict  # noqa: E402


class ConstantGrader:
    """Grades instantly (half the key points covered): isolates the engine's own cost."""

    name = "constant"

    def grade(self, question, answer):
        pts = tuple(PointVerdict(p, "covered" if i % 2 else "missing")
                    for i, p in enumerate(question.key_points))
        return Grade(score=2.5, points=pts, misconceptions=(), feedback="", grader=self.name)


class EchoModel:
    """Stands in for a chat model: streams a fixed question back."""

    stream_usage = None

    def stream(self, messages, **kw):
        class Chunk:
            def __init__(self, text):
                self.content, self.usage_metadata = text, None
        for word in "Could you walk me through how that works in practice?".split():
            yield Chunk(word + " ")


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def answers():
    rows = []
    for path in sorted((REPO / "evals" / "data").glob("answers-*.jsonl")):
        rows += [json.loads(line)["answer"] for line in path.read_text().splitlines() if line]
    return rows or ["Autograd records operations and applies the chain rule."]


def run_turns(engine, n_turns, texts, wait, warmup):
    times, i = [], 0
    sid, events = engine.start("bench", {"questions": 50, "seed": 1})
    while len(times) < n_turns:
        if events[-1].kind == "report":
            sid, events = engine.start("bench", {"questions": 50, "seed": len(times)})
        if wait:
            engine.wait_idle()
        t = time.perf_counter()
        events = engine.handle("bench", sid, texts[i % len(texts)])
        dt = time.perf_counter() - t
        i += 1
        if i > warmup:
            times.append(dt * 1000)
    return times


def summary(ms):
    return {"n": len(ms), "p50_ms": round(percentile(ms, 50), 1),
            "p95_ms": round(percentile(ms, 95), 1), "mean_ms": round(statistics.mean(ms), 1)}


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--turns", type=int, default=120)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    from interviewer.engine.brain import LLMBrain
    from interviewer.engine.interview import Interviewer
    from interviewer.engine.selection import QuestionBank
    from interviewer.grading import make_grader
    from interviewer.knowledge import KnowledgeStore, load_questions
    from interviewer.settings import Settings
    from interviewer.storage import SessionStore

    with tempfile.TemporaryDirectory() as tmp:
        # the answers are random rows, not answers to the question asked: the answer check
        # would ask about most of them instead of grading; its cost is one search per main
        # answer (bench_retrieval.py's query time)
        settings = Settings(home=Path(tmp), answer_check=False)
        questions = load_questions([REPO / "knowledge" / "questions"])
        store = KnowledgeStore(settings)
        store.ingest(questions)
        bank = QuestionBank.of(questions, store)

        def engine(grader, **kw):
            return Interviewer(settings, store, grader, bank=bank,
                               sessions=SessionStore.from_settings(settings), **kw)

        texts = answers()
        real = run_turns(engine(make_grader(settings, store.embedder, llm=False)),
                         args.turns, texts, wait=True, warmup=10)
        own = run_turns(engine(ConstantGrader()), args.turns, texts, wait=True, warmup=10)
        llm_settings = settings.model_copy(update={"llm": "openai:gpt-4o-mini"})
        brain = LLMBrain(llm_settings, model=EchoModel())
        llm_engine = engine(ConstantGrader(), brain=brain)
        sid, _ = llm_engine.start("bench", {"questions": 30, "seed": 2})
        prompts, seen = [], (0, 0)
        for i in range(40):
            usage = llm_engine.report("bench", sid).data["usage"]
            if usage["calls"] > seen[0]:
                prompts.append((usage["prompt_tokens"] - seen[1]) // (usage["calls"] - seen[0]))
            seen = (usage["calls"], usage["prompt_tokens"])
            llm_engine.handle("bench", sid, texts[i % len(texts)])
    result = {
        "offline_turn_real_grader": summary(real),
        "offline_turn_engine_only": summary(own),
        "llm_prompt_tokens_per_turn": {"n": len(prompts), "mean": round(statistics.mean(prompts)),
                                       "p95": percentile(prompts, 95), "max": max(prompts),
                                       "budget": settings.prompt_token_budget},
        "targets": {"p50_ms": 30, "p95_ms": 100},
    }
    print(json.dumps(result, indent=2) if args.json else _text(result))
    return 0


def _text(r):
    a, b, c = (r["offline_turn_real_grader"], r["offline_turn_engine_only"],
               r["llm_prompt_tokens_per_turn"])
    return (f"offline turn, real grader: p50 {a['p50_ms']} ms, p95 {a['p95_ms']} ms (n={a['n']})\n"
            f"offline turn, engine only: p50 {b['p50_ms']} ms, p95 {b['p95_ms']} ms (n={b['n']})\n"
            f"LLM prompt tokens per turn: mean {c['mean']}, p95 {c['p95']}, max {c['max']} "
            f"(budget {c['budget']})")


if __name__ == "__main__":
    raise SystemExit(main())
