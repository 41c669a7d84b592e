"""The Slack bot's parts in-process: argument parsing, Slack text quirks, Block Kit rendering,
configuration errors, the Slack tables, and Socket Mode set up against the fake Web API."""

from __future__ import annotations

import pytest

from fake_slack import BOT_TOKEN, FakeSlackAPI
from interviewer.engine.events import (CodeResult, ExerciseOffered, GradeReady, Notice,
                                       QuestionAsked, ReportReady)
from interviewer.errors import ConfigError, InputError
from interviewer.slack import render
from interviewer.slack.config import SlackConfig
from interviewer.slack.parse import message_text, parse_slash


@pytest.fixture
def fake_api():
    fake = FakeSlackAPI().start()
    yield fake
    fake.stop()


def test_parse_slash_topics_options_and_subcommands():
    cmd = parse_slash("autograd cnn n=5 mode=coding seed=3")
    assert cmd.action == "start" and cmd.topics == ("autograd", "cnn")
    assert cmd.plan() == {"questions": 5, "mode": "coding", "seed": 3,
                          "topics": ["autograd", "cnn"]}
    assert parse_slash("Loss Functions, data loading").topics == ("Loss Functions",
                                                                  "data loading")
    assert parse_slash("").plan() == {}
    assert parse_slash("report abc").argument == "abc"
    assert parse_slash("history").action == "history"
    daily = parse_slash("daily on autograd hour=7")
    assert (daily.action, daily.argument, daily.topics, daily.options["hour"]) == (
        "daily", "on", ("autograd",), 7)
    assert parse_slash("daily off").argument == "off"
    with pytest.raises(InputError, match="colour"):
        parse_slash("colour=red")
    with pytest.raises(InputError, match="whole number"):
        parse_slash("n=many")


def test_message_text_decodes_entities_and_slack_code_fences():
    raw = "here: ```def f(x):\n    return x &lt; 3 &amp;&amp; x &gt; 1```"
    assert message_text(raw) == ("here: \n```python\ndef f(x):\n    return x < 3 && x > 1\n```")
    assert message_text("```python\nprint(1)\n```") == "```python\nprint(1)\n```"
    assert message_text("plain answer") == "plain answer"


def grade_event(**kw) -> GradeReady:
    base = dict(question_id="Q7", score=3.5, max_score=5.0, follow_up=False,
                covered=["uses the chain rule"], missing=["leaf <tensors> keep .grad"],
                misconceptions=[], feedback="Good, but **incomplete**.", penalty=1.0)
    return GradeReady(**{**base, **kw})


def test_grade_renders_score_points_feedback_and_reveal_button():
    msg = render.render_events([grade_event()], "UA")[0]
    text = "\n".join(b["text"]["text"] for b in msg["blocks"] if b["type"] == "section")
    assert "*Score: 3.5/5*" in text and "−1 for hints" in text
    assert "uses the chain rule" in text and "leaf &lt;tensors&gt; keep .grad" in text
    assert "Good, but *incomplete*." in text
    button = msg["blocks"][-1]["elements"][0]
    assert button["action_id"] == render.REVEAL_ACTION and button["value"] == "Q7"
    assert msg["text"].startswith("Score: 3.5/5")


def test_other_events_render_for_slack():
    q = QuestionAsked("Q1", "autograd", "Autograd", 2, 1, 3, "What is a leaf?")
    ex = ExerciseOffered("one-hot", "One-hot", "basics", 1, 3, 3, "Write it.", "def f():\n")
    code = CodeResult("one-hot", "failed", 1, 3, 1.67, "1/3", {"checks": [
        {"name": "shape", "passed": False, "message": "wrong shape"}], "traceback": None})
    note = Notice("Commands: /hint, /skip, /end.")
    msgs = render.render_events([note, q, ex, code], "UA")
    assert "`hint`" in msgs[0]["blocks"][0]["text"]["text"]
    assert "<@UA>" in msgs[1]["blocks"][0]["text"]["text"]
    assert "```def f():```" in str(msgs[2]["blocks"]) and "one-hot" in str(msgs[2]["blocks"])
    assert "1/3 checks passed" in msgs[3]["text"] and "wrong shape" in str(msgs[3]["blocks"])


