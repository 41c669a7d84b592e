"""`python -m evals run|fit|baseline|split`: the grading-regression suite.

run       grade a labelled dataset, write REPORT.json (+ Markdown/plots with --report-dir),
          and exit 1 when --baseline is given and a metric regressed past its tolerance.
fit       fit the offline grader's calibration on the train split (never on dev).
baseline  re-run the gated configuration and overwrite the baseline deliberately.
split     rebuild evals/data/{train,dev}.jsonl from the labelled answer files.
select    choose a mode's score map by cross-validation on train questions (see select.py).
train-grader  rebuild the entailment model (interviewer/grading/model/) from train data.
semeval   3-way F1 of the entailment model on SemEval-2013's test splits.
flips     grade programmatic flips of every reference (negated, names swapped, denied).
wrong-question  grade good dev answers against another dev question of the same topic.
points    each key point's shown verdict against held-out per-point labels.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from interviewer.errors import InterviewerError

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
DEFAULT_BASELINE = HERE / "baseline.json"
DEV = DATA / "dev.jsonl"
TRAIN = DATA / "train.jsonl"
EXTRA = DATA / "extra" / "ordinary-train.jsonl"
SPOKEN = DATA / "extra" / "spoken-train.jsonl"  # read when present (written separately)
FOLLOWUPS = DATA / "extra" / "followup-train.jsonl"  # answers to train follow-ups, when present
POINT_LABELS = DATA / "extra" / "pointlabels-train.jsonl"  # per-key-point labels, when present
HELDOUT_POINT_LABELS = DATA / "extra" / "pointlabels-heldout.jsonl"  # never used to fit
HELDOUT = tuple(DATA / "extra" / f"{n}.jsonl"
                for n in ("ordinary-dev", "spoken-heldout", "followup-heldout"))
STATEMENTS = DATA / "extra" / "statements-train.jsonl"  # statements per key point, when present
SEMEVAL = HERE.parent.parent / "shared" / "benchmarks" / "asag" / "semeval2013_task7" / \
    "semeval2013_3way_normalized.jsonl"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m evals", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="grade a dataset and report metrics")
    r.add_argument("--dataset", type=Path, required=True)
    r.add_argument("--grader", choices=("offline", "llm"), default="offline")
    r.add_argument("--out", type=Path, required=True, help="REPORT.json")
    r.add_argument("--baseline", type=Path, help="fail (exit 1) on regression against it")
    r.add_argument("--report-dir", type=Path, help="write report.md and PNG plots here")
    r.add_argument("--calibration", type=Path,
                   help="grade with this calibration file instead of the shipped one")
    r.add_argument("--generic", action="store_true",
                   help="grade knowledge-base rows against their reference only (generic mode)")
    f = sub.add_parser("fit", help="fit the calibration on answers to train questions")
    f.add_argument("--dataset", type=Path, default=TRAIN)
    f.add_argument("--extra", type=Path, nargs="*", default=None,
                   help="more answers to train questions (default: ordinary-train, and "
                        "spoken-train when present)")
    f.add_argument("--generic-map", choices=("linear", "mlp", "gated"), default=None,
                   help="generic mode's score map (default: the shipped kind)")
    f.add_argument("--out", type=Path, help="write here instead of the shipped calibration")
    b = sub.add_parser("baseline", help="overwrite the baseline with a fresh run")
    b.add_argument("--dataset", type=Path, default=DEV)
    b.add_argument("--grader", choices=("offline", "llm"), default="offline")
    b.add_argument("--out", type=Path, default=DEFAULT_BASELINE)
    c = sub.add_parser("select", help="cross-validate candidate score maps on train")
    c.add_argument("--mode", choices=("curated", "generic"), default="generic")
    c.add_argument("--dataset", type=Path, default=TRAIN)
    c.add_argument("--extra", type=Path, nargs="*", default=None,
                   help="more answers to train questions (default as for fit)")
    c.add_argument("--out", type=Path, help="JSON report (default evals/reports/select-MODE.json)")
    t = sub.add_parser("train-grader", help="rebuild the entailment model from train data")
    t.add_argument("--semeval", type=Path, default=SEMEVAL,
                   help="SemEval-2013 normalised JSONL (its train split is used)")
    t.add_argument("--epochs", type=float, default=1.0)
    t.add_argument("--limit", type=int, default=0,
                   help="train on this many pairs, drawn at random (a quick check)")
    t.add_argument("--out-dir", type=Path, help="default: interviewer/grading/model/")
    t.add_argument("--threads", type=int, default=2)
    t.add_argument("--max-minutes", type=float, default=30.0)
    t.add_argument("--resume", type=Path, help="continue from the model in this folder")
    t.add_argument("--seed", type=int, default=0, help="data order and dropout seed")
    t.add_argument("--lr", type=float, default=8e-5)
    t.add_argument("--frozen", type=int, default=None,
                   help="lowest transformer layers kept as packaged (0: train all; default: "
                   "the recipe's)")
    e = sub.add_parser("semeval", help="3-way F1 on SemEval-2013's test splits")
    e.add_argument("--data", type=Path, default=SEMEVAL)
    e.add_argument("--out", type=Path, help="write the JSON report here too")
    fl = sub.add_parser("flips", help="grade flipped references of every question")
    fl.add_argument("--out", type=Path, help="write the JSON report here too")
    w = sub.add_parser("wrong-question", help="grade good dev answers against another dev "
                       "question of the same topic")
    w.add_argument("--out", type=Path, help="write the JSON report here too")
    pt = sub.add_parser("points", help="shown key-point verdicts against held-out labels")
    pt.add_argument("--labels", type=Path, default=HELDOUT_POINT_LABELS)
    pt.add_argument("--out", type=Path, help="write the JSON report here too")
    s = sub.add_parser("split", help="rebuild train.jsonl/dev.jsonl from answers-*.jsonl")
    s.add_argument("--out-dir", type=Path, default=DATA)
    return p


def _settings():
    from interviewer.settings import Settings

    return Settings.from_env()


def _grader(kind: str, settings, calibration: Path | None = None):
    from interviewer.grading import make_grader

    if kind == "llm" and settings.llm == "offline":
        from interviewer.errors import ConfigError

        raise ConfigError("--grader llm needs INTERVIEWER_LLM=provider:model")
    if calibration is not None:
        if kind != "offline":
            raise SystemExit("--calibration applies to the offline grader")
        from interviewer.grading.calibration import load_models
        from interviewer.grading.offline import OfflineGrader

        return OfflineGrader(models=load_models(calibration))
    return make_grader(settings) if kind == "llm" else make_grader(settings, llm=False)


def _evaluate(dataset: Path, kind: str, generic: bool = False,
              calibration: Path | None = None) -> dict:
    from evals.dataset import load_dataset, without_rubric
    from evals.runner import build_report, grade_items

    settings = _settings()
    items = load_dataset(dataset, settings.knowledge_dir / "questions")
    if generic:
        items = without_rubric(items)
    graded = grade_items(_grader(kind, settings, calibration), items)
    return build_report(graded, str(dataset), kind)


def cmd_run(args: argparse.Namespace) -> int:
    report = _evaluate(args.dataset, args.grader, args.generic, args.calibration)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if args.report_dir:
        from evals.report import write_markdown

        print(f"report: {write_markdown(report, args.report_dir)}", file=sys.stderr)
    _summary(report)
    if args.baseline:
        from evals.baseline import compare, load

        problems = compare(report["metrics"], load(args.baseline))
        for line in problems:
            print(f"REGRESSION {line}", file=sys.stderr)
        return 1 if problems else 0
    return 0


def _summary(report: dict) -> None:
    m = report["metrics"]
    keys = ("n", "qwk", "pearson", "spearman", "mae", "rmse", "exact", "within_1",
            "seconds_per_answer")
    print("  ".join(f"{k}={m[k]:.4g}" if isinstance(m[k], float) else f"{k}={m[k]}"
                    for k in keys), file=sys.stderr)
    for cat, cm in report["per_category"].items():
        print(f"  {cat:18s} n={cm['n']:3d} gold={cm['mean_gold']:.2f} "
              f"pred={cm['mean_predicted']:.2f} mae={cm['mae']:.2f} "
              f"warned={cm.get('warned', 0):.0%}", file=sys.stderr)


def extra_files(given: list[Path] | None) -> list[Path]:
    """The extra answer files: as given, or ordinary-train (+ spoken-train when present)."""
    if given is not None:
        return given
    return [p for p in (EXTRA, SPOKEN, FOLLOWUPS) if p.is_file()]


def _train_rows(args: argparse.Namespace):
    """(offline grader, train items, extra items) for fit/select. Fitting and model choice
    see train questions only; a dev question stops them."""
    from evals.dataset import load_dataset
    from evals.split import side
    from interviewer.grading.offline import OfflineGrader

    settings = _settings()
    qdir = settings.knowledge_dir / "questions"
    items = load_dataset(args.dataset, qdir)
    extra = [it for f in extra_files(args.extra) for it in load_dataset(f, qdir)]
    for it in items + extra:
        if side(it.question.id) != "train":
            raise SystemExit(f"{it.where}: {it.question.id} is a dev question; fit and select "
                             "use train questions only")
    return OfflineGrader(), items, extra


def _rel(path: Path) -> str:
    return os.path.relpath(path.resolve(), HERE.parent)


def cmd_fit(args: argparse.Namespace) -> int:
    from evals.fit import fit_calibration, write_calibration
    from interviewer.grading import offline
    from interviewer.grading.calibration import CALIBRATION_FILE, MODEL_KIND

    grader, items, extra = _train_rows(args)
    grader.model.load()
    names = [_rel(args.dataset)] + [_rel(f) for f in extra_files(args.extra)]
    doc = fit_calibration(grader, items + extra, names, args.generic_map or MODEL_KIND["generic"])
    path = write_calibration(doc, args.out or Path(offline.__file__).parent / CALIBRATION_FILE)
    print(json.dumps({k: v for k, v in doc.items() if k != "models"}, indent=2), file=sys.stderr)
    print(f"wrote {path}", file=sys.stderr)
    return 0


def cmd_baseline(args: argparse.Namespace) -> int:
    from evals.baseline import baseline_doc, save

    report = _evaluate(args.dataset, args.grader)
    doc = baseline_doc(report)
    doc["dataset"] = os.path.relpath(args.dataset, HERE.parent)
    save(doc, args.out)
    _summary(report)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def cmd_select(args: argparse.Namespace) -> int:
    from evals.select import run, write

    grader, train, extra = _train_rows(args)
    doc = run(grader, train, extra, args.mode)
    out = args.out or HERE / "reports" / f"select-{args.mode}.json"
    write(doc, out)
    print(f"chosen: {doc['chosen']}  (report: {out})", file=sys.stderr)
    return 0


def cmd_train_grader(args: argparse.Namespace) -> int:
    import random

    from evals.dataset import load_dataset
    from evals.grader_data import (CAPS, capped, contrast_pairs, labelled_pairs,
                                   other_answer_pairs, point_label_pairs, read_point_labels,
                                   semeval_pairs, statement_pairs)
    from evals.train_grader import Recipe, run
    from interviewer.grading.entail import MODEL_DIR
    from interviewer.knowledge import load_questions

    qdir = _settings().knowledge_dir / "questions"
    if not args.semeval.is_file():
        raise SystemExit(f"{args.semeval}: SemEval-2013 data not found (give --semeval PATH)")
    files = [p for p in (TRAIN, EXTRA, SPOKEN, FOLLOWUPS) if p.is_file()]
    items = [it for f in files for it in load_dataset(f, qdir)]
    marks = read_point_labels(POINT_LABELS) if POINT_LABELS.is_file() else {}
    questions = load_questions([qdir])
    said = statement_pairs(STATEMENTS, {q.id: q for q in questions}) \
        if STATEMENTS.is_file() else []
    pairs = capped(semeval_pairs(args.semeval) + labelled_pairs(items)
                   + point_label_pairs(items, marks) + other_answer_pairs(items, questions)
                   + said + contrast_pairs(questions), CAPS)
    if args.limit:
        pairs = random.Random(0).sample(pairs, min(args.limit, len(pairs)))
    recipe = Recipe(epochs=args.epochs, threads=args.threads, max_minutes=args.max_minutes,
                    seed=args.seed, lr=args.lr,
                    frozen=Recipe.frozen if args.frozen is None else args.frozen)
    sources = {"semeval": "train split of " + args.semeval.name,
               "labelled": [_rel(f) for f in files], "contrasts": "knowledge base, train questions",
               **({"point_labels": _rel(POINT_LABELS)} if marks else {}),
               **({"statements": _rel(STATEMENTS)} if said else {})}
    manifest = run(pairs, recipe, args.out_dir or MODEL_DIR, sources, args.resume)
    print(json.dumps({k: manifest[k] for k in ("sha256", "training")}, indent=2),
          file=sys.stderr)
    return 0


def _emit(doc: dict, out: Path | None) -> int:
    text = json.dumps(doc, indent=2) + "\n"
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    return 0


def cmd_semeval(args: argparse.Namespace) -> int:
    from evals.semeval import evaluate
    from interviewer.grading.entail import EntailmentModel

    if not args.data.is_file():
        raise SystemExit(f"{args.data}: SemEval-2013 data not found (give --data PATH)")
    return _emit(evaluate(EntailmentModel(), args.data), args.out)


def cmd_flips(args: argparse.Namespace) -> int:
    from evals.flips import evaluate
    from interviewer.grading.offline import OfflineGrader
    from interviewer.knowledge import load_questions

    questions = load_questions([_settings().knowledge_dir / "questions"])
    return _emit(evaluate(OfflineGrader(), questions), args.out)


def cmd_wrong_question(args: argparse.Namespace) -> int:
    from evals.wrong_question import evaluate
    from interviewer.grading.offline import OfflineGrader
    from interviewer.knowledge import KnowledgeStore, load_questions
    from interviewer.settings import Settings

    qdir = _settings().knowledge_dir / "questions"
    questions = load_questions([qdir])
    files = [DEV, DATA / "extra" / "ordinary-dev.jsonl", DATA / "extra" / "spoken-heldout.jsonl"]
    with tempfile.TemporaryDirectory() as home:
        store = KnowledgeStore(Settings(home=Path(home)))
        store.ingest(questions)
        return _emit(evaluate(OfflineGrader(), questions, [f for f in files if f.is_file()],
                              qdir, store=store), args.out)


def cmd_points(args: argparse.Namespace) -> int:
    from evals.points import evaluate
    from interviewer.grading.offline import OfflineGrader

    if not args.labels.is_file():
        raise SystemExit(f"{args.labels}: no per-point labels there (give --labels PATH)")
    qdir = _settings().knowledge_dir / "questions"
    return _emit(evaluate(OfflineGrader(), args.labels, [f for f in HELDOUT if f.is_file()],
                          qdir), args.out)


def cmd_split(args: argparse.Namespace) -> int:
    from evals.split import write_split

    sources = sorted(DATA.glob("answers-*.jsonl"))
    counts = write_split(sources, args.out_dir)
    print(json.dumps(counts), file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    for var, val in (("HF_HUB_OFFLINE", "1"), ("HF_HUB_DISABLE_TELEMETRY", "1"),
                     ("TOKENIZERS_PARALLELISM", "false")):
        os.environ.setdefault(var, val)
    args = _parser().parse_args(argv)
    handler = {"run": cmd_run, "fit": cmd_fit, "baseline": cmd_baseline, "split": cmd_split,
               "select": cmd_select, "train-grader": cmd_train_grader,
               "semeval": cmd_semeval, "flips": cmd_flips,
               "wrong-question": cmd_wrong_question, "points": cmd_points}
    try:
        return handler[args.command](args)
    except InterviewerError as e:
        if os.environ.get("INTERVIEWER_RAISE"):
            raise
        print(f"error: {e}", file=sys.stderr)
        return 2
