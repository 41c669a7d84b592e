"""Progress across sessions: computed from one user's stored sessions (a scripted grader
scores by topic), never mixing users; `interviewer progress [--json]` and
`interviewer chat --weak-spots`."""

from __future__ import annotations

import json

import pytest

from conftest import cli_runner
from interviewer.engine import commands as chat_commands
from interviewer.engine.progress import progress_markdown, progress_of
from test_engine_support import TopicGrader, make_engine

WEAK, STRONG = "autograd-gradients", "tensor-operations-manipulation"


@pytest.fixture
def engine(settings, ingested_store, knowledge_questions):
    grader = TopicGrader(scores={WEAK: 1.0, STRONG: 4.5})
    return make_engine(settings, ingested_store, knowledge_questions, grader=grader)


def _interview(engine, user: str, topics: list[str], questions: int = 2) -> None:
    sid, events = engine.start(user, {"topics": topics, "questions": questions,
                                      "follow_ups": 0, "seed": len(topics) + questions})
    for _ in range(questions + 2):
        if events[-1].kind == "report":
            return
        events = engine.handle(user, sid, "my answer")


def test_progress_names_the_weak_topic_and_its_missed_points(engine):
    _interview(engine, "ann", [WEAK, STRONG], questions=4)
    _interview(engine, "ann", [WEAK], questions=2)
    _interview(engine, "bob", [STRONG], questions=2)  # another user: never counted
    p = progress_of(engine, "ann")
    assert p.sessions == 2 and p.questions == 6
    assert [t.topic for t in p.topics] == [WEAK, STRONG]  # weakest first
    weak = p.topics[0]
    assert weak.questions + p.topics[1].questions == 6 and weak.questions >= 3
    assert weak.recent == 1.0 and weak.first == weak.last == 1.0
    assert p.topics[1].recent == 4.5
    assert [t.topic for t in p.weakest] == [WEAK]
    assert p.missed and {m["topic"] for m in p.missed} == {WEAK}
    assert p.missed[0]["times"] >= 1
    assert [r["topic"] for r in p.timeline].count(WEAK) == 2  # one point per session
    assert p.practice_plan() == {"topics": [WEAK], "questions": 5, "mode": "concepts",
                                 "difficulty": None}
    md = progress_markdown(p)
    assert "Autograd" in md and "**Weakest:** Autograd & Gradients" in md
    assert progress_of(engine, "bob").topics[0].topic == STRONG
    assert progress_of(engine, "nobody").practice_plan() is None


def test_a_practice_plan_starts_an_interview_on_the_weak_spots(engine):
    _interview(engine, "cy", [WEAK, STRONG], questions=4)
    plan = progress_of(engine, "cy").practice_plan(questions=2)
    sid, events = engine.start("cy", plan)
    asked = [e for e in events if e.kind == "question"]
    assert asked and asked[0].topic == WEAK


@pytest.fixture
def run_cli(ingested_store, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("INTERVIEWER_HOME", str(ingested_store.settings.home))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'sessions.sqlite3'}")
    monkeypatch.setenv("INTERVIEWER_RAISE", "1")

    return cli_runner(monkeypatch, capsys)


def test_progress_command_and_chat_on_weak_spots(run_cli, monkeypatch, settings,
                                                 ingested_store, knowledge_questions):
    grader = TopicGrader(scores={WEAK: 0.5, STRONG: 5.0})

    def engine(s):
        return make_engine(s, ingested_store, knowledge_questions, grader=grader)

    monkeypatch.setattr(chat_commands, "_engine", engine)
    empty = json.loads(run_cli(["progress", "--json", "--user", "dee"]))
    assert empty["topics"] == [] and empty["practice_plan"] is None
    run_cli(["chat", "--topics", WEAK, STRONG, "--questions", "4", "--follow-ups", "0",
             "--user", "dee", "--seed", "1"], "a\nb\nc\nd\n")
    doc = json.loads(run_cli(["progress", "--json", "--user", "dee"]))
    assert doc["weakest"] == [WEAK] and doc["sessions"] == 1
    assert {"topics", "missed", "timeline", "practice_plan"} <= set(doc)
    text = run_cli(["progress", "--user", "dee"])
    assert "Weakest:" in text and "interviewer chat --weak-spots" in text
    out = json.loads(run_cli(["chat", "--weak-spots", "--questions", "1", "--json",
                              "--user", "dee", "--follow-ups", "0"], "an answer\n"))
    assert [e["topic"] for e in out["events"] if e["kind"] == "question"] == [WEAK]


def test_slack_progress_command(engine):
    from interviewer.slack.parse import parse_slash
    from interviewer.slack.render import render_progress

    assert parse_slash("progress").action == "progress"
    _interview(engine, "slack-user", [WEAK, STRONG], questions=4)
    message = render_progress(progress_of(engine, "slack-user"))
    text = json.dumps(message)
    assert "Autograd" in text and f"/interview {WEAK}" in text
    assert "No scored answers" in json.dumps(render_progress(progress_of(engine, "new")))
