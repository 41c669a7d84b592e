"""The page: Gradio components, and the wiring from each button to the `Controller`.

Every handler takes the tab's `View` (a `gr.State`, one per browser session) and sends only
what a turn changes: the chat, the progress panel and a hidden "panels key". The side panels
(exercise and code, code result, report and downloads, sessions, brain) are painted by a
separate `panels` event, which the browser fires only when the key changes, so an ordinary
answer costs four outputs, not fourteen. Events that always change the sessions list (start,
resume, practice) paint it, and close the start panel, in their own response instead of
costing the page two more requests. (In Gradio every `gr.update()`, and `gr.skip()` too,
rebuilds its component and its API schema on the event loop; plain values are cheap and
are postprocessed in a worker thread, so the panels send plain values wherever they can.
Gradio also rebuilds every component's API schema for each new browser session and each
output it stores; `_memoize_api_schemas` computes each once.)
Slow events are limited by Gradio's queue: candidate turns share the "turn" limit, code
runs the "executor" limit (the sandbox's concurrency), so one user's long run never blocks
another user's answer.
"""

from __future__ import annotations

import functools
import html
import inspect
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from interviewer.ui import render
from interviewer.ui.controller import DIFFICULTIES, MAX_ANSWER_CHARS, Controller, View
from interviewer.knowledge.upload import UPLOAD_SUFFIXES
from interviewer.ui.identity import STORAGE_KEY

ASSETS = Path(__file__).resolve().parent / "assets"
TITLE = "torch-interviewer · PyTorch mock interview"
TURN_CONCURRENCY = 8
INTRO = ("## 🔥 torch-interviewer\nA mock PyTorch / ML-engineering interview: answer in your "
         "own words, get a grade with the key points you covered or missed, try coding "
         "exercises in a sandbox, and take home a report.")
# What an API client (gradio_client) gets back, in order (gr.State and layout blocks are not
# part of the API): every turn (/start /answer /hint /skip /repeat /end /reference /run_code
# /resume /practice) returns TURN_API; /answer also clears the answer box, /run_code also
# returns the code result; /start, /practice and /resume also the sessions list, /resume
# then the start panel's settings. /panels (and /sessions, /report) return PANELS_API; call
# it when the key (TURN_API[2]) changed, as the page does.
TURN_API = ("chat", "progress", "panels_key")
PANELS_API = ("exercise", "code", "code_result", "report", "download_md", "download_json",
              "sessions", "brain")
SETTINGS_API = ("topics", "difficulty", "questions", "mode")
CHAT_PLACEHOLDER = ("**Choose your topics and press Start interview.**<br>Answer in the box "
                    "below the chat; use Hint, Skip, Repeat or End at any time.")
NO_REPORT = "*The report appears here when the interview ends.*"
# Brings the chat into view when a code run closed the exercise (the key ends in "|scroll").
SCROLL_JS = ("(key) => { if (key && key.endsWith('|scroll')) { const c = "
             "document.querySelector('#chat'); if (c) c.scrollIntoView({block: 'start'}); } }")


