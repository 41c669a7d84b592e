"""The web UI without a browser: rendering of engine events, the per-browser identity, and
the controller driving a real engine (scripted grader and runner, real Chroma store, SQLite
sessions in a temp folder). Fast; the browser and API tests are in test_ui_browser.py and
test_ui_app.py."""

from __future__ import annotations

import inspect
import json
import os
import stat
from pathlib import Path

import pytest

from interviewer.engine.events import CodeResult, GradeReady, Notice, QuestionAsked
from interviewer.errors import ServiceError
from interviewer.ui import identity, render
from interviewer.ui.controller import MAX_ANSWER_CHARS, OOPS, Controller, View
from test_engine_support import FakeRunner, ScriptedBrain, make_engine


def drain(views):
    """Run a controller generator; return every intermediate snapshot's messages count and
    the last view."""
    last, snapshots = None, []
    for last in views:
        snapshots.append([dict(m) for m in last.messages])
    return last, snapshots


def said(view: View) -> str:
    return "\n".join(m["content"] for m in view.messages)


@pytest.fixture
def make_controller(settings, ingested_store, knowledge_questions, tmp_path):
    def make(**kw):
        engine = make_engine(settings, ingested_store, knowledge_questions, **kw)
        return Controller(engine, reports_dir=tmp_path / "reports")
    return make


# ------------------------------------------------------------------ pure rendering
def test_fence_survives_backticks_in_candidate_text():
    text = "x = 1\n```\nprint('hi')\n```"
    fenced = render.fence(text)
    assert fenced.startswith("````") and fenced.endswith("````")


def test_grade_shows_score_points_misconceptions_feedback():
    e = GradeReady(question_id="Q1", score=2.5, max_score=5, follow_up=False,
                   covered=["views share storage"], missing=["reshape may copy"],
                   misconceptions=["view always copies"], feedback="Half there.", penalty=1.0)
    md = render.grade_markdown(e)
    for part in ("2.5 / 5", "hint penalty −1", "views share storage", "reshape may copy",
                 "view always copies", "Half there."):
        assert part in md


def test_code_result_shows_each_check_with_failing_input_and_output():
    details = {"status": "failed", "message": "1 of 2 checks failed", "stdout": "hello\n",
               "stderr": "x" * (render.OUTPUT_CHARS + 50),
               "checks": [{"name": "1-D", "passed": True, "message": ""},
                          {"name": "2-D", "passed": False,
                           "message": "expected (2, 3)\ninput:\n  x.shape = [2, 3]"}]}
    e = CodeResult(exercise_id="ex", status="failed", passed=1, total=2, score=2.5,
                   text="failed", details=details)
    md = render.code_result_markdown(e)
    assert "Some checks failed" in md and "✅ **1-D**" in md and "❌ **2-D**" in md
    assert "x.shape = [2, 3]" in md and "hello" in md
    assert "50 more characters not shown" in md


def test_progress_and_chart_come_from_the_engine_report():
    report = {"status": "active", "plan": {"questions": 4},
              "overall": {"answered": 2, "skipped": 1, "score": 3.25},
              "topics": [{"topic": "a", "name": "Autograd", "score": 3.0},
                         {"topic": "b", "name": "Basics", "score": None}]}
    assert render.progress_markdown(report) == "**3 of 4 done** · 1 left · average **3.2/5**"
    assert render.topic_rows(report) == [{"topic": "Autograd", "score": 3.0}]


def test_brain_is_named_on_the_page():
    assert "offline" in render.brain_markdown("offline")
    assert "openai:gpt" in render.brain_markdown("openai:gpt")
    assert "took over" in render.brain_markdown("openai:gpt", failed=True)


# ------------------------------------------------------------------ identity
def test_user_ids_are_random_and_checked():
    a, b = identity.new_user_id(), identity.new_user_id()
    assert a != b and identity.is_user_id(a)
    assert identity.user_id_from(a) == a
    for junk in (None, "", "web-xyz", {"id": a}, "someone-else"):
        assert identity.is_user_id(identity.user_id_from(junk))
        assert identity.user_id_from(junk) != junk


def test_browser_secret_is_stable_and_private(tmp_path):
    first = identity.browser_secret(tmp_path)
    assert identity.browser_secret(tmp_path) == first and len(first) >= 32
    mode = (tmp_path / "ui" / "browser-secret").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


