"""How the grader scores answers to the follow-up rubrics (knowledge/followups/), graded the
way the engine grades them (each record as its own Question): the record's reference, its key
points joined into one answer, its first key point alone, and its first misconception. A fair
grader puts the first two >= 4 and the misconception <= 1.5. Also reports the share of key
points judged covered (x5), to separate the verdicts from the score map.

    python -m evals.interviewer.followup_scores [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ANSWERS = {"reference": lambda r: r.reference, "key_points": lambda r: " ".join(r.key_points),
           "first_point": lambda r: r.key_points[0],
           "misconception": lambda r: r.misconceptions[0] if r.misconceptions else None}


def verdict_share(grade) -> float:
    got = sum(1.0 if p.verdict == "covered" else 0.5 if p.verdict == "partial" else 0.0
              for p in grade.points)
    return 5 * got / max(1, len(grade.points))


def stats(xs: list[float]) -> dict:
    return {"n": len(xs), "mean": round(statistics.mean(xs), 2),
            "share_ge_4": round(sum(x >= 4 for x in xs) / len(xs), 3),
            "share_le_1_5": round(sum(x <= 1.5 for x in xs) / len(xs), 3)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.interviewer.followup_scores")
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from interviewer.grading import make_grader
    from interviewer.knowledge import load_questions
    from interviewer.knowledge.followups import load_followups
    from interviewer.settings import Settings

    knowledge = REPO / "knowledge"
    book = load_followups(knowledge / "followups", knowledge / "questions")
    topics = {q.id: q.topic for q in load_questions([knowledge / "questions"])}
    with tempfile.TemporaryDirectory() as tmp:
        grader = make_grader(Settings(home=Path(tmp)), llm=False)
        scores = {k: [] for k in ANSWERS}
        shares = {k: [] for k in ANSWERS}
        for rec in book.records.values():
            rubric = rec.as_question(topics[rec.parent])
            for kind, make in ANSWERS.items():
                if make(rec):
                    grade = grader.grade(rubric, make(rec))
                    scores[kind].append(grade.score)
                    shares[kind].append(verdict_share(grade))
    doc = {"records": len(book), "score": {k: stats(v) for k, v in scores.items()},
           "verdict_share_x5": {k: stats(v) for k, v in shares.items()}}
    text = json.dumps(doc, indent=2)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text if not args.out else json.dumps(doc["score"]), file=sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