class Page:
    """The components, built inside a `gr.Blocks` context."""

    def __init__(self, controller: Controller, secret: str) -> None:
        self.view = gr.State(View())
        self.browser_user = gr.BrowserState(None, storage_key=STORAGE_KEY, secret=secret)
        gr.Markdown(INTRO, elem_id="intro")
        self.brain = gr.Markdown(render.brain_markdown(controller.brain_name()),
                                 elem_id="brain")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                self._start_panel(controller.topics(), controller.sources())
                self._chat_panel()
                self._code_panel()
            with gr.Column(scale=2, min_width=300):
                self._side_panels()

    def _start_panel(self, topics: list[tuple[str, str]],
                     sources: list[tuple[str, str]]) -> None:
        with gr.Accordion("Start a new interview", open=True,
                          elem_id="start-panel") as self.start_panel:
            if not topics:
                gr.Markdown("⚠️ **The knowledge base is empty.** Run `interviewer ingest` "
                            "(or `make run`) and reload this page.")
            self.topics = gr.Dropdown(choices=topics, multiselect=True, label="Topics",
                                      info="Leave empty for all topics", elem_id="topics")
            with gr.Row():
                self.difficulty = gr.Radio(list(DIFFICULTIES), value="Adaptive",
                                           label="Difficulty", elem_id="difficulty")
                self.mode = gr.Radio([("Concepts", "concepts"), ("Coding", "coding"),
                                      ("Mixed", "mixed")], value="mixed", label="Mode",
                                     elem_id="mode")
            self.questions = gr.Slider(1, 20, value=5, step=1, label="Number of questions",
                                       elem_id="questions")
            self._bank_panel(sources)
            self.start = gr.Button("Start interview", variant="primary", elem_id="start")

    def _bank_panel(self, sources: list[tuple[str, str]]) -> None:
        with gr.Group(elem_id="bank-panel"):
            with gr.Row(equal_height=True):
                self.source = gr.Dropdown(choices=sources, value=None, label="Question bank",
                                          info="Leave empty for every public bank",
                                          elem_id="source", scale=3)
                self.upload = gr.UploadButton("⬆ Upload a bank (.md/.txt/.html, ≤ 1 MB)",
                                              file_types=list(UPLOAD_SUFFIXES),
                                              file_count="single", type="filepath",
                                              size="sm", elem_id="upload-bank", scale=2)
            self.bank_summary = gr.Markdown(elem_id="bank-summary")

    def _chat_panel(self) -> None:
        self.chat = gr.Chatbot(label="Interview", height=520, elem_id="chat",
                               placeholder=CHAT_PLACEHOLDER, feedback_options=None,
                               buttons=["copy_all"], layout="bubble",
                               group_consecutive_messages=False)
        self.answer = gr.Textbox(placeholder="Type your answer… (Shift+Enter or Send answer "
                                 "sends it; Enter starts a new line)", lines=3, max_lines=12,
                                 show_label=False, max_length=MAX_ANSWER_CHARS,
                                 elem_id="answer")
        with gr.Row(elem_id="actions"):
            self.send = gr.Button("Send answer", variant="primary", elem_id="send",
                                  min_width=120)
            self.hint = gr.Button("💡 Hint", size="sm", elem_id="hint", min_width=80)
            self.skip = gr.Button("Skip", size="sm", elem_id="skip", min_width=80)
            self.repeat = gr.Button("Repeat", size="sm", elem_id="repeat", min_width=80)
            self.reference = gr.Button("📖 Reference", size="sm", elem_id="reference",
                                       min_width=100)
            self.end = gr.Button("End", size="sm", variant="stop", elem_id="end",
                                 min_width=80)

    def _code_panel(self) -> None:
        with gr.Group(visible=False, elem_id="code-panel") as self.code_panel:
            self.exercise = gr.Markdown(elem_id="exercise", padding=True)
            self.code = gr.Code(language="python", lines=14, max_lines=40,
                                label="Your solution (Python)", interactive=True,
                                elem_id="code")
            self.run = gr.Button("▶ Run code", variant="primary", elem_id="run")
            self.code_result = gr.Markdown(elem_id="code-result", padding=True)

    def _side_panels(self) -> None:
        with gr.Accordion("Progress", open=True, elem_id="progress-panel"):
            self.progress = gr.Markdown(View().progress, elem_id="progress")
        with gr.Accordion("Report", open=True, elem_id="report-panel"):
            self.report = gr.Markdown(NO_REPORT, elem_id="report", max_height=600)
            with gr.Row(visible=False, elem_id="downloads") as self.downloads:
                self.download_md = gr.DownloadButton("⬇ Markdown", size="sm",
                                                     elem_id="download-md")
                self.download_json = gr.DownloadButton("⬇ JSON", size="sm",
                                                       elem_id="download-json")
        with gr.Accordion("Past sessions", open=True, elem_id="sessions-panel"):
            self.sessions = gr.Dropdown(choices=[], label="Your sessions in this browser",
                                        elem_id="sessions")
            with gr.Row():
                self.resume = gr.Button("Resume", size="sm", elem_id="resume")
                self.past_report = gr.Button("Report", size="sm", elem_id="past-report")
                self.refresh = gr.Button("↻ Refresh", size="sm", elem_id="refresh")
        with gr.Accordion("Your progress across sessions", open=False,
                          elem_id="history-panel") as self.history_panel:
            self.history = gr.Markdown("*Open this panel to see your progress.*",
                                       elem_id="history")
            self.history_plot = gr.ScatterPlot(None, x="session", y="score",
                                               color="topic", y_lim=[0, 5],
                                               title="Score by topic per session (0–5)",
                                               height=240, elem_id="history-plot")
            with gr.Row():
                self.practice = gr.Button("🎯 Practice my weak spots", size="sm",
                                          variant="primary", elem_id="practice")
                self.history_refresh = gr.Button("↻ Update", size="sm",
                                                 elem_id="history-refresh")
        self.panels_key = gr.Textbox(visible="hidden", elem_id="panels-key")

    def turn_outputs(self) -> list[Any]:
        return [self.view, self.chat, self.progress, self.panels_key]

    def panel_outputs(self) -> list[Any]:
        return [self.view, self.code_panel, self.exercise, self.code, self.code_result,
                self.report, self.downloads, self.download_md, self.download_json,
                self.sessions, self.brain]

    def settings_outputs(self) -> list[Any]:
        return [self.topics, self.difficulty, self.questions, self.mode]