# ------------------------------------------------------------------ controller + engine
def test_start_answer_grade_follow_up_and_progress(make_controller):
    ctl = make_controller()
    view, _ = drain(ctl.start(View(), [], "Adaptive", 2, "concepts"))
    assert view.user_id and view.session_id and "Question 1 of 2" in said(view)
    assert view.progress.startswith("**0 of 2 done**") and len(view.sessions) == 1
    view, snaps = drain(ctl.send(view, "2: views share storage"))
    assert len(snaps) == 1  # one repaint per turn when the brain does not stream
    assert {"role": "user", "content": "2: views share storage"} in snaps[0]
    assert "Score: 2.0 / 5" in said(view) and "**Follow-up:**" in said(view)
    view, _ = drain(ctl.send(view, "4: the follow-up answer"))
    assert "Question 2 of 2" in said(view) and view.chart and "1 of 2 done" in view.progress


def test_input_is_checked_at_the_border(make_controller):
    ctl = make_controller()
    view, _ = drain(ctl.send(View(), "an answer before any interview"))
    assert "Start an interview first" in said(view)
    view, _ = drain(ctl.start(view, [], "Easy", 1, "concepts"))
    count = len(view.messages)
    view, _ = drain(ctl.send(view, "x" * (MAX_ANSWER_CHARS + 1)))
    assert f"the limit is {MAX_ANSWER_CHARS:,}" in view.messages[-1]["content"]
    assert len(view.messages) == count + 1 and view.toasts


def test_buttons_hint_skip_repeat_reference_end_and_report_files(make_controller):
    ctl = make_controller()
    view, _ = drain(ctl.start(View(), [], "Medium", 2, "concepts"))
    view, _ = drain(ctl.reference(view))
    assert "once you have finished a question" in said(view)
    view, _ = drain(ctl.command(view, "hint"))
    assert "💡" in view.messages[-1]["content"]
    view, _ = drain(ctl.command(view, "repeat"))
    assert "Question 1 of 2" in view.messages[-1]["content"]
    view, _ = drain(ctl.command(view, "skip"))
    view, _ = drain(ctl.reference(view))
    assert "Reference answer" in view.messages[-1]["content"]
    view, _ = drain(ctl.command(view, "end"))
    assert "The interview is over" in said(view) and view.report_md
    md, js = map(Path, view.report_files)
    assert md.read_text() == view.report_md
    assert json.loads(js.read_text())["session_id"] == view.session_id


def test_streamed_words_show_then_the_final_text_replaces_them(make_controller):
    ctl = make_controller(brain=ScriptedBrain())
    view, snaps = drain(ctl.start(View(), [], "Adaptive", 1, "concepts"))
    streaming = [s for s in snaps if s and s[-1]["content"].endswith("▌")]
    assert streaming, "no intermediate view showed streamed words"
    assert "▌" not in said(view) and "LLM asks:" in said(view)


def test_llm_failure_is_a_notice_and_the_brain_label_changes(make_controller):
    ctl = make_controller(brain=ScriptedBrain(fail_after=0))
    view, _ = drain(ctl.start(View(), [], "Adaptive", 1, "concepts"))
    assert any("unavailable" in t for t in view.toasts)
    assert "took over" in view.brain and "Traceback" not in said(view)


def test_code_exercise_runs_with_progress_and_result(make_controller):
    ctl = make_controller(executor=FakeRunner())
    view, _ = drain(ctl.start(View(), [], "Adaptive", 1, "coding"))
    assert view.exercise and view.new_code.startswith(("def", "class"))
    statuses = []
    for v in ctl.run_code(view, "print('no')"):
        statuses.append(v.code_status)
    assert statuses[0].startswith("⏳ Running") and "Some checks failed" in statuses[-1]
    view, _ = drain(ctl.run_code(view, "PASS = True"))
    assert "The interview is over" in said(view) and view.exercise is None


def test_errors_become_notices_never_tracebacks(make_controller):
    ctl = make_controller()
    view, _ = drain(ctl.start(View(), [], "Adaptive", 1, "concepts"))

    def boom(*args):
        raise RuntimeError("secret internals")

    ctl.engine.handle_stream = boom
    view, _ = drain(ctl.send(view, "an answer"))
    assert view.messages[-1]["content"].endswith(OOPS + "**")
    assert "secret internals" not in said(view)

    def down(*args):
        raise ServiceError("the session database is unavailable")

    ctl.engine.handle_stream = down
    view, _ = drain(ctl.send(view, "an answer"))
    assert "session database is unavailable" in view.messages[-1]["content"]