def test_report_renders_in_mrkdwn():
    report = {"session_id": "abc", "status": "finished",
              "overall": {"score": 2.5, "percent": 50, "answered": 2, "skipped": 1, "hints": 0},
              "topics": [{"topic": "autograd", "name": "Autograd", "questions": 2,
                          "score": 2.5}],
              "study": [{"question_id": "Q3", "question": "Why?", "points": ["p1"]}],
              "next_session": {"topics": ["autograd"], "difficulty": 2, "why": "Practise."}}
    msg = render.render_events([ReportReady("abc", report, "# md")], "UA")[0]
    body = str(msg["blocks"])
    assert "Overall: 2.5/5 (50%)" in body and "Q3: Why?" in body
    assert "/interview autograd difficulty=2" in body and "|" not in msg["text"]


def test_config_names_the_missing_variable():
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN"):
        SlackConfig.from_env({}, http=True)
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        SlackConfig.from_env({"SLACK_BOT_TOKEN": "xoxb-1"}, http=True)
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN"):
        SlackConfig.from_env({"SLACK_BOT_TOKEN": "xoxb-1"})
    with pytest.raises(ConfigError, match="SLACK_API_URL"):
        SlackConfig.from_env({"SLACK_BOT_TOKEN": "x", "SLACK_APP_TOKEN": "y",
                              "SLACK_API_URL": "localhost:1"})
    cfg = SlackConfig.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s",
                                "SLACK_API_URL": "http://127.0.0.1:9/api"}, http=True, port=8)
    assert (cfg.mode, cfg.port, cfg.api_url) == ("http", 8, "http://127.0.0.1:9/api/")
    assert "xoxb-1" not in repr(cfg)
    explicit = SlackConfig.from_env({"SLACK_BOT_TOKEN": "env"}, bot_token="arg",
                                    app_token="xapp-arg")
    assert explicit.bot_token.get_secret_value() == "arg" and explicit.mode == "socket"


def test_cli_without_app_token_says_which_variable(monkeypatch, capsys, home):
    from interviewer.cli import main

    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    monkeypatch.delenv("INTERVIEWER_RAISE", raising=False)
    assert main(["slack"]) == 2
    assert "SLACK_APP_TOKEN is not set" in capsys.readouterr().err


def test_event_ids_are_taken_once(settings):
    from interviewer.slack.store import SlackStore, ThreadRecord

    store = SlackStore.from_settings(settings).open()
    assert store.claim_event("Ev1") and not store.claim_event("Ev1")
    rec = ThreadRecord("T", "C", "1.1", "U", "sid")
    store.add_thread(rec)
    store.update_thread(rec, open_question="Q1")
    assert store.thread_rows("T", "C", "1.1")[0].open_question == "Q1"
    assert store.latest_thread("T", "C", "U").session_id == "sid"


class _NoStore:
    def claim_event(self, event_id):
        return True


class _StubBot:
    def __init__(self, client):
        self.client = client
        self.store = _NoStore()


def test_socket_mode_uses_app_token_and_the_configured_api_url(fake_api):
    from slack_sdk.errors import SlackApiError

    from interviewer.slack.app import build_app, make_client, make_socket_mode_handler

    cfg = SlackConfig.from_env({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": "xapp-1-test",
                                "SLACK_API_URL": fake_api.api_url})
    assert cfg.mode == "socket" and cfg.signing_secret is None
    app = build_app(cfg, _StubBot(make_client(cfg)))  # bolt checks the token: auth.test
    assert [c.method for c in fake_api.calls()] == ["auth.test"]
    handler = make_socket_mode_handler(app, cfg)
    assert handler.app_token == "xapp-1-test"
    assert handler.client.web_client.base_url == fake_api.api_url
    with pytest.raises(SlackApiError):  # the fake refuses to open a WebSocket URL
        handler.client.connect()
    assert fake_api.calls()[-1].method == "apps.connections.open"


def test_bad_bot_token_is_a_config_error(fake_api):
    from interviewer.slack.app import build_app, make_client

    cfg = SlackConfig.from_env({"SLACK_BOT_TOKEN": "xoxb-wrong", "SLACK_SIGNING_SECRET": "s",
                                "SLACK_API_URL": fake_api.api_url}, http=True)
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN"):
        build_app(cfg, _StubBot(make_client(cfg)))


def test_manifest_matches_the_bot():
    import yaml

    from conftest import REPO
    from interviewer.slack.app import SLASH_COMMAND

    doc = yaml.safe_load((REPO / "slack" / "manifest.yml").read_text())
    assert [c["command"] for c in doc["features"]["slash_commands"]] == [SLASH_COMMAND]
    scopes = set(doc["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "channels:history", "im:history"} <= scopes
    events = set(doc["settings"]["event_subscriptions"]["bot_events"])
    assert {"message.channels", "message.groups", "message.im", "message.mpim"} <= events
    assert doc["settings"]["interactivity"]["is_enabled"] is True
