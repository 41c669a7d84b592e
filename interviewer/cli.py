"""The `interviewer` command. Each subcommand lives beside the code it drives; this module
only builds the parser, the settings, and turns our errors into words (exit code 2).

With ``--json`` a subcommand prints exactly one JSON document on stdout; logs and progress
go to stderr.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from interviewer.errors import InputError, InterviewerError

# Modules that add subcommands: each has `register(subparsers)`; the handler is set with
# `parser.set_defaults(handler=fn)` and called as fn(args, settings).
COMMAND_MODULES = [
    "interviewer.knowledge.commands",
    "interviewer.executor.commands",
    "interviewer.grading.commands",
    "interviewer.engine.commands",
    "interviewer.slack.commands",
]


def print_json(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


def read_input(path: Path, what: str) -> str:
    """The text of a file argument ('-' is stdin); a file that can't be read is InputError."""
    try:
        return sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read {what}: {e}", where=str(path)) from e


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="interviewer",
        description="A mock interviewer for PyTorch and ML-engineering interviews.")
    parser.add_argument("--home", help="data folder (default: $INTERVIEWER_HOME or ~/.interviewer)")
    parser.add_argument("--chroma-url", help="use a Chroma server (default: $CHROMA_URL; "
                                             "else a local store under the data folder)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from interviewer.settings import Settings

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env(home=args.home, chroma_url=args.chroma_url)
        return int(args.handler(args, settings) or 0)
    except InterviewerError as e:
        if os.environ.get("INTERVIEWER_RAISE"):
            raise
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
