"""`interviewer exercises` and `interviewer run`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from interviewer.cli import read_input
from interviewer.executor.exercises import load_exercises
from interviewer.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("exercises", help="list the coding exercises")
    p.add_argument("--topic", help="only this topic (name or slug)")
    p.add_argument("--json", action="store_true",
                   help='print [{"id","title","topic","difficulty"}, ...]')
    p.set_defaults(handler=cmd_exercises)

    p = sub.add_parser("run", help="run a Python file in the sandbox (optionally against an "
                                   "exercise's hidden checks)")
    p.add_argument("file", type=Path, help="the code to run ('-' for stdin)")
    p.add_argument("--exercise", metavar="ID", help="grade against this exercise")
    p.add_argument("--device", choices=("cpu", "cuda", "auto"), help="default: cpu")
    p.add_argument("--json", action="store_true", help="print the whole result as JSON")
    p.set_defaults(handler=cmd_run)


def cmd_exercises(args: argparse.Namespace, settings: Settings) -> int:
    items = [e.summary() for e in load_exercises(settings.knowledge_dir / "exercises",
                                                 topic=args.topic)]
    if args.json:
        from interviewer.cli import print_json

        print_json(items)
        return 0
    for e in items:
        print(f"{e['id']:40s} {'*' * e['difficulty']:3s} {e['topic']}: {e['title']}")
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from interviewer.executor.executor import Executor

    code = read_input(args.file, "code")
    with Executor(settings, device=args.device) as ex:
        result = ex.run(code, exercise=args.exercise)
    if args.json:
        from interviewer.cli import print_json

        print_json(result.to_dict())
    else:
        _print_result(result)
    return 0 if result.status in ("ok", "passed") else 1


def _print_result(result) -> None:
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    if result.traceback:
        sys.stderr.write(result.traceback)
    for check in result.checks:
        mark = "PASS" if check.passed else "FAIL"
        print(f"[{mark}] {check.name}" + ("" if check.passed else f"\n{check.message}"),
              file=sys.stderr)
    print(f"{result.status}: {result.message} ({result.seconds:.3f} s)", file=sys.stderr)