def history_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The progress plot's data: session ("#1" = the oldest), topic, score; typed even when
    empty, so the plot takes the session and the topic as categories."""
    return pd.DataFrame({"session": pd.Series([f"#{r['session']}" for r in rows],
                                              dtype="object"),
                         "topic": pd.Series([r["topic"] for r in rows], dtype="object"),
                         "score": pd.Series([r["score"] for r in rows], dtype="float64")})


def _toasts(view: View) -> None:
    for text in view.toasts:
        gr.Warning(html.escape(text))
    view.toasts = []


def paint_turn(view: View) -> tuple:
    """What every turn sends: the chat, the progress panel and the panels key."""
    _toasts(view)
    key = view.panels_key() + ("|scroll" if view.scroll else "")
    view.scroll = False
    return view, view.messages, view.progress, key


def paint_panels(view: View) -> tuple:
    """The side panels, in `Page.panel_outputs()` order; new starter code is consumed.
    Updates (each a component rebuild) only for visibility, the sessions' choices and the
    editor, which must keep the candidate's code unless there is new starter code."""
    _toasts(view)
    code, view.new_code = view.new_code, None
    files = view.report_files or [None, None]
    return (view, gr.update(visible=view.exercise is not None), view.exercise or "",
            gr.skip() if code is None else code, view.code_status, view.report_md or NO_REPORT,
            gr.update(visible=bool(files[0])), files[0], files[1], *paint_sessions(view),
            view.brain or render.brain_markdown("offline"))


def paint_sessions(view: View) -> tuple:
    """The sessions list; the choice in it stays the candidate's."""
    return (gr.update(choices=view.sessions),)


def paint_opened(view: View) -> tuple:
    """After an interview is opened (start, practice, resume): the sessions list with that
    interview chosen, so Report and Resume act on it; as `paint_sessions` when none opened."""
    if not view.session_id:
        return paint_sessions(view)
    return (gr.update(choices=view.sessions, value=view.session_id),)


def paint_started(view: View) -> tuple:
    """After start or practice: the sessions list, and the start panel closed once an
    interview is open."""
    return (*paint_opened(view), gr.update(open=False) if view.session_id else gr.skip())


def paint_practice(view: View) -> tuple:
    """After 'Practice my weak spots': as after start, and the progress panel closed."""
    return (*paint_started(view), paint_started(view)[-1])


def paint_settings(view: View) -> tuple:
    """A resumed session's settings for the start panel (unchanged when there is none)."""
    plan, view.plan = view.plan, None
    if not plan:
        return (gr.skip(),) * 4
    level = {v: k for k, v in DIFFICULTIES.items()}.get(plan.get("difficulty"), "Adaptive")
    return (list(plan.get("topics") or []), level, plan.get("questions", 5),
            plan.get("mode", "mixed"))