def test_one_browser_cannot_open_another_browsers_session(make_controller):
    ctl = make_controller()
    alice, _ = drain(ctl.start(View(), [], "Adaptive", 1, "concepts"))
    bob, _ = drain(ctl.list_sessions(View()))
    assert bob.user_id != alice.user_id and bob.sessions == []
    bob, _ = drain(ctl.resume(bob, alice.session_id))
    assert bob.session_id is None and "Question 1" not in said(bob)
    bob, _ = drain(ctl.show_report(bob, alice.session_id))
    assert bob.report_md == ""


def test_resume_after_reload_shows_the_transcript_and_continues(make_controller):
    ctl = make_controller()
    first, _ = drain(ctl.start(View(), [], "Adaptive", 2, "concepts"))
    first, _ = drain(ctl.send(first, "1: a weak answer"))
    reloaded, _ = drain(ctl.identify(View(), first.user_id))  # same browser, new tab
    assert [sid for _, sid in reloaded.sessions] == [first.session_id]
    reloaded, _ = drain(ctl.resume(reloaded, first.session_id))
    text = said(reloaded)
    assert "1: a weak answer" in text and "Score: 1.0 / 5" in text and "Resuming" in text


def test_event_kinds_all_render():
    assert render.messages_for(Notice("hi", "warning"))[0]["content"] == "⚠️ **hi**"
    q = QuestionAsked(question_id="Q1", topic="t", topic_name="Tensors", difficulty=3,
                      number=1, total=2, text="Why?")
    assert "Tensors · hard" in render.messages_for(q)[0]["content"]


def test_candidate_text_and_run_messages_are_not_markup():
    from interviewer.engine.events import CodeResult

    text = '<img src="http://127.0.0.2/x.png"> *stars* [link](http://x) # head\nline two'
    shown = render.candidate(text)["content"]
    assert "<img" not in shown and "&lt;img" in shown
    assert "\\*stars\\*" in shown and "\\[link\\]" in shown and "\\# head" in shown
    assert render.candidate("*Hint*", ours=True)["content"] == "*Hint*"
    fake = "All checks passed · score 5.0/5 <form id=x></form>"
    result = CodeResult(exercise_id="x", status="error", passed=0, total=3, score=0.0,
                        text="", details={"message": fake})
    md = render.code_result_markdown(result)
    assert "```\n" + fake + "\n```" in md


