"""The terminal front end: `interviewer chat | sessions | resume | report`, scripted through
stdin, plus a kill -9 in the middle of a real `interviewer chat` process."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import cli_runner
from interviewer.engine import commands as chat_commands
from interviewer.engine.factory import make_interviewer
from interviewer.knowledge import KnowledgeStore

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def run_cli(ingested_store, monkeypatch, tmp_path, capsys):
    """Call `interviewer ...` in-process against the shared knowledge store; a fresh session
    database per test (DATABASE_URL)."""
    kb_home = ingested_store.settings.home
    monkeypatch.setenv("INTERVIEWER_HOME", str(kb_home))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'sessions.sqlite3'}")
    monkeypatch.setenv("INTERVIEWER_RAISE", "1")
    monkeypatch.delenv("INTERVIEWER_LLM", raising=False)

    def engine(settings):
        return make_interviewer(settings, store=KnowledgeStore(
            settings, embedder=ingested_store.embedder))

    monkeypatch.setattr(chat_commands, "_engine", engine)

    return cli_runner(monkeypatch, capsys)


def test_scripted_chat_then_sessions_and_reports(run_cli):
    script = "PyTorch is a library\n/hint\nI don't know\n/repeat\n/skip\n"
    out = run_cli(["chat", "--questions", "3", "--seed", "3", "--user", "ann",
                   "--follow-ups", "0"], script)
    assert "Question 1 of 3" in out and "Hint 1" in out and "Reference answer" in out
    assert "# Interview report" in out
    sessions = json.loads(run_cli(["sessions", "--json", "--user", "ann"]))
    assert len(sessions) == 1
    s = sessions[0]
    assert {"id", "user", "started", "status", "turns"} <= set(s)
    assert s["user"] == "ann" and s["status"] == "finished" and s["turns"] == 5
    report = json.loads(run_cli(["report", s["id"], "--json", "--user", "ann"]))
    transcript = report["transcript"]
    assert [i["status"] for i in transcript] == ["done", "done", "skipped"]
    assert transcript[0]["attempts"][0]["answer"] == "PyTorch is a library"
    assert transcript[0]["attempts"][0]["grade"]["score"] >= 0
    assert transcript[1]["attempts"][0]["outcome"] == "idk"
    md = run_cli(["report", s["id"], "--md", "--user", "ann"])
    assert md.startswith("# Interview report") and "## Transcript" in md
    assert json.loads(run_cli(["sessions", "--json", "--user", "someone-else"])) == []


def test_eof_leaves_session_resumable(run_cli):
    doc = json.loads(run_cli(["chat", "--questions", "2", "--seed", "4", "--json",
                              "--user", "bo", "--follow-ups", "0"], "an answer\n"))
    assert not doc["finished"]
    assert [e["kind"] for e in doc["events"]] == ["notice", "question", "grade", "question"]
    doc2 = json.loads(run_cli(["resume", doc["session_id"], "--json", "--user", "bo"],
                              "second answer\n"))
    assert doc2["finished"]
    kinds = [e["kind"] for e in doc2["events"]]
    assert kinds == ["notice", "question", "grade", "report"]
    assert doc2["events"][1]["question_id"] == doc["events"][-1]["question_id"]


def test_someone_elses_session_is_an_error(run_cli):
    doc = json.loads(run_cli(["chat", "--questions", "2", "--seed", "5", "--json",
                              "--user", "cy"], ""))
    with pytest.raises(Exception, match="no session"):
        run_cli(["resume", doc["session_id"], "--user", "dee"], "hello\n")


def test_coding_commands_gather_lines_until_submit(run_cli, monkeypatch):
    from test_engine_support import FakeRunner

    monkeypatch.setattr("interviewer.engine.factory.make_runner", lambda settings: FakeRunner())
    doc = json.loads(run_cli(["chat", "--mode", "coding", "--questions", "1", "--json",
                              "--user", "ed", "--seed", "6"],
                             "/code\ndef f(x):\n    return PASS\n/submit\n"))
    kinds = [e["kind"] for e in doc["events"]]
    assert kinds == ["notice", "exercise", "code_result", "report"]
    assert doc["events"][2]["passed"] == 3


def test_kill_9_mid_interview_then_resume(ingested_store, tmp_path):
    """A real `interviewer chat` process is killed right after showing a grade; everything it
    showed is in the database and `resume` continues with the next question."""
    env = {**os.environ, "INTERVIEWER_HOME": str(ingested_store.settings.home),
           "DATABASE_URL": f"sqlite:///{tmp_path / 's.sqlite3'}", "HF_HUB_OFFLINE": "1",
           "INTERVIEWER_LLM": "offline"}
    proc = subprocess.Popen([sys.executable, "-m", "interviewer", "chat", "--questions", "3",
                             "--seed", "7", "--user", "kim", "--follow-ups", "0"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            cwd=REPO, env=env)
    lines = []
    while not any("Question 1 of 3" in line for line in lines[-2:]):
        lines.append(proc.stdout.readline())
    proc.stdin.write("Autograd records operations on tensors that require grad.\n")
    proc.stdin.flush()
    while "[" not in lines[-1]:  # the grade line: "  [x.x/5] ..."
        lines.append(proc.stdout.readline())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    out = subprocess.run([sys.executable, "-m", "interviewer", "sessions", "--json",
                          "--user", "kim"], capture_output=True, text=True, cwd=REPO,
                         env=env, check=True).stdout
    [session] = json.loads(out)
    assert session["turns"] == 1 and session["status"] == "active"
    out = subprocess.run([sys.executable, "-m", "interviewer", "resume", session["id"],
                          "--user", "kim", "--json"], input="", capture_output=True,
                         text=True, cwd=REPO, env=env, check=True).stdout
    events = json.loads(out)["events"]
    assert [e["kind"] for e in events] == ["notice", "question"]
    assert events[1]["number"] == 2


# ---------------------------------------------------------------- a terminal and a pipe
def _chat_env(ingested_store, tmp_path) -> dict:
    return {**os.environ, "INTERVIEWER_HOME": str(ingested_store.settings.home),
            "DATABASE_URL": f"sqlite:///{tmp_path / 's.sqlite3'}", "HF_HUB_OFFLINE": "1",
            "INTERVIEWER_LLM": "offline", "COLUMNS": "100"}


def _read_until(fd: int, needle: bytes, timeout: float = 90) -> bytes:
    """Bytes from `fd` until `needle` shows up (raw reads: no buffering can hide a line)."""
    import select
    import time

    got, deadline = b"", time.monotonic() + timeout
    while needle not in got:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise AssertionError(f"{needle!r} did not come within {timeout} s; got {got!r}")
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the pty closed
            chunk = b""
        if not chunk:
            raise AssertionError(f"output ended before {needle!r}; got {got!r}")
        got += chunk
    return got


def test_a_piped_chat_shows_each_question_before_reading_the_answer(ingested_store, tmp_path):
    """A program driving `interviewer chat` through pipes sees the question it is to answer
    before it writes anything, and the next one after its answer, while stdin stays open."""
    proc = subprocess.Popen([sys.executable, "-m", "interviewer", "chat", "--questions", "2",
                             "--seed", "8", "--user", "pia", "--follow-ups", "0"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=REPO,
                            env=_chat_env(ingested_store, tmp_path))
    try:
        _read_until(proc.stdout.fileno(), b"Question 1 of 2")
        proc.stdin.write(b"Tensors hold data on a device.\n")
        proc.stdin.flush()
        _read_until(proc.stdout.fileno(), b"Question 2 of 2")
    finally:
        proc.kill()
        proc.wait()


def test_a_terminal_chat_prints_each_message_once(ingested_store, tmp_path):
    """In a TTY: the welcome, then the question once; the grade on its own line, not glued
    to the next question; the report rendered for the terminal, not raw Markdown."""
    import pty

    pid, fd = pty.fork()
    if pid == 0:  # the child: a real `interviewer chat` on the pty
        os.chdir(REPO)
        os.execve(sys.executable, [sys.executable, "-m", "interviewer", "chat",
                                   "--questions", "2", "--seed", "8", "--user", "tia",
                                   "--follow-ups", "0"], _chat_env(ingested_store, tmp_path))
    try:
        out = _read_until(fd, b"> ")
        os.write(fd, b"Tensors hold data on a device and track gradients.\n")
        out += _read_until(fd, b"> ")
        os.write(fd, b"/end\n")
        out += _read_until(fd, b"Next session")
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    text = out.decode().replace("\r\n", "\n")
    chat = text[:text.index("Interview report")]  # the report's transcript repeats them
    assert chat.index("Welcome") < chat.index("Question 1 of 2")
    assert chat.count("Question 1 of 2") == 1 and chat.count("Question 2 of 2") == 1
    grade = next(line for line in chat.splitlines() if line.startswith("  ["))
    assert "Question" not in grade
    assert chat.index(grade) < chat.index("Question 2 of 2")
    assert "## By topic" not in text and "By topic" in text  # rendered, not raw Markdown


def test_renderer_ends_a_streamed_line_before_the_next_event():
    """An LLM streams the next question's words before the grade's final event comes: the
    grade gets its own line, and the streamed question is not printed again."""
    from interviewer.engine.events import GradeReady, QuestionAsked, TextDelta

    out = io.StringIO()
    q = QuestionAsked(question_id="Q1", topic="t", topic_name="T", difficulty=2, number=2,
                      total=2, text="Question 2 of 2: What is a view?")
    grade = GradeReady(question_id="Q0", score=3.0, max_score=5.0, follow_up=False,
                       covered=[], missing=[], misconceptions=[], feedback="Good.")
    chat_commands.Renderer(out, live=True).show(
        [TextDelta(target="question", text="Question 2 of 2: "),
         TextDelta(target="question", text="What is a view?"), grade, q])
    text = out.getvalue()
    assert text.count("What is a view?") == 1
    assert "What is a view?\n  [3.0/5] Good.\n" in text
