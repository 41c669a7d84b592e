"""What the candidate is told point by point, against labels written by people who saw no
grade: `python -m evals points [--labels F] [--out REPORT.json]`.

Each labelled answer is graded once, and each key point's shown verdict (covered, partly
there, missing; "reverses" when the grade also says the answer contradicts the point) is
set beside its label (entailed, partial, contradicted, missing: evals/data/extra/
pointlabels-heldout.md). Reported: the table of labels against shown verdicts, and the
rates a candidate notices:

- `told_covered_but_not_said`: of the points shown covered, the share labelled missing
  (the candidate is told they said something they did not);
- `told_missing_but_said`: of the points labelled entailed, the share shown missing;
- `covered_precision`: of the points shown covered, the share labelled entailed;
- `entailed_recall`: of the points labelled entailed, the share shown covered.

The labels are held out: written for answers to dev questions and dev follow-ups only, used
for no fit and no choice.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from evals.dataset import load_dataset
from evals.grader_data import read_point_labels

LABELS = ("entailed", "partial", "contradicted", "missing")
SHOWN = ("covered", "partial", "missing", "reverses")


def shown_verdicts(grade) -> list[str]:
    """Each key point's verdict as the candidate reads it, in the rubric's order."""
    reversed_points = {h.misconception.removeprefix("Reverses: ")
                       for h in grade.misconceptions if h.misconception.startswith("Reverses: ")}
    return ["reverses" if p.point in reversed_points else p.verdict for p in grade.points]


def evaluate(grader, labels_path: Path, files: list[Path], qdir: Path) -> dict:
    labels = read_point_labels(labels_path)
    items = {it.row.id: it for f in files for it in load_dataset(f, qdir)}
    unknown = sorted(set(labels) - set(items))
    if unknown:
        raise SystemExit(f"{labels_path}: {len(unknown)} labelled rows are in none of "
                         f"{[f.name for f in files]}, e.g. {unknown[0]!r}")
    table: Counter[tuple[str, str]] = Counter()
    judged: list[tuple[str, bool, float]] = []  # label, not shown missing, P(entailed)
    examples: list[dict] = []
    for row_id, marks in sorted(labels.items()):
        it = items[row_id]
        if len(marks) != len(it.question.key_points):
            raise SystemExit(f"{row_id}: {len(marks)} labels for "
                             f"{len(it.question.key_points)} key points")
        grade = grader.grade(it.question, it.row.answer)
        for point, mark, shown, verdict in zip(it.question.key_points, marks,
                                               shown_verdicts(grade), grade.points):
            table[(mark, shown)] += 1
            judged.append((mark, verdict.verdict != "missing", verdict.confidence))
            if mark == "missing" and shown == "covered" and len(examples) < 12:
                examples.append({"id": row_id, "point": point, "answer": it.row.answer[:300]})
    return {"labels": str(labels_path), "answers": len(labels),
            "points": sum(table.values()), **rates(table),
            "table": {m: {s: table[(m, s)] for s in SHOWN} for m in LABELS},
            "if_covered_from": sweep(judged),
            "told_covered_but_not_said_examples": examples}


def sweep(judged: list[tuple[str, bool, float]]) -> dict[str, dict]:
    """The rates had a point been shown covered from P(entailed) >= t (instead of the
    grader's own threshold), for t from 0.5 to 0.95; a point shown missing stays missing."""
    out = {}
    for t in [x / 100 for x in range(50, 100, 5)]:
        table: Counter[tuple[str, str]] = Counter()
        for mark, credited, strength in judged:
            shown = "missing" if not credited else "covered" if strength >= t else "partial"
            table[(mark, shown)] += 1
        out[f"{t:.2f}"] = rates(table)
    return out


def rates(table: Counter) -> dict:
    def share(part: int, whole: int) -> float | None:
        return round(part / whole, 3) if whole else None

    covered = sum(table[(m, "covered")] for m in LABELS)
    entailed = sum(table[("entailed", s)] for s in SHOWN)
    return {"told_covered_but_not_said": share(table[("missing", "covered")], covered),
            "told_missing_but_said": share(table[("entailed", "missing")], entailed),
            "covered_precision": share(table[("entailed", "covered")], covered),
            "entailed_recall": share(table[("entailed", "covered")], entailed)}
