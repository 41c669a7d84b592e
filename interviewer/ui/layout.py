"""The page: Gradio components, and the wiring from each button to the `Controller`.

Every handler takes the tab's `View` (a `gr.State`, one per browser session) and yields
`paint(view)`, the same tuple of outputs for every event. Slow events are limited by
Gradio's queue: candidate turns share the "turn" limit, code runs the "executor" limit
(the sandbox's concurrency), so one user's long run never blocks another user's answer.
"""

from __future__ import annotations

import html
import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from interviewer.ui import render
from interviewer.ui.controller import DIFFICULTIES, MAX_ANSWER_CHARS, Controller, View
from interviewer.ui.identity import STORAGE_KEY

ASSETS = Path(__file__).resolve().parent / "assets"
TITLE = "torch-interviewer · PyTorch mock interview"
TURN_CONCURRENCY = 4
INTRO = ("## 🔥 torch-interviewer\nA mock PyTorch / ML-engineering interview: answer in your "
         "own words, get a grade with the key points you covered or missed, try coding "
         "exercises in a sandbox, and take home a report.")
# What an API client (gradio_client) gets back from every turn, in order: `Page.outputs()`
# without the per-session gr.State and the code panel's layout group.
API_OUTPUTS = ("chat", "answer", "exercise", "code", "code_result", "progress", "chart",
               "report", "download_md", "download_json", "sessions", "brain")
CHAT_PLACEHOLDER = ("**Choose your topics and press Start interview.**<br>Answer in the box "
                    "below the chat; use Hint, Skip, Repeat or End at any time.")


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
                self._start_panel(controller.topics())
                self._chat_panel()
                self._code_panel()
            with gr.Column(scale=2, min_width=300):
                self._side_panels()

    def _start_panel(self, topics: list[tuple[str, str]]) -> None:
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
            self.start = gr.Button("Start interview", variant="primary", elem_id="start")

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
            self.chart = gr.BarPlot(pd.DataFrame({"topic": [], "score": []}), x="topic",
                                    y="score", y_lim=[0, 5], title="Score by topic (0–5)",
                                    height=220, elem_id="chart", x_label_angle=-30,
                                    visible=False)
        with gr.Accordion("Report", open=True, elem_id="report-panel"):
            self.report = gr.Markdown("*The report appears here when the interview ends.*",
                                      elem_id="report", max_height=600)
            with gr.Row():
                self.download_md = gr.DownloadButton("⬇ Markdown", visible=False, size="sm",
                                                     elem_id="download-md")
                self.download_json = gr.DownloadButton("⬇ JSON", visible=False, size="sm",
                                                       elem_id="download-json")
        with gr.Accordion("Past sessions", open=True, elem_id="sessions-panel"):
            self.sessions = gr.Dropdown(choices=[], label="Your sessions in this browser",
                                        elem_id="sessions")
            with gr.Row():
                self.resume = gr.Button("Resume", size="sm", elem_id="resume")
                self.past_report = gr.Button("Report", size="sm", elem_id="past-report")
                self.refresh = gr.Button("↻ Refresh", size="sm", elem_id="refresh")

    def outputs(self) -> list[Any]:
        return [self.view, self.chat, self.answer, self.code_panel, self.exercise, self.code,
                self.code_result, self.progress, self.chart, self.report, self.download_md,
                self.download_json, self.sessions, self.brain]


def paint(view: View, clear_answer: bool = False) -> tuple:
    """The outputs for `view`, in `Page.outputs()` order. One-shot things (new starter
    code, pop-up warnings) are consumed here."""
    for text in view.toasts:
        gr.Warning(html.escape(text))
    view.toasts = []
    code, view.new_code = view.new_code, None
    files = view.report_files or [None, None]
    return (view, view.messages, "" if clear_answer else gr.update(),
            gr.update(visible=view.exercise is not None), view.exercise or "",
            gr.update() if code is None else code, view.code_status, view.progress,
            gr.update(value=pd.DataFrame(view.chart or {"topic": [], "score": []}),
                      visible=bool(view.chart)),
            view.report_md or "*The report appears here when the interview ends.*",
            gr.update(value=files[0], visible=bool(files[0])),
            gr.update(value=files[1], visible=bool(files[1])),
            gr.update(choices=view.sessions), view.brain or gr.update())


def _painted(views: Iterator[View], clear_answer: bool = False) -> Iterator[tuple]:
    first = True
    for view in views:
        yield paint(view, clear_answer and first)
        first = False


def build(controller: Controller, secret: str, code_concurrency: int) -> gr.Blocks:
    with gr.Blocks(title=TITLE) as demo:
        page = Page(controller, secret)
        _wire_interview(page, controller)
        _wire_sessions(demo, page, controller)
        page.run.click(_handler(controller.run_code), [page.view, page.code], page.outputs(),
                       api_name="run_code", concurrency_id="executor",
                       concurrency_limit=code_concurrency, show_progress="minimal")
    return demo


def _handler(method, *bound: Any, clear_answer: bool = False):
    """An event handler that forwards to a Controller method and paints each View."""
    def handler(view: View, *inputs: Any) -> Iterator[tuple]:
        yield from _painted(method(view, *bound, *inputs), clear_answer)
    handler.__name__ = "_".join([method.__name__, *map(str, bound)])
    params = list(inspect.signature(method).parameters.values())
    handler.__signature__ = inspect.Signature([params[0], *params[1 + len(bound):]])
    return handler


def _wire_interview(page: Page, ctl: Controller) -> None:
    out, turn = page.outputs(), {"concurrency_id": "turn",
                                 "concurrency_limit": TURN_CONCURRENCY}
    page.start.click(_handler(ctl.start), [page.view, page.topics, page.difficulty,
                                           page.questions, page.mode], out,
                     api_name="start", **turn).success(
        lambda: gr.Accordion(open=False), None, page.start_panel, queue=False,
        api_visibility="private")
    gr.on([page.send.click, page.answer.submit], _handler(ctl.send, clear_answer=True),
          [page.view, page.answer], out, api_name="answer", **turn)
    for name in ("hint", "skip", "repeat", "end"):
        getattr(page, name).click(_handler(ctl.command, name), [page.view], out,
                                  api_name=name, **turn)
    page.reference.click(_handler(ctl.reference), [page.view], out, api_name="reference",
                         **turn)


def _wire_sessions(demo: gr.Blocks, page: Page, ctl: Controller) -> None:
    out = page.outputs()

    def identify(view: View, stored: Any) -> Iterator[tuple]:
        for painted in _painted(ctl.identify(view, stored)):
            yield (*painted, view.user_id)

    demo.load(identify, [page.view, page.browser_user], [*out, page.browser_user],
              api_visibility="private")
    page.refresh.click(_handler(ctl.list_sessions), [page.view], out, api_name="sessions")
    page.resume.click(_handler(ctl.resume), [page.view, page.sessions], out,
                      api_name="resume", concurrency_id="turn",
                      concurrency_limit=TURN_CONCURRENCY)
    page.past_report.click(_handler(ctl.show_report), [page.view, page.sessions], out,
                           api_name="report")
