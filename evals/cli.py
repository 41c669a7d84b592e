"""`python -m evals run|fit|baseline|split`: the grading-regression suite.

run       grade a labelled dataset, write REPORT.json (+ Markdown/plots with --report-dir),
          and exit 1 when --baseline is given and a metric regressed past its tolerance.
fit       fit the offline grader's calibration on the train split (never on dev).
baseline  re-run the gated configuration and overwrite the baseline deliberately.
split     rebuild evals/data/{train,dev}.jsonl from the labelled answer files.
select    choose a mode's score map by cross-validation on train questions (see select.py).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from interviewer.errors import InterviewerError

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
DEFAULT_BASELINE = HERE / "baseline.json"
DEV = DATA / "dev.jsonl"
TRAIN = DATA / "train.jsonl"
EXTRA = DATA / "extra" / "ordinary-train.jsonl"


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
    f = sub.add_parser("fit", help="fit the calibration on the train split")
    f.add_argument("--dataset", type=Path, default=TRAIN)
    f.add_argument("--extra", type=Path, default=EXTRA,
                   help="ordinary candidates' answers to train questions (gated map only)")
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
    c.add_argument("--extra", type=Path, default=EXTRA,
                   help="more labelled answers to train questions (ordinary candidates)")
    c.add_argument("--out", type=Path, help="JSON report (default evals/reports/select-MODE.json)")
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
        from interviewer.knowledge.embeddings import Embedder

        return OfflineGrader(Embedder(settings.embed_model, threads=settings.torch_threads),
                             models=load_models(calibration))
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
              f"pred={cm['mean_predicted']:.2f} mae={cm['mae']:.2f}", file=sys.stderr)


def _train_rows(args: argparse.Namespace):
    """(offline grader, train items, extra items) for fit/select. Fitting and model choice
    see train questions only; a dev question stops them."""
    from evals.dataset import load_dataset
    from evals.split import side
    from interviewer.grading.offline import OfflineGrader
    from interviewer.knowledge.embeddings import Embedder

    settings = _settings()
    qdir = settings.knowledge_dir / "questions"
    items, extra = load_dataset(args.dataset, qdir), load_dataset(args.extra, qdir)
    for it in items + extra:
        if side(it.question.id) != "train":
            raise SystemExit(f"{it.where}: {it.question.id} is a dev question; fit and select "
                             "use train questions only")
    embedder = Embedder(settings.embed_model, threads=settings.torch_threads)
    return OfflineGrader(embedder), items, extra


def _rel(path: Path) -> str:
    return os.path.relpath(path.resolve(), HERE.parent)


def cmd_fit(args: argparse.Namespace) -> int:
    from evals.fit import fit_calibration, write_calibration
    from interviewer.grading import offline

    from interviewer.grading.calibration import CALIBRATION_FILE, MODEL_KIND

    grader, items, extra = _train_rows(args)
    doc = fit_calibration(grader, items, _rel(args.dataset), extra, _rel(args.extra),
                          args.generic_map or MODEL_KIND["generic"])
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
               "select": cmd_select}
    try:
        return handler[args.command](args)
    except InterviewerError as e:
        if os.environ.get("INTERVIEWER_RAISE"):
            raise
        print(f"error: {e}", file=sys.stderr)
        return 2
