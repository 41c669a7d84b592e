"""Terminal subcommands: `interviewer chat`, `sessions`, `resume`, `report`.

The terminal is a thin front end: it renders engine events and forwards lines. When stdin
is not a terminal it reads one candidate message per line, so an interview can be scripted.
During a coding exercise, lines are gathered until `/submit`.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Iterable, Iterator
from typing import TextIO

from interviewer.engine.events import Event
from interviewer.engine.warmup import warm_up_in_background
from interviewer.errors import InputError
from interviewer.settings import Settings

SUBMIT = "/submit"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("chat", help="a mock interview in the terminal")
    p.add_argument("--topics", nargs="+", default=[], metavar="TOPIC",
                   help="topic names or slugs (default: all)")
    p.add_argument("--questions", type=int, default=8, help="main questions (default 8)")
    p.add_argument("--mode", choices=["concepts", "coding", "mixed"], default="concepts")
    p.add_argument("--difficulty", type=int, choices=[1, 2, 3],
                   help="fixed difficulty (default: adaptive)")
    p.add_argument("--follow-ups", type=int, help="follow-ups per question "
                   "(default: $INTERVIEWER_FOLLOW_UPS or 1)")
    p.add_argument("--seed", type=int, help="make the question choice reproducible")
    p.add_argument("--source", action="append", default=[], metavar="NAME",
                   help="ask from this knowledge source only (repeatable; default: all; "
                        "see `interviewer sources`)")
    p.add_argument("--weak-spots", action="store_true",
                   help="practise your weakest topics across past sessions (instead of "
                        "--topics; see `interviewer progress`)")
    _common(p, json_help="print every event as one JSON document at the end")
    p.set_defaults(handler=cmd_chat)

    p = sub.add_parser("progress", help="your progress across sessions: scores per topic "
                                        "over time, weakest topics, key points missed most")
    _common(p, json_help='print {"sessions","questions","topics","weakest","missed",'
                         '"timeline","practice_plan"}')
    p.set_defaults(handler=cmd_progress)

    p = sub.add_parser("sessions", help="list your interview sessions")
    _common(p, json_help='print [{"id","user","title","started","updated","status","turns"}]')
    p.set_defaults(handler=cmd_sessions)

    p = sub.add_parser("resume", help="continue an interview where it stopped")
    p.add_argument("id", help="session id (see `interviewer sessions`)")
    _common(p, json_help="print every event as one JSON document at the end")
    p.set_defaults(handler=cmd_resume)

    p = sub.add_parser("report", help="the report of an interview")
    p.add_argument("id", help="session id (see `interviewer sessions`)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true",
                     help="the JSON report, with the whole transcript")
    fmt.add_argument("--md", action="store_true", help="raw Markdown (the default when "
                     "stdout is not a terminal; a terminal gets it rendered)")
    p.add_argument("--user", help="your user id (default: the OS user name)")
    p.set_defaults(handler=cmd_report)


def _common(p: argparse.ArgumentParser, json_help: str) -> None:
    p.add_argument("--user", help="your user id (default: the OS user name)")
    p.add_argument("--json", action="store_true", help=json_help)


def _user(args: argparse.Namespace) -> str:
    return args.user or getpass.getuser()


def _engine(settings: Settings):
    from interviewer.engine.factory import make_interviewer

    return make_interviewer(settings)


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    topics = _weak_topics(settings, _user(args)) if args.weak_spots else args.topics
    engine = _engine(settings)
    warm_up_in_background(engine)  # the grader's model loads while the first question comes
    plan = {"topics": topics, "questions": args.questions, "mode": args.mode,
            "difficulty": args.difficulty, "seed": args.seed, "follow_ups": args.follow_ups,
            "sources": args.source}
    try:
        session_id, opening = engine.start_stream(_user(args), plan)
        return _converse(engine, _user(args), session_id, opening, args.json)
    finally:
        engine.close()  # the sandbox worker and background work end with the chat


def cmd_resume(args: argparse.Namespace, settings: Settings) -> int:
    engine = _engine(settings)
    try:
        return _converse(engine, _user(args), args.id,
                         engine.resume_stream(_user(args), args.id), args.json)
    finally:
        engine.close()


def _progress(settings: Settings, user: str):
    from interviewer.engine.progress import build_progress
    from interviewer.storage import SessionStore

    store = SessionStore.from_settings(settings)
    try:
        return build_progress(user, store.states(user))
    finally:
        store.close()


def _weak_topics(settings: Settings, user: str) -> list[str]:
    plan = _progress(settings, user).practice_plan()
    if plan is None:
        raise InputError("no scored answers yet, so no weak spots to practise: start with "
                         "`interviewer chat`")
    return plan["topics"]


def cmd_progress(args: argparse.Namespace, settings: Settings) -> int:
    from interviewer.engine.progress import progress_markdown

    progress = _progress(settings, _user(args))
    if args.json:
        from interviewer.cli import print_json

        print_json(progress.to_dict())
        return 0
    text = progress_markdown(progress)
    plan = progress.practice_plan()
    if plan:
        text += (f"\nPractise them: `interviewer chat --weak-spots` (topics: "
                 f"{' '.join(plan['topics'])}).\n")
    sys.stdout.write(terminal_markdown(text) if sys.stdout.isatty() else text)
    return 0


def cmd_sessions(args: argparse.Namespace, settings: Settings) -> int:
    from interviewer.storage import SessionStore

    sessions = SessionStore.from_settings(settings).list(_user(args))
    if args.json:
        from interviewer.cli import print_json

        print_json([s.to_dict() for s in sessions])
        return 0
    for s in sessions:
        print(f"{s.id}  {s.started}  {s.status:<8} {s.turns:>3} turns  {s.title}")
    if not sessions:
        print("no sessions yet; start one with `interviewer chat`", file=sys.stderr)
    return 0


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    report = _engine(settings).report(_user(args), args.id)
    if args.json:
        from interviewer.cli import print_json

        print_json(report.to_dict())
    elif sys.stdout.isatty() and not args.md:
        sys.stdout.write(terminal_markdown(report.markdown()))
    else:
        sys.stdout.write(report.markdown())
    return 0


def _converse(engine, user: str, session_id: str, opening: Iterable[Event],
              as_json: bool) -> int:
    tty = sys.stdout.isatty() and not as_json
    out = Renderer(sys.stdout, live=tty, quiet=as_json, pretty=tty)
    finished = out.show(opening)
    for message in _messages(sys.stdin, engine, user, session_id, finished):
        if message.startswith(SUBMIT + "\n"):
            events = engine.submit_code(user, session_id, message[len(SUBMIT) + 1:])
        else:
            events = engine.handle_stream(user, session_id, message)
        if out.show(events):
            break
    else:
        if not out.finished:
            print(f"session {session_id} saved; continue with `interviewer resume "
                  f"{session_id}`", file=sys.stderr)
    if as_json:
        from interviewer.cli import print_json

        print_json({"session_id": session_id, "finished": out.finished,
                    "events": [e.to_dict() for e in out.events]})
    return 0


def _messages(stdin: TextIO, engine, user: str, session_id: str,
              finished: bool) -> Iterator[str]:
    """Candidate messages: one per line; during an exercise, lines up to /submit."""
    interactive = stdin.isatty()
    code: list[str] | None = None
    while not finished:
        line = _read(stdin, interactive, "... " if code is not None else "> ")
        if line is None:
            return
        if code is not None:
            if line.strip() == SUBMIT:
                yield SUBMIT + "\n" + "\n".join(code) + "\n"
                code = None
            else:
                code.append(line)
        elif line.strip() == "/code":
            code = []
        elif line.strip():
            yield line


def _read(stdin: TextIO, interactive: bool, prompt: str) -> str | None:
    if interactive:
        try:
            return input(prompt)
        except EOFError:
            return None
    line = stdin.readline()
    return None if line == "" else line.rstrip("\n")


class Renderer:
    """Writes events as text; with `live`, streams the interviewer's words as they come.

    Streamed words are shown once: the final event that carries them only ends their line.
    Any other event that arrives while a streamed line is open starts on a line of its own.
    With `pretty`, the end report is rendered for a terminal instead of raw Markdown.
    """

    def __init__(self, out: TextIO, live: bool, quiet: bool = False,
                 pretty: bool = False) -> None:
        self.out, self.live, self.quiet, self.pretty = out, live, quiet, pretty
        self.events: list[Event] = []
        self.finished = False
        self._streams: list[str] = []  # streamed texts whose final event has not come yet
        self._open = False  # a streamed line is open (no newline written after it yet)

    def show(self, events: Iterable[Event]) -> bool:
        for event in events:
            if event.kind == "delta":
                self._delta(event.text)
                continue
            self.events.append(event)
            self.finished = self.finished or event.kind == "report"
            if not self.quiet:
                self._final(event)
        return self.finished

    def _delta(self, text: str) -> None:
        if not self.live:
            return
        if not self._open:
            self.out.write("\nInterviewer: ")
            self._streams.append("")
            self._open = True
        self._streams[-1] += text
        self.out.write(text)
        self.out.flush()

    def _final(self, event: Event) -> None:
        said = getattr(event, "text", "").strip()
        if said and said in (t.strip() for t in self._streams):
            self._streams.remove(next(t for t in self._streams if t.strip() == said))
            text = "\n" if self._open else ""
        else:
            text = ("\n" if self._open else "") + self._format(event)
        self._open = False
        self.out.write(text)
        self.out.flush()

    def _format(self, e) -> str:
        formats = {
            "notice": lambda: f"{'!' if e.level == 'warning' else '·'} {e.text}\n",
            "question": lambda: f"\nInterviewer: {e.text}\n",
            "follow_up": lambda: f"\nInterviewer: {e.text}\n",
            "grade": lambda: _grade(e),
            "hint": lambda: f"  {e.text}\n",
            "reference": lambda: (f"  Reference answer ({e.question_id}"
                                  f"{': ' + e.question if e.question else ''}):\n"
                                  + _indent(e.text) + "\n"),
            "exercise": lambda: (f"\nExercise {e.number}/{e.total}: {e.title}\n{_indent(e.text)}"
                                 f"\n\n{_indent(e.starter)}\n  (type /code, your code, then "
                                 f"{SUBMIT})\n"),
            "code_result": lambda: f"  checks {e.passed}/{e.total} ({e.status}): "
                                   f"{e.score:.1f}/5 {e.text}\n",
            "report": lambda: "\n" + (terminal_markdown(e.markdown) if self.pretty
                                      else e.markdown),
        }
        return formats.get(e.kind, lambda: f"{e.to_dict()}\n")()


def terminal_markdown(markdown: str, width: int | None = None) -> str:
    """Markdown rendered for a terminal (headings, tables, code blocks), as text with ANSI
    styles."""
    import io

    from rich.console import Console
    from rich.markdown import Markdown

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=width or _width(),
                      highlight=False)
    console.print(Markdown(markdown, code_theme="ansi_dark"))
    return buffer.getvalue()


def _width() -> int:
    import shutil

    return min(100, shutil.get_terminal_size((100, 24)).columns)


def _grade(e) -> str:
    """The score, the feedback, then each key point once under its verdict."""
    lines = [f"  [{e.score:.1f}/{e.max_score:.0f}] {e.feedback}"]
    for label, points in (("covered", e.covered), ("partly there", e.partial),
                          ("missing", e.missing)):
        lines += [f"    {label}: {p}" for p in points]
    lines += [f"    wrong: {m}" for m in e.misconceptions]
    return "\n".join(lines) + "\n"


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
