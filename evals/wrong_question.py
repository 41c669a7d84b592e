"""Good answers graded against the wrong question: `python -m evals wrong-question
[--out REPORT.json]`. Each dev answer with gold >= 4 (dev, ordinary-dev, spoken-heldout) is
graded against another dev question of the same topic (drawn with a fixed seed) and against
its own. An answer to a different question should earn next to nothing, though related
questions can share a fact, so a mean of exactly 0 is not expected. The engine's answer
check (`INTERVIEWER_ANSWER_CHECK`) is measured on the same pairs against a store of all 100
questions: it should speak up on the wrong question and stay quiet on the own one.
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
             seed: int = 0, store=None) -> dict:
    """Per file: mean scores on the own and the wrong question; with `store` (holding the
    knowledge base), also how often the engine's answer check would speak up on each."""
    from interviewer.engine.question_flow import another_question

    rng = random.Random(seed)
    dev = [q for q in questions if side(q.id) == "dev" and q.key_points]
    doc = {}
    for path in files:
        own, wrong, noted = [], [], {"own": [], "wrong": []}
        for it in load_dataset(path, qdir):
            others = [q for q in dev if q.topic == it.question.topic and q.id != it.question.id]
            if it.row.gold < GOOD or "." in it.question.id or not others:
                continue
            other = rng.choice(others)
            own.append(grader.grade(it.question, it.row.answer).score)
            wrong.append(grader.grade(other, it.row.answer).score)
            if store is not None:
                for key, q in (("own", it.question), ("wrong", other)):
                    noted[key].append(another_question(store, q.id, it.row.answer) is not None)
        doc[path.name] = {"n": len(wrong), "own_question_mean": round(float(np.mean(own)), 3),
                          "wrong_question_mean": round(float(np.mean(wrong)), 3),
                          "wrong_share_at_least_1_5": round(float(np.mean(
                              [s >= 1.5 for s in wrong])), 3)}
        if store is not None:
            doc[path.name] |= {"check_speaks_up_on_own": round(float(np.mean(noted["own"])), 3),
                               "check_speaks_up_on_wrong": round(float(np.mean(noted["wrong"])),
                                                                 3)}
    return doc
