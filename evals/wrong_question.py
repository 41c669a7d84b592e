"""Good answers graded against the wrong question: `python -m evals wrong-question
[--out REPORT.json]`. Each dev answer with gold >= 4 (dev, ordinary-dev, spoken-heldout) is
graded against another dev question of the same topic (drawn with a fixed seed) and against
its own. An answer to a different question should earn next to nothing, though related
questions can share a fact, so a mean of exactly 0 is not expected.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np

from evals.dataset import load_dataset
from evals.split import side
from interviewer.knowledge.models import Question

GOOD = 4.0


def evaluate(grader, questions: list[Question], files: list[Path], qdir: Path,
             seed: int = 0) -> dict:
    rng = random.Random(seed)
    dev = [q for q in questions if side(q.id) == "dev" and q.key_points]
    doc = {}
    for path in files:
        own, wrong = [], []
        for it in load_dataset(path, qdir):
            others = [q for q in dev if q.topic == it.question.topic and q.id != it.question.id]
            if it.row.gold < GOOD or "." in it.question.id or not others:
                continue
            own.append(grader.grade(it.question, it.row.answer).score)
            wrong.append(grader.grade(rng.choice(others), it.row.answer).score)
        doc[path.name] = {"n": len(wrong), "own_question_mean": round(float(np.mean(own)), 3),
                          "wrong_question_mean": round(float(np.mean(wrong)), 3),
                          "wrong_share_at_least_1_5": round(float(np.mean(
                              [s >= 1.5 for s in wrong])), 3)}
    return doc
