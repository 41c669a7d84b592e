"""Training pairs for the entailment model: (hypothesis, premise, label), label in
entail.LABELS (0 entailed, 1 contradicted, 2 missing = not addressed). Six sources, each
with its licence:

1. SemEval-2013 Task 7, **train split only** (CC BY-SA 3.0; ../shared/benchmarks/asag/
   semeval2013_task7): (reference answer, student answer); correct -> entailed,
   contradictory -> contradicted, incorrect -> missing.
2. Our labelled answers to TRAIN questions (this repository's own data): a key point of the
   question against the answer window that shares most words with it. Labels follow from the
   answer's category, never from reading the answer:
   full / verbose_correct / spoken_correct / followup_correct (a follow-up's answer against
   the follow-up's own key points), and ordinary answers with gold >= 4.5 -> every
   key point entailed; off_topic / keyword_stuffing / injection, and answers with gold
   <= 0.5 in the honest categories -> every key point missing; negation_trap -> contradicted
   for key points that share at least half their content words with the answer;
   misconception -> the curated misconception sharing most words with it is entailed.
3. Per-key-point labels of honest answers with a middling gold score (0.5 < gold < 4.5: the
   answers whose category says nothing about single points), written by helper sessions that
   read only those answers and key points (evals/data/extra/pointlabels-train.md): entailed,
   contradicted or missing -> that label; partial -> no pair.
4. A full answer to one train question against the key points of another train question of
   the same topic (not addressed; a point sharing half its content words with the answer is
   skipped): answers to the wrong question must not earn points.
5. Terse statements of single key points of TRAIN questions, written by helper sessions
   that saw only the questions and key points (evals/data/extra/statements-train.md): three
   in other words (entailed), two true statements that leave the point out (missing), one
   wrong claim against it (contradicted).
6. Contrasts made by evals/contrast.py from the knowledge base's TRAIN questions: each key
   point against the reference window that holds it (entailed; also with another sentence
   negated, or followed by a neutral closing sentence), that window with its sentence
   negated, two API names swapped, or followed by a denial (contradicted; every variant that
   applies), the window without that sentence, and another question's reference (missing).

Dev questions (split.py) never appear; `check_train_only` enforces it.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from evals import contrast as C
from evals.dataset import Item
from evals.split import side
from interviewer.grading import text as T
from interviewer.grading.features import overlap, windows
from interviewer.knowledge.models import Question

ENT, CON, MIS = 0, 1, 2
# Most pairs per source (the rest are drawn at random with a fixed seed): what one epoch on 2
# CPU cores can read within the time budget. SciEntsBank is kept whole (its test splits are
# the benchmark); the largest of the rest are thinned.
CAPS = {"semeval-beetle": 1000, "labelled-ordinary": 300, "labelled-spoken_correct": 350,
        "labelled-spoken_wrong": 200, "labelled-injection": 120,
        "labelled-keyword_stuffing": 120, "labelled-off_topic": 120,
        "pointlabels-missing": 600,  # of 1,355: the entailed ones (459) are what is new
        "other-answer": 800}
SEMEVAL_LABEL = {"correct": ENT, "contradictory": CON, "incorrect": MIS}
ALL_POINTS_ENTAILED = ("full", "verbose_correct", "spoken_correct", "followup_correct")
NO_POINT = ("off_topic", "keyword_stuffing", "injection")
HONEST = ("ordinary", "spoken_partial", "spoken_wrong", "partial", "followup_partial")


@dataclass(frozen=True)
class Pair:
    hypothesis: str
    premise: str
    label: int
    source: str


def semeval_rows(path: Path, splits: tuple[str, ...]) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    return [r for r in rows if r["split"] in splits]


def semeval_pairs(path: Path) -> list[Pair]:
    """Train split only; the test splits are for `python -m evals semeval`."""
    return [Pair(r["reference_answer"], r["student_answer"], SEMEVAL_LABEL[r["label"]],
                 f"semeval-{r['corpus']}") for r in semeval_rows(path, ("train",))]


def best_window(hypothesis: str, answer: str) -> str | None:
    segs = T.segments(answer)
    if not segs:
        return None
    wins = windows(answer, segs)
    return max(wins, key=lambda w: overlap(hypothesis, w.text)).text


def _item_pairs(it: Item) -> list[Pair]:
    q, ans, cat, gold = it.question, it.row.answer, str(it.row.extras.get("category", "")), \
        it.row.gold
    out = []
    if cat in ALL_POINTS_ENTAILED or (cat in HONEST and gold >= 4.5):
        out = [(p, ENT) for p in q.key_points]
    elif cat in NO_POINT or (cat in HONEST and gold <= 0.5):
        out = [(p, MIS) for p in q.key_points]
    elif cat == "negation_trap":
        out = [(p, CON) for p in q.key_points if overlap(p, ans) >= 0.5]
    elif cat == "misconception" and q.misconceptions:
        out = [(max(q.misconceptions, key=lambda m: overlap(m, ans)), ENT)]
    pairs = []
    for hyp, label in out:
        window = best_window(hyp, ans)
        if window:
            pairs.append(Pair(hyp, window, label, f"labelled-{cat}"))
    return pairs


def labelled_pairs(items: list[Item]) -> list[Pair]:
    check_train_only(it.question.id for it in items)
    return [p for it in items for p in _item_pairs(it)]


POINT_LABEL = {"entailed": ENT, "contradicted": CON, "missing": MIS, "partial": None}


def _jsonl(path: Path):
    """(line number, row) for each non-empty line of a JSON-lines file."""
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            yield n, json.loads(line)


def read_point_labels(path: Path) -> dict[str, list[str]]:
    """row id -> one label per key point (POINT_LABEL's words), checked as it is read."""
    out: dict[str, list[str]] = {}
    for n, row in _jsonl(path):
        bad = [x for x in row["labels"] if x not in POINT_LABEL]
        if bad or row["id"] in out:
            raise SystemExit(f"{path}:{n}: unknown label {bad[0]!r}" if bad
                             else f"{path}:{n}: row {row['id']!r} labelled twice")
        out[row["id"]] = list(row["labels"])
    return out


def point_label_pairs(items: list[Item], labels: dict[str, list[str]]) -> list[Pair]:
    """Each labelled key point against the answer window that shares most words with it."""
    check_train_only(it.question.id for it in items if it.row.id in labels)
    pairs = []
    for it in (it for it in items if it.row.id in labels):
        marks = labels[it.row.id]
        if len(marks) != len(it.question.key_points):
            raise SystemExit(f"{it.row.id}: {len(marks)} labels for "
                             f"{len(it.question.key_points)} key points")
        for point, mark in zip(it.question.key_points, marks):
            window = best_window(point, it.row.answer)
            if window and POINT_LABEL[mark] is not None:
                pairs.append(Pair(point, window, POINT_LABEL[mark], f"pointlabels-{mark}"))
    return pairs


def other_answer_pairs(items: list[Item], questions: list[Question], seed: int = 0
                       ) -> list[Pair]:
    """A full answer to one train question against the key points of another train question
    of the same topic: not addressed, unless the point shares at least half its content
    words with the answer's window (related questions can share a fact)."""
    rng = random.Random(seed)
    pool = [q for q in questions if side(q.id) == "train" and q.key_points]
    pairs = []
    for it in items:
        if it.row.extras.get("category") not in ALL_POINTS_ENTAILED or "." in it.question.id:
            continue
        others = [q for q in pool if q.topic == it.question.topic and q.id != it.question.id]
        if not others:
            continue
        for point in rng.choice(others).key_points:
            window = best_window(point, it.row.answer)
            if window and overlap(point, window) < 0.5:
                pairs.append(Pair(point, window, MIS, "other-answer"))
    return pairs


def statement_pairs(path: Path, questions: dict[str, Question]) -> list[Pair]:
    """(key point, terse statement, label) from a statements file (see the module doc)."""
    pairs = []
    for n, row in _jsonl(path):
        q = questions.get(row["question_id"])
        label = POINT_LABEL.get(row["label"])  # "partial" is no statement label
        if q is None or label is None or not 0 <= row["point"] < len(q.key_points):
            raise SystemExit(f"{path}:{n}: unknown question, label or key point index")
        check_train_only([q.id])
        pairs.append(Pair(q.key_points[row["point"]], row["text"], label,
                          f"statements-{row['label']}"))
    return pairs


def _sentences(reference: str) -> list[str]:
    return [s.span.text for s in T.segments(reference) if not s.code]


def _contradictions(point: str, window: str, sent: str, ref: str, rng: random.Random) -> list:
    """Ways to make `window` (which holds `sent`, the point's sentence) say the opposite."""
    out = []
    negated = C.negate(sent)
    if negated and overlap(point, sent) >= 0.4:
        out.append((window.replace(sent, negated), "negated"))
    out.append((C.deny(window, rng.choice(C.DENIALS_TRAIN)), "denial"))
    for a, b in C.name_pairs(ref):
        if (overlap(point, a) or overlap(point, b)) and C.swap_names(window, a, b) != window:
            out.append((C.swap_names(window, a, b), "names-swapped"))
            break
    return out


def _point_contrasts(point: str, q: Question, other: Question, rng: random.Random) -> list:
    """Per key point, balanced between long and short premises and between labels:
    entailed - the reference window holding it, its sentence alone, the window with another
    sentence negated, the window followed by a neutral closing sentence; contradicted - every
    applicable contradiction of the window (negated / denied / names swapped) and its sentence
    alone negated; not addressed - the window without that sentence and another question's
    reference."""
    sents = _sentences(q.reference)
    if not sents:
        return []
    k = max(range(len(sents)), key=lambda i: overlap(point, sents[i]))
    window = best_window(point, q.reference) or sents[k]
    if sents[k] not in window:
        window = sents[k]
    out = [(window, ENT, "ref"), (sents[k], ENT, "ref-sentence"),
           (C.deny(window, rng.choice(C.CLOSERS_TRAIN)), ENT, "closer"),
           (best_window(point, other.reference) or other.reference, MIS, "other-question")]
    out += [(premise, CON, kind)
            for premise, kind in _contradictions(point, window, sents[k], q.reference, rng)]
    if C.negate(sents[k]) and overlap(point, sents[k]) >= 0.4:
        out.append((C.negate(sents[k]), CON, "negated-sentence"))
    others = [s for s in sents if s != sents[k] and s in window and C.negate(s)]
    if others:
        j = rng.choice(others)
        out.append((window.replace(j, C.negate(j)), ENT, "other-sentence-negated"))
    rest = window.replace(sents[k], " ").strip()
    if rest and overlap(point, rest) < 0.3:
        out.append((rest, MIS, "sentence-removed"))
    return out


def contrast_pairs(questions: list[Question], seed: int = 0) -> list[Pair]:
    """Programmatic pairs over the knowledge base's train questions (see the module doc)."""
    rng = random.Random(seed)
    train = [q for q in questions if side(q.id) == "train" and q.key_points]
    pairs = []
    for q in train:
        others = [o for o in train if o.topic == q.topic and o.id != q.id] or train
        for point in q.key_points:
            other = rng.choice(others)
            for premise, label, kind in _point_contrasts(point, q, other, rng):
                pairs.append(Pair(point, premise, label, f"contrast-{kind}"))
    return pairs


def capped(pairs: list[Pair], caps: dict[str, int], seed: int = 0) -> list[Pair]:
    """At most caps[source] pairs of each source, drawn at random (fixed seed), order kept."""
    rng = random.Random(seed)
    keep: set[int] = set()
    for src in sorted({p.source for p in pairs}):
        idx = [i for i, p in enumerate(pairs) if p.source == src]
        cap = caps.get(src, caps.get(src.split("-")[0], len(idx)))
        keep |= set(idx if len(idx) <= cap else rng.sample(idx, cap))
    return [p for i, p in enumerate(pairs) if i in keep]


def check_train_only(question_ids) -> None:
    for qid in question_ids:
        if side(qid) != "train":
            raise SystemExit(f"{qid} is a dev question: the grading model trains on train "
                             "questions only")


def describe(pairs: list[Pair]) -> dict:
    return {"pairs": len(pairs), "by_source": dict(sorted(Counter(p.source for p in pairs)
                                                          .items())),
            "by_label": dict(sorted(Counter(p.label for p in pairs).items()))}
