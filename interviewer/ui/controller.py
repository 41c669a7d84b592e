"""Between the page and the engine: forwards what the candidate does to the `Interviewer`
and turns the events it hands back into a `View` (what one browser tab shows).

No Gradio here and no interview logic: the engine decides what happens; this module only
keeps the rendered page state of one tab and checks input at the border (empty, too long).
Every method is a generator of `View`s, so slow work (streamed LLM words, a sandbox run)
can update the page as it goes. Errors become notices on the page, never tracebacks.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interviewer.engine.events import (CodeResult, Event, ExerciseOffered, Notice,
                                       QuestionAsked, ReportReady, TextDelta)
from interviewer.engine.progress import progress_markdown, progress_of
from interviewer.engine.warmup import prepare_bank, warm_up
from interviewer.errors import InterviewerError
from interviewer.knowledge.upload import MAX_UPLOAD_BYTES
from interviewer.ui import progress, render
from interviewer.engine.interview import MAX_CODE_CHARS
from interviewer.grading.base import MAX_ANSWER_CHARS  # the same limits as the engine's
from interviewer.ui.identity import new_user_id, user_id_from
from interviewer.ui.reports import private_reports_dir

log = logging.getLogger(__name__)
PROGRESS_EVERY_S = 0.5
DIFFICULTIES = {"Adaptive": None, "Easy": 1, "Medium": 2, "Hard": 3}
COMMANDS = {"hint": "/hint", "skip": "/skip", "repeat": "/repeat", "end": "/end"}
LOADING = ("⏳ **Loading the grading models…** you can start now; the first grade may take a "
           "few seconds longer.")
OOPS = ("Something went wrong on our side. Your answers so far are saved: reload the page "
        "and resume the session from **Past sessions**.")


@dataclass
class View:
    """What one browser tab shows. Kept per Gradio session; rendered by `layout`."""

    user_id: str | None = None
    session_id: str | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)
    exercise: str | None = None  # Markdown of the open exercise; None: no exercise open
    new_code: str | None = None  # code to put in the editor at the next render (then None)
    code_status: str = ""
    progress: str = "No interview yet: choose your settings and press **Start interview**."
    chart: list[dict[str, Any]] = field(default_factory=list)
    brain: str = ""
    report_md: str = ""
    report_files: list[str] = field(default_factory=list)  # [markdown path, json path]
    history_md: str = ""  # progress across sessions (Markdown)
    history: list[dict[str, Any]] = field(default_factory=list)  # (session, topic, score)
    sessions: list[tuple[str, str]] = field(default_factory=list)
    toasts: list[str] = field(default_factory=list)  # warnings to pop up once
    plan: dict[str, Any] | None = None  # a resumed session's settings, for the start panel
    scroll: bool = False  # bring the chat into view at the next render (then False)
    code_runs: int = 0  # counts new starter code handed out, so each one is painted
    source: str | None = None  # the question bank chosen in the start panel (None: public)
    bank_md: str = ""  # what the last upload found and skipped (or why it failed)

    def panels_key(self) -> str:
        """Changes whenever a side panel (exercise, code result, report, brain) must be
        painted again; a turn that leaves them alone leaves it alone. The sessions list is
        not in it: the events that change it alone (start, resume, practice) paint it
        themselves, and a finished session changes the report too."""
        parts = (self.exercise, self.code_runs, self.code_status, self.report_md,
                 tuple(self.report_files), self.brain)
        return hashlib.sha1(repr(parts).encode()).hexdigest()[:16]


def guarded(method: Callable[..., Iterator[View]]) -> Callable[..., Iterator[View]]:
    """Turn our errors into a notice on the page, and anything else into an apology."""

    @functools.wraps(method)
    def wrapper(self: "Controller", view: View, *args: Any) -> Iterator[View]:
        try:
            yield from method(self, view, *args)
        except InterviewerError as e:
            yield self.notify(view, str(e))
        except Exception:
            log.exception("the page's %s failed", method.__name__)
            yield self.notify(view, OOPS)
    return wrapper


class Controller:
    """One per app, shared by every tab; each call gets that tab's `View`."""

    def __init__(self, engine: Any, *, reports_dir: Path | None = None,
                 code_workers: int = 2) -> None:
        self.engine = engine
        self.reports_dir = reports_dir or private_reports_dir()
        self._runs = ThreadPoolExecutor(code_workers, thread_name_prefix="ui-code-run")
        self.ready = threading.Event()  # cleared while a warm-up runs (page: "loading")
        self.ready.set()
        self.streams = self.brain_name() != "offline"  # whether the brain streams words

    def start_warm_up(self) -> threading.Thread:
        """Load the models in the background; a page loaded meanwhile says so (and works)."""
        self.ready.clear()
        thread = threading.Thread(target=self.warm_up, name="warm-up", daemon=True)
        thread.start()
        return thread

    def warm_up(self) -> None:
        try:
            warm_up(self.engine)
        finally:
            self.ready.set()
        prepare_bank(self.engine)  # after "ready": the page does not wait for it

    # ------------------------------------------------------------ identity and sessions
    def brain_name(self) -> str:
        return str(getattr(getattr(self.engine, "brain", None), "name", "offline"))

    def topics(self) -> list[tuple[str, str]]:
        """(name, slug) of every topic, for the start panel; empty if the store is empty."""
        try:
            return [(name, slug) for slug, name in self.engine.topics().items()]
        except InterviewerError as e:
            log.warning("no topics for the start panel: %s", e)
            return []

    def sources(self, user_id: str = "") -> list[tuple[str, str]]:
        """(label, name) of the banks a user may choose: the public ones and their own."""
        try:
            banks = self.engine.sources(user_id)
        except InterviewerError as e:
            log.warning("no question banks for the start panel: %s", e)
            return []
        return [(f"{s.name} ({'yours, ' if s.owner else ''}{s.questions} questions)", s.name)
                for s in banks]

    def bank_topics(self, view: View) -> list[tuple[str, str]]:
        """(name, slug) of the topics of the chosen bank, for the start panel."""
        topics = self.engine.topics(view.user_id or "", [view.source] if view.source else [])
        return [(name, slug) for slug, name in topics.items()]

    @guarded
    def choose_source(self, view: View, name: str | None) -> Iterator[View]:
        self._ensure_user(view)
        view.source = name or None
        yield view

    @guarded
    def upload_bank(self, view: View, path: str | None) -> Iterator[View]:
        """An uploaded Q&A file becomes this browser's private bank, chosen for the next
        interview; a bad file is refused with what to fix, and nothing is stored."""
        self._ensure_user(view)
        if not path:
            yield self.notify(view, "Choose a .md, .txt or .html file to upload.")
            return
        with open(path, "rb") as f:
            data = f.read(MAX_UPLOAD_BYTES + 1)
        try:
            result = self.engine.upload_bank(view.user_id, Path(path).name, data)
        except InterviewerError as e:
            view.bank_md = f"❌ **Not uploaded.** {e}"
            view.toasts.append(str(e))
            yield view
            return
        view.source, view.bank_md = result.source, result.markdown()
        yield view

    @guarded
    def identify(self, view: View, stored: object) -> Iterator[View]:
        """The page loaded: adopt the browser's stored user id (or make one), and show this
        browser's latest interview, if any (a reload must not lose the one in progress; a
        finished one shows with its report)."""
        view.user_id = view.user_id or user_id_from(stored)
        view.brain = render.brain_markdown(self.brain_name())
        # Never wait for the models here: this event holds the page's controls while it
        # runs, and a first question needs no model (the first grade waits if it must).
        view.progress = LOADING if not self.ready.is_set() else View().progress
        summaries = self.engine.list_sessions(view.user_id)
        view.sessions = [(render.session_label(s), s.id) for s in summaries]
        current = summaries[0] if summaries else None  # the latest, finished or not
        log.info("page load: %d sessions%s", len(summaries),
                 f", showing {current.id} ({current.status})" if current else "")
        if current is not None and not view.session_id:
            self._restore(view, current.id)
        yield view

    def _restore(self, view: View, session_id: str) -> None:
        """Show a session as it stands, without re-asking anything: the engine's resume
        (which answers a message that was received but not answered) sets the open
        exercise and the report; the chat is the stored transcript."""
        _reset(view, session_id)
        for event in self.engine.resume_stream(view.user_id, session_id):
            if not isinstance(event, TextDelta):
                self._apply(view, event, show=False)
        view.messages = render.transcript_messages(
            self.engine.transcript(view.user_id, session_id))
        self._refresh_progress(view)
        view.plan = self._plan_of(view)

    @guarded
    def list_sessions(self, view: View) -> Iterator[View]:
        self._list(view)
        yield view

    def _list(self, view: View) -> None:
        self._ensure_user(view)
        view.sessions = [(render.session_label(s), s.id)
                         for s in self.engine.list_sessions(view.user_id)]

    def _ensure_user(self, view: View) -> None:
        if not view.user_id:
            view.user_id = new_user_id()

    # ------------------------------------------------------------ the interview
    @guarded
    def start(self, view: View, topics: list[str] | None, difficulty: str,
              questions: float, mode: str) -> Iterator[View]:
        self._ensure_user(view)
        plan = {"topics": list(topics or []), "difficulty": DIFFICULTIES.get(difficulty),
                "questions": int(questions or 5), "mode": mode,
                "sources": [view.source] if view.source else []}
        session_id, events = self.engine.start_stream(view.user_id, plan)
        _reset(view, session_id)
        yield from self._play(view, events, then=self._list)

    @guarded
    def send(self, view: View, text: str | None) -> Iterator[View]:
        """The candidate's answer (or a command typed in the chat box)."""
        text = (text or "").strip()
        problem = self._check_answer(view, text)
        if problem:
            yield self.notify(view, problem)
            return
        view.messages.append(render.candidate(text))
        if self.streams:  # an LLM takes a while: show the answer before its words come
            yield view
        yield from self._play(view, self.engine.handle_stream(view.user_id, view.session_id,
                                                              text))

    def _check_answer(self, view: View, text: str) -> str | None:
        if not view.session_id:
            return "Start an interview first: choose your settings and press Start interview."
        if not text:
            return "Type an answer first, or use Hint, Skip, Repeat or End."
        if len(text) > MAX_ANSWER_CHARS:
            return (f"Your answer is {len(text):,} characters long; the limit is "
                    f"{MAX_ANSWER_CHARS:,}. Please shorten it and send it again.")
        return None

    @guarded
    def command(self, view: View, name: str) -> Iterator[View]:
        """A button: hint, skip, repeat or end (sent to the engine as its chat command)."""
        if not view.session_id:
            yield self.notify(view, "Start an interview first.")
            return
        view.messages.append(render.candidate(f"*{name.capitalize()}*", ours=True))
        if self.streams:
            yield view
        yield from self._play(view, self.engine.handle_stream(
            view.user_id, view.session_id, COMMANDS[name]))

    @guarded
    def run_code(self, view: View, code: str | None) -> Iterator[View]:
        """Run the editor's code for the open exercise; the page shows the elapsed time."""
        code = code or ""
        if view.exercise is None or not view.session_id:
            yield self.notify(view, "There is no coding exercise open right now.")
            return
        if not code.strip() or len(code) > MAX_CODE_CHARS:
            yield self.notify(view, f"Write some code first (at most {MAX_CODE_CHARS:,} "
                                    "characters).")
            return
        view.messages.append(render.candidate(render.code_note(code), ours=True))
        future = self._runs.submit(self.engine.submit_code, view.user_id, view.session_id,
                                   code)
        yield from _wait(view, future)
        yield from self._play(view, future.result())
        view.scroll = view.exercise is None  # solved or given up: the next question is up

    @guarded
    def reference(self, view: View) -> Iterator[View]:
        """The reference answer of the last question the candidate finished."""
        if not view.session_id:
            yield self.notify(view, "Start an interview first.")
            return
        events = self.engine.reference(view.user_id, view.session_id)
        yield from self._play(view, events)

    # ------------------------------------------------------------ past sessions
    @guarded
    def resume(self, view: View, session_id: str | None) -> Iterator[View]:
        if not session_id:
            yield self.notify(view, "Choose a session in the list first.")
            return
        self._ensure_user(view)
        records = self.engine.transcript(view.user_id, session_id)
        _reset(view, session_id)
        view.messages = render.transcript_messages(records)
        over = bool(records) and records[-1].kind == "report"  # said once is enough
        yield from self._play(view, self.engine.resume_stream(view.user_id, session_id),
                              show=not over, then=self._resumed)

    def _resumed(self, view: View) -> None:
        view.plan = self._plan_of(view)
        self._list(view)

    def _plan_of(self, view: View) -> dict[str, Any]:
        return dict(self.engine.report(view.user_id, view.session_id).to_dict()["plan"])

    # ------------------------------------------------------------ progress across sessions
    @guarded
    def show_progress(self, view: View) -> Iterator[View]:
        """This browser's progress over its past sessions (its own sessions only)."""
        self._ensure_user(view)
        p = progress_of(self.engine, view.user_id)
        view.history_md = progress_markdown(p)
        view.history = progress.timeline_rows(p.to_dict()["timeline"])
        yield view

    @guarded
    def practice(self, view: View) -> Iterator[View]:
        """'Practice my weak spots': a new interview on the weakest topics so far."""
        self._ensure_user(view)
        plan = progress_of(self.engine, view.user_id).practice_plan()
        if plan is None:
            yield self.notify(view, "No scored answers yet: finish a few questions first, "
                                    "then practise your weak spots.")
            return
        yield from self.start(view, plan["topics"], "Adaptive", plan["questions"],
                              plan["mode"])

    @guarded
    def show_report(self, view: View, session_id: str | None) -> Iterator[View]:
        session_id = session_id or view.session_id
        if not session_id:
            yield self.notify(view, "Choose a session in the list first.")
            return
        self._ensure_user(view)
        report = self.engine.report(view.user_id, session_id)
        self._set_report(view, session_id, report.to_dict(), report.markdown())
        yield view

    # ------------------------------------------------------------ events → view
    def notify(self, view: View, text: str) -> View:
        view.messages.append(render.interviewer(render.notice_text(Notice(text, "warning"))))
        view.toasts.append(text)
        return view

    def _play(self, view: View, events: Iterable[Event], show: bool = True,
              then: Callable[[View], None] | None = None) -> Iterator[View]:
        """Render the engine's events; streamed words show up as they arrive and are
        replaced by the final event that carries them. With `show` False a report adds no
        chat line (a finished session's transcript already ends with one). `then` finishes
        the view before its one final yield (a second yield would cost the page a second
        message with every output)."""
        streaming = False
        for event in events:
            if isinstance(event, TextDelta):
                _stream(view, event.text, started=streaming)
                streaming = True
                yield view
                continue
            if streaming:
                view.messages.pop()
                streaming = False
            self._apply(view, event, show=show or not isinstance(event, ReportReady))
        self._refresh_progress(view)
        if then is not None:
            then(view)
        yield view

    def _apply(self, view: View, event: Event, show: bool = True) -> None:
        if show:
            view.messages += render.messages_for(event)
        if isinstance(event, Notice) and event.level == "warning":
            view.toasts.append(event.text)
        elif isinstance(event, ExerciseOffered):
            view.exercise, view.new_code = render.exercise_markdown(event), event.starter
            view.code_status, view.code_runs = "", view.code_runs + 1
        elif isinstance(event, QuestionAsked):
            view.exercise = None
        elif isinstance(event, CodeResult):
            view.code_status = render.code_result_markdown(event)
        elif isinstance(event, ReportReady):
            view.exercise = None
            self._set_report(view, event.session_id, event.report, event.markdown)
            self._list(view)  # the session is finished: the list says so now

    def _refresh_progress(self, view: View) -> None:
        if not view.session_id:
            return
        report = self.engine.report(view.user_id, view.session_id).to_dict()
        view.chart = render.topic_rows(report)
        view.progress = render.progress_markdown(report) + progress.score_bars(view.chart)
        usage = report.get("usage", {})
        view.brain = render.brain_markdown(usage.get("brain", self.brain_name()),
                                           bool(usage.get("llm_failed")))

    def _set_report(self, view: View, session_id: str, data: dict, markdown: str) -> None:
        folder = self.reports_dir / session_id
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        md, js = folder / f"interview-report-{session_id[:8]}.md", \
            folder / f"interview-report-{session_id[:8]}.json"
        md.write_text(markdown, encoding="utf-8")
        js.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
        view.report_md, view.report_files = markdown, [str(md), str(js)]


def _reset(view: View, session_id: str) -> None:
    """A new (or resumed) session in this tab: clear what the last one showed."""
    view.session_id, view.messages, view.exercise = session_id, [], None
    view.code_status, view.report_md, view.report_files, view.chart = "", "", [], []


def _stream(view: View, text: str, started: bool) -> None:
    if started:
        last = view.messages[-1]
        last["content"] = last["content"].rstrip("▌") + text + "▌"
    else:
        view.messages.append(render.interviewer(text + "▌"))


def _wait(view: View, future) -> Iterator[View]:
    """Yield the view with the elapsed time until `future` is done."""
    started = time.monotonic()
    while True:
        view.code_status = (f"⏳ Running your code in the sandbox… "
                            f"{time.monotonic() - started:.0f} s")
        yield view
        try:
            future.result(timeout=PROGRESS_EVERY_S)
            return
        except FutureTimeout:
            continue