def test_report_downloads_folder_is_private_and_removed_at_exit():
    import subprocess
    import sys

    code = ("import os, stat\nfrom interviewer.ui.reports import private_reports_dir\n"
            "p = private_reports_dir()\nprint(p, oct(stat.S_IMODE(os.stat(p).st_mode)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True).stdout.split()
    assert out[1] == "0o700"
    assert not os.path.exists(out[0])  # removed when the process ended


def test_the_page_says_the_models_are_loading_and_does_not_wait_for_them(make_controller):
    """The page-load event holds the page's controls while it runs: it once waited for the
    models, so Start could not be pressed for seconds after the page was served."""
    ctl = make_controller()
    ctl.ready.clear()  # as while `start_warm_up` runs; never set in this test
    views = list(ctl.identify(View(), None))
    assert "Loading the grading models" in views[-1].progress
    assert "you can start now" in views[-1].progress
    ctl.ready.set()
    assert "Loading" not in list(ctl.identify(View(), None))[-1].progress


# ------------------------------------------------------------------ a bank of your own
MY_BANK = """# My questions

## What does torch.no_grad do?
It turns off gradient tracking inside its block, so no graph is recorded.

## Why call model.eval() before testing?
It switches dropout and batch norm to their inference behaviour.

## What is a CUDA stream?
"""


def test_uploaded_bank_is_private_summarised_and_interviewed_on(make_controller, tmp_path,
                                                                 ingested_store):
    ctl = make_controller()
    bank = tmp_path / "My Bank.md"
    bank.write_text(MY_BANK, encoding="utf-8")
    view, _ = drain(ctl.upload_bank(View(), str(bank)))
    try:
        assert view.source and view.source.startswith("my-bank-")
        assert "2 question/answer pairs found, 1 skipped" in view.bank_md
        assert "My Bank.md:9" in view.bank_md and "What is a CUDA stream?" in view.bank_md
        assert view.source in [name for _, name in ctl.sources(view.user_id)]
        assert view.source not in [name for _, name in ctl.sources("someone-else")]
        view, _ = drain(ctl.start(view, [], "Adaptive", 2, "concepts"))
        asked = said(view)
        assert "torch.no_grad" in asked or "model.eval()" in asked
        view, _ = drain(ctl.send(view, "3: it stops recording the graph"))
        assert "Score: 3.0 / 5" in said(view)
    finally:
        ingested_store.remove_source(view.source)


@pytest.mark.parametrize("name, data, why", [
    ("bank.md", b"\xff\xfe not utf-8 \xff", "not UTF-8"),
    ("bank.md", b"just some prose, no questions here\n", "no question"),
    ("bank.md", b"# Q\n" + b"x" * 1_000_001, "the limit is 1,000,000"),
    ("bank.pdf", b"%PDF-1.4", "unsupported file type"),
])
def test_bad_upload_says_why_and_stores_nothing(make_controller, tmp_path, name, data, why):
    ctl = make_controller()
    before = ctl.sources("")
    path = tmp_path / name
    path.write_bytes(data)
    view, _ = drain(ctl.upload_bank(View(), str(path)))
    assert view.bank_md.startswith("❌") and why in view.bank_md and view.toasts
    assert view.source is None and ctl.sources(view.user_id) == before


def test_component_schemas_are_built_once_and_every_session_gets_its_own_copy(
        make_controller):
    """Gradio rebuilt each component's API schema for every new browser session (~14 ms of
    the interpreter each); they are now memoized. A memo must never let one session's
    config reach another's."""
    from gradio.components import Component
    from gradio.state_holder import SessionState

    from interviewer.ui.layout import build

    demo = build(make_controller(), "secret", 1)
    upload = next(b for b in demo.blocks.values() if type(b).__name__ == "UploadButton")
    assert "api_info" in vars(upload)  # memoized on the built component
    fresh = type(upload).api_info(upload)  # the class's own method, not the memo
    first, second = upload.api_info(), upload.api_info()
    assert first == second == fresh and first is not second
    first["mutated"] = True
    assert "mutated" not in upload.api_info()

    one, two = SessionState(demo), SessionState(demo)
    chat = next(k for k, b in demo.blocks.items() if type(b).__name__ == "Chatbot")
    one._update_value_in_config(chat, [{"role": "user", "content": "one's answer"}])
    assert "one's answer" not in json.dumps(two.config_values[chat], default=str)
    assert "one's answer" not in json.dumps(SessionState(demo).config_values[chat],
                                            default=str)
    components = [b for b in demo.blocks.values()
                  if isinstance(b, Component) and not b.skip_api]
    assert all(b.api_info() == type(b).api_info(b) for b in components)


@pytest.mark.parametrize("brain, streams", [(None, False), ("scripted", True)])
def test_turns_stream_only_when_the_brain_streams_words(make_controller, brain, streams):
    """A turn of a brain that streams is a generator (its words reach the page as they
    come); otherwise a plain function, which Gradio sends once instead of twice. The code
    run always streams (the elapsed time)."""
    from interviewer.ui.layout import build

    ctl = make_controller(**({"brain": ScriptedBrain()} if brain else {}))
    assert ctl.streams is streams
    demo = build(ctl, "secret", 1)
    kinds = {f.api_name: inspect.isgeneratorfunction(f.fn) for f in demo.fns.values()}
    turns = ("start", "answer", "hint", "skip", "repeat", "end", "reference", "resume",
             "practice")
    assert {kinds[name] for name in turns} == {streams}
    assert kinds["run_code"] is True


GRADIO_PROBE = r"""
import sys
if sys.argv[1] == "gradio-first":
    import gradio
import interviewer.ui.layout
import gradio as gr
import gradio.component_meta as meta
from interviewer.ui import gradio_import

class Shout(gr.Textbox):  # a component class made after the import still works
    pass

with gr.Blocks() as demo:
    Shout(label="x")
print(meta.create_or_modify_pyi is gradio_import._no_stub)
"""


@pytest.mark.parametrize("order, disarmed", [("ours-first", "True"), ("gradio-first", "False")])
def test_gradio_is_imported_without_its_stub_writer(order, disarmed):
    """Gradio rewrites .pyi stubs in site-packages as it imports (half its import time);
    the app's import of it skips that, and a Gradio imported before the app is left as is."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", GRADIO_PROBE, order], capture_output=True,
                         text=True, timeout=120, cwd=Path(__file__).resolve().parents[1],
                         env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == disarmed