def _paint(view: View, *extra: Callable[[View], tuple]) -> tuple:
    out = paint_turn(view)
    for more in extra:
        out += more(view)
    return out


def _painted(views: Iterator[View], *extra: Callable[[View], tuple]) -> Iterator[tuple]:
    for view in views:
        yield _paint(view, *extra)


def build(controller: Controller, secret: str, code_concurrency: int) -> gr.Blocks:
    with gr.Blocks(title=TITLE) as demo:
        page = Page(controller, secret)
        _wire_interview(page, controller)
        _wire_panels(demo, page, controller)
        _wire_progress(page, controller)
        _wire_bank(page, controller)
        page.run.click(_handler(controller.run_code, extra=(_code_result,)),
                       [page.view, page.code], [*page.turn_outputs(), page.code_result],
                       api_name="run_code", concurrency_id="executor",
                       concurrency_limit=code_concurrency, show_progress="minimal")
    _memoize_api_schemas(demo)
    return demo


API_SCHEMAS = ("api_info", "api_info_as_input", "api_info_as_output", "example_inputs")


def _memoize_api_schemas(demo: gr.Blocks) -> None:
    """Gradio describes every component of the page again for each new browser session
    (its session config) and for each output it stores: a pydantic JSON-schema build and
    an `inspect.signature` of the component's constructor per component: ~25% of the
    app's interpreter time with 20 new users at once; a session's state costs ~3x less
    memoized (`bench/bench_session_state.py`). A built component's schema never
    changes (an update builds a new component), so each is computed once, callers getting
    their own copy; a constructor's signature never changes either, and
    `inspect.signature` returns one stored as `__signature__` without rebuilding it."""
    for block in demo.blocks.values():
        for name in API_SCHEMAS:
            method = getattr(block, name, None)
            if callable(method):
                setattr(block, name, _copied(method))
        init = type(block).__init__
        if inspect.isfunction(init) and "__signature__" not in vars(init):
            init.__signature__ = inspect.signature(init)


def _copied(schema: Callable[[], Any]) -> Callable[[], Any]:
    """`schema` computed on first use, then each caller gets its own copy, parsed again
    from JSON (as Gradio sends it; several times cheaper than a deep copy). A schema that
    is not JSON is computed again at each call, as without the memo."""
    @functools.cache
    def text() -> str | None:
        try:
            return json.dumps(schema())
        except TypeError:
            return None

    def fresh() -> Any:
        cached = text()
        return schema() if cached is None else json.loads(cached)
    return fresh


def _code_result(view: View) -> tuple:
    return (view.code_status,)


def _clear_answer(view: View) -> tuple:
    return ("",)


def _handler(method, *bound: Any, extra: tuple = (), stream: bool = True):
    """An event handler that forwards to a Controller method and paints each View: the turn
    outputs, then those of each `extra` painter. With `stream` False it is a plain function
    that paints the method's last View only (the toasts of every View go with it): for a
    turn that yields once (a brain that does not stream its words), as Gradio sends a
    generator's outputs twice (its last yield, then the same as the completed event) and
    hops to a worker thread once more for its end."""
    if not stream:
        def plain(view: View, *inputs: Any) -> tuple:
            last = view
            for last in method(view, *bound, *inputs):
                pass
            return _paint(last, *extra)
        return _named(plain, method, bound)

    def handler(view: View, *inputs: Any) -> Iterator[tuple]:
        yield from _painted(method(view, *bound, *inputs), *extra)
    return _named(handler, method, bound)


def _named(handler, method, bound: tuple):
    """`handler` with the name and signature Gradio shows in the API page: the method's,
    less the bound arguments."""
    handler.__name__ = "_".join([method.__name__, *map(str, bound)])
    params = list(inspect.signature(method).parameters.values())
    handler.__signature__ = inspect.Signature([params[0], *params[1 + len(bound):]])
    return handler


