"""Programmatic flips of every reference answer, graded by the offline grader:
`python -m evals flips [--out REPORT.json]`. A good grader gives them all low scores.

Kinds (evals/contrast.py; the denial sentences differ from the ones trained on):
- one_claim: the sentence that best matches the first key point, negated;
- every_claim: every sentence that can be negated, negated;
- names_swapped: the first two API names of the reference that each have a sentence of
  their own, exchanged throughout (names only ever listed together swap to the same claim);
- denied: the reference followed by a sentence that takes it all back.
Reported over all 100 questions, and over the 30 dev questions alone (no contrast of a dev
question was ever trained on). The unchanged reference is graded too, for comparison.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from evals import contrast as C
from evals.split import side
from interviewer.grading import text as T
from interviewer.grading.features import overlap
from interviewer.knowledge.models import Question


def flips(q: Question) -> dict[str, str]:
    ref = q.reference
    out = {"reference": ref}
    prose = [s.span.text for s in T.segments(ref) if not s.code]
    if prose and q.key_points:
        k = max(range(len(prose)), key=lambda i: overlap(q.key_points[0], prose[i]))
        one = C.negate_text(ref, which=k)
        if one:
            out["one_claim"] = one
    every = C.negate_text(ref)
    if every:
        out["every_claim"] = every
    def alone(a: str, b: str) -> bool:
        return any(C.mentions(a, s) and not C.mentions(b, s) for s in prose)

    apart = [(a, b) for a, b in C.name_pairs(ref) if alone(a, b) and alone(b, a)]
    if apart:
        out["names_swapped"] = C.swap_names(ref, *apart[0])
    out["denied"] = C.deny(ref, C.DENIALS_EVAL[len(q.id) % len(C.DENIALS_EVAL)])
    return out


def evaluate(grader, questions: list[Question]) -> dict:
    scores: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for q in questions:
        for kind, text in flips(q).items():
            s = grader.grade(q, text).score
            scores["all"][kind].append(s)
            scores[side(q.id)][kind].append(s)
    doc = {}
    for group, kinds in scores.items():
        flipped = [s for k, v in kinds.items() if k != "reference" for s in v]
        doc[group] = {"flips_mean": round(float(np.mean(flipped)), 3), "flips_n": len(flipped),
                      **{k: {"n": len(v), "mean": round(float(np.mean(v)), 3)}
                         for k, v in kinds.items()}}
    return doc
