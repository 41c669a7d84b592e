"""Run the simulated-candidate eval; prints a summary on stderr and one JSON document on
stdout (or --out FILE)."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from evals.simulate.candidate import Candidate, load_labelled, profiles

REPO = Path(__file__).resolve().parents[2]


def build(home: Path):
    from interviewer.engine.interview import Interviewer
    from interviewer.engine.selection import QuestionBank
    from interviewer.grading import make_grader
    from interviewer.knowledge import KnowledgeStore, load_questions
    from interviewer.settings import Settings
    from interviewer.storage import SessionStore

    settings = Settings(home=home)
    questions = load_questions([REPO / "knowledge" / "questions"])
    store = KnowledgeStore(settings)
    store.ingest(questions)
    engine = Interviewer(settings, store, make_grader(settings, store.embedder, llm=False),
                         sessions=SessionStore.from_settings(settings),
                         bank=QuestionBank.of(questions, store))
    return engine, {q.id: q for q in questions}


def interview(engine, cand: Candidate, n: int, seed: int) -> dict:
    from interviewer.engine.state import SessionState
    from interviewer.engine.report import weakest_topic

    sid, events = engine.start("sim", {"questions": n, "seed": seed})
    while events[-1].kind != "report":
        last = events[-1]
        text = (cand.follow_up(last.question_id) if last.kind == "follow_up"
                else cand.answer(last.question_id))
        events = engine.handle("sim", sid, text)
    state = SessionState.from_dict(engine.sessions.load(sid, "sim").state)
    estimates = []
    for k in range(1, len(state.items) + 1):
        partial = SessionState.from_dict(state.to_dict())
        partial.items = partial.items[:k]
        estimates.append(weakest_topic(partial))
    found = next((k + 1 for k in range(len(estimates))
                  if all(e == cand.weakest for e in estimates[k:])), None)
    report = events[-1].report
    return {"session": sid, "weakest": cand.weakest, "named": report["weakest_topic"],
            "hit": report["weakest_topic"] == cand.weakest, "found_after": found,
            "questions_on_weakest": sum(i.topic == cand.weakest for i in state.items),
            "estimates": estimates, "abilities": cand.abilities}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.simulate")
    p.add_argument("--runs", type=int, default=27)
    p.add_argument("--questions", type=int, default=12)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        engine, bank = build(Path(tmp))
        labelled = load_labelled(sorted((REPO / "evals" / "data").glob("answers-*.jsonl")))
        topics = sorted(engine.topics())
        runs = []
        for i, abilities in enumerate(profiles(topics, args.runs, args.seed)):
            import random

            cand = Candidate(abilities, labelled, bank, random.Random(f"{args.seed}:{i}"))
            runs.append({**interview(engine, cand, args.questions, seed=args.seed * 1000 + i),
                         "labelled_answers": cand.from_labels,
                         "synthetic_answers": cand.synthetic})
            print(f"run {i + 1}/{args.runs}: weakest={runs[-1]['weakest']} "
                  f"named={runs[-1]['named']} found_after={runs[-1]['found_after']}",
                  file=sys.stderr)
    summary = summarize(runs, args, time.perf_counter() - started)
    doc = json.dumps({"summary": summary, "runs": runs}, indent=2)
    if args.out:
        args.out.write_text(doc + "\n", encoding="utf-8")
    else:
        print(doc)
    print(json.dumps(summary, indent=2), file=sys.stderr)
    return 0


def summarize(runs: list[dict], args, seconds: float) -> dict:
    found = [r["found_after"] for r in runs if r["found_after"] is not None]
    return {"runs": len(runs), "questions": args.questions,
            "weakest_named_rate": round(sum(r["hit"] for r in runs) / len(runs), 3),
            "target": 0.9,
            "found_after_median": statistics.median(found) if found else None,
            "found_after_mean": round(statistics.mean(found), 2) if found else None,
            "questions_on_weakest_mean": round(statistics.mean(
                r["questions_on_weakest"] for r in runs), 2),
            "labelled_answer_share": round(sum(r["labelled_answers"] for r in runs) / max(1, sum(
                r["labelled_answers"] + r["synthetic_answers"] for r in runs)), 3),
            "seconds": round(seconds, 1)}


if __name__ == "__main__":
    raise SystemExit(main())
