"""Run the interviewer eval: `python -m evals.interviewer [--runs-per-type 9] [--questions 12]
[--out FILE] [--gate]`. Prints a table per candidate type on stderr and one JSON document on
stdout (or --out). With --gate, exits 1 when any interview leaked a reference before an
answer, asked a question twice, or graded a follow-up on the wrong rubric."""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from evals.interviewer.candidates import TYPES, Candidate, load_rows
from evals.interviewer.checks import Tally, state_checks
from evals.split import side
from interviewer.engine.candidate_input import parse_command

REPO = Path(__file__).resolve().parents[2]
EXTRA = REPO / "evals" / "data" / "extra"
# Held-out answers only; the follow-up answers (to dev follow-ups) are read when present.
DATA = [REPO / "evals" / "data" / "dev.jsonl", EXTRA / "ordinary-dev.jsonl",
        EXTRA / "followup-heldout.jsonl"]
GATED = ("reference_leak", "repeated_question", "wrong_rubric")
FAILURES = GATED + ("loop", "praise_on_low_score", "missing_but_stated")
USER = "eval"


def build(home: Path):
    from interviewer.engine.interview import Interviewer
    from interviewer.engine.selection import QuestionBank
    from interviewer.grading import make_grader
    from interviewer.knowledge import KnowledgeStore, load_questions
    from interviewer.knowledge.followups import load_followups
    from interviewer.settings import Settings
    from interviewer.storage import SessionStore

    settings = Settings(home=home)
    knowledge = REPO / "knowledge"
    questions = [q for q in load_questions([knowledge / "questions"]) if side(q.id) == "dev"]
    store = KnowledgeStore(settings)
    store.ingest(questions)
    book = load_followups(knowledge / "followups", knowledge / "questions")
    engine = Interviewer(settings, store, make_grader(settings, store.embedder, llm=False),
                         sessions=SessionStore.from_settings(settings),
                         bank=QuestionBank.of(questions, store), followups=book)
    return engine, {q.id: q for q in questions}, book


def interview(engine, cand: Candidate, n: int, seed: int, refs: dict[str, str]) -> dict:
    from interviewer.engine.state import SessionState

    tally, prompts = Tally(), []
    sid, events = engine.start(USER, {"questions": n, "seed": seed, "follow_ups": 1})
    budget = n * 3 + 5
    while events and events[-1].kind != "report" and budget > 0:
        budget -= 1
        last = events[-1]
        if last.kind in ("question", "follow_up"):
            prompts.append(last.text)
        open_ids = _open_ids(engine, sid)
        tally.reference_probe(engine.reference(USER, sid), open_ids)
        if last.kind == "follow_up":
            said = cand.follow_up(last.question_id, last.text)
        elif last.kind == "question":
            said = cand.answer(last.question_id, cand.questions[last.question_id].question)
        else:  # a notice (e.g. the answer was refused): the candidate gives up on it
            said = cand.after_notice()
        events = engine.handle(USER, sid, said)
        tally.message(events, refs, said, command=parse_command(said) is not None)
    finished = bool(events) and events[-1].kind == "report"
    state = SessionState.from_dict(engine.sessions.load(sid, USER).state)
    state_checks(tally, state, prompts, cand.questions, engine.followups, finished)
    report = events[-1].report if finished else {}
    return {"type": cand.kind, "weakest": cand.weakest, "medium": sorted(cand.medium), "named": report.get("weakest_topic"),
            "hit": report.get("weakest_topic") == cand.weakest, "session": sid,
            "failures": dict(tally.counts), "examples": tally.examples,
            "topic_scores": {t["topic"]: t["score"] for t in report.get("topics", [])},
            "items": [[i.ref_id, i.topic, [(a.kind, a.rubric, a.score) for a in i.attempts]]
                      for i in state.items],
            "follow_ups_graded": sum(a.kind == "follow_up" and a.score is not None
                                     for i in state.items for a in i.attempts),
            "follow_ups_conversation": sum(a.outcome == "conversation"
                                           for i in state.items for a in i.attempts)}


def _open_ids(engine, sid: str) -> set[str]:
    """The open question's id, and its open follow-up's rubric id."""
    from interviewer.engine.state import SessionState

    state = SessionState.from_dict(engine.sessions.load(sid, USER).state)
    item = state.current
    if item is None:
        return set()
    pending = item.follow_up
    return {item.ref_id} | ({pending.rubric} if pending and pending.rubric else set())


def summarize(runs: list[dict]) -> dict:
    table = {}
    for kind in TYPES:
        mine = [r for r in runs if r["type"] == kind]
        if mine:
            table[kind] = {"runs": len(mine),
                           "weakest_named": round(sum(r["hit"] for r in mine) / len(mine), 3),
                           **{f: sum(r["failures"].get(f, 0) for r in mine) for f in FAILURES},
                           "follow_ups_graded": sum(r["follow_ups_graded"] for r in mine),
                           "follow_ups_conversation": sum(r["follow_ups_conversation"]
                                                          for r in mine)}
    total = {f: sum(t[f] for t in table.values()) for f in FAILURES}
    rate = sum(r["hit"] for r in runs) / max(1, len(runs))
    return {"per_type": table, "total": total, "weakest_named": round(rate, 3),
            "gate": {f: 0 for f in GATED},
            "passed": all(total[f] == 0 for f in GATED)}


def markdown(summary: dict) -> str:
    cols = ["runs", "weakest_named", *FAILURES, "follow_ups_graded"]
    lines = ["| candidate | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for kind, row in summary["per_type"].items():
        lines.append(f"| {kind} | " + " | ".join(str(row[c]) for c in cols) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.interviewer")
    p.add_argument("--runs-per-type", type=int, default=9)
    p.add_argument("--questions", type=int, default=12)
    p.add_argument("--types", nargs="+", choices=TYPES, default=list(TYPES))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path)
    p.add_argument("--gate", action="store_true", help="exit 1 on a gated failure")
    args = p.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.perf_counter()
    rows = load_rows(p for p in DATA if p.is_file())
    with tempfile.TemporaryDirectory() as tmp:
        engine, bank, book = build(Path(tmp))
        refs = {q.id: q.reference for q in bank.values()}
        refs.update({r.id: r.reference for r in book.records.values() if r.parent in bank})
        topics = sorted(engine.topics())
        runs = []
        for kind in args.types:
            for i in range(args.runs_per_type):
                rng = random.Random(f"{args.seed}:{kind}:{i}")
                weak = topics[i % len(topics)]
                others = [t for t in topics if t != weak]
                medium = frozenset() if kind == "strong" else frozenset(rng.sample(others, 2))
                cand = Candidate(kind, weak, bank, rows, book, rng, medium)
                runs.append(interview(engine, cand, args.questions,
                                      args.seed * 1000 + i, refs))
                r = runs[-1]
                print(f"{kind} {i + 1}/{args.runs_per_type}: weakest={r['weakest']} "
                      f"named={r['named']} failures={r['failures']}", file=sys.stderr)
        engine.close()
    summary = summarize(runs)
    summary.update(questions=args.questions, seconds=round(time.perf_counter() - started, 1),
                   follow_up_records=len(book))
    doc = json.dumps({"summary": summary, "runs": runs}, indent=2)
    if args.out:
        args.out.write_text(doc + "\n", encoding="utf-8")
    else:
        print(doc)
    print(markdown(summary), file=sys.stderr)
    print(f"weakest topic named {summary['weakest_named']:.1%}; gated failures "
          f"{ {f: summary['total'][f] for f in GATED} }", file=sys.stderr)
    return 1 if args.gate and not summary["passed"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