def _wire_interview(page: Page, ctl: Controller) -> None:
    out, turn = page.turn_outputs(), {"concurrency_id": "turn",
                                      "concurrency_limit": TURN_CONCURRENCY,
                                      "show_progress": "minimal"}
    stream = ctl.streams
    page.start.click(_handler(ctl.start, extra=(paint_started,), stream=stream),
                     [page.view, page.topics, page.difficulty, page.questions, page.mode],
                     [*out, page.sessions, page.start_panel], api_name="start", **turn)
    gr.on([page.send.click, page.answer.submit],
          _handler(ctl.send, extra=(_clear_answer,), stream=stream),
          [page.view, page.answer], [*out, page.answer], api_name="answer", **turn)
    for name in ("hint", "skip", "repeat", "end"):
        getattr(page, name).click(_handler(ctl.command, name, stream=stream), [page.view], out,
                                  api_name=name, **turn)
    page.reference.click(_handler(ctl.reference, stream=stream), [page.view], out,
                         api_name="reference", **turn)


def _wire_bank(page: Page, ctl: Controller) -> None:
    """Upload a bank or choose one: the summary, the bank list and its topics follow."""
    def paint(views: Iterator[View]) -> Iterator[tuple]:
        for view in views:
            _toasts(view)
            yield (view, view.bank_md, gr.update(choices=ctl.sources(view.user_id or ""),
                                                 value=view.source),
                   gr.update(choices=ctl.bank_topics(view), value=[]))

    def upload(view: View, path: str | None) -> Iterator[tuple]:
        yield from paint(ctl.upload_bank(view, path))

    def choose(view: View, name: str | None) -> Iterator[tuple]:
        yield from paint(ctl.choose_source(view, name))

    outputs = [page.view, page.bank_summary, page.source, page.topics]
    page.upload.upload(upload, [page.view, page.upload], outputs, api_name="upload_bank",
                       concurrency_id="turn", concurrency_limit=TURN_CONCURRENCY)
    page.source.input(choose, [page.view, page.source], outputs, api_visibility="private")


def _wire_panels(demo: gr.Blocks, page: Page, ctl: Controller) -> None:
    panels, settings = page.panel_outputs(), page.settings_outputs()

    def identify(view: View, stored: Any) -> Iterator[tuple]:
        for painted in _painted(ctl.identify(view, stored), paint_opened, paint_settings):
            yield (*painted, view.user_id)

    demo.load(identify, [page.view, page.browser_user],
              [*page.turn_outputs(), page.sessions, *settings, page.browser_user],
              api_visibility="private")
    page.panels_key.change(lambda view: paint_panels(view), [page.view], panels,
                           api_name="panels", queue=False, show_progress="hidden")
    page.panels_key.change(None, [page.panels_key], None, js=SCROLL_JS, queue=False,
                           api_visibility="private")
    page.refresh.click(_panels_handler(ctl.list_sessions), [page.view], panels,
                       api_name="sessions")
    page.resume.click(_handler(ctl.resume, extra=(paint_opened, paint_settings),
                               stream=ctl.streams),
                      [page.view, page.sessions],
                      [*page.turn_outputs(), page.sessions, *settings],
                      api_name="resume", concurrency_id="turn",
                      concurrency_limit=TURN_CONCURRENCY)
    page.past_report.click(_panels_handler(ctl.show_report), [page.view, page.sessions],
                           panels, api_name="report")


def _wire_progress(page: Page, ctl: Controller) -> None:
    def show(view: View) -> Iterator[tuple]:
        for v in ctl.show_progress(view):
            yield v, v.history_md, history_frame(v.history)

    outputs = [page.view, page.history, page.history_plot]
    page.history_panel.expand(show, [page.view], outputs, api_visibility="private")
    page.history_refresh.click(show, [page.view], outputs, api_name="progress")
    page.practice.click(_handler(ctl.practice, extra=(paint_practice,), stream=ctl.streams),
                        [page.view], [*page.turn_outputs(), page.sessions, page.start_panel,
                         page.history_panel], api_name="practice", concurrency_id="turn",
                        concurrency_limit=TURN_CONCURRENCY)


def _panels_handler(method):
    """A handler that paints the side panels (and shows the chat's notices as toasts)."""
    def handler(view: View, *inputs: Any) -> Iterator[tuple]:
        for v in method(view, *inputs):
            yield paint_panels(v)
    handler.__name__ = method.__name__
    handler.__signature__ = inspect.signature(method)
    return handler
