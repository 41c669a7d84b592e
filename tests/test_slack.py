"""The Slack bot end to end, offline: `python -m interviewer slack --http` runs in a
subprocess over a real knowledge base, its Web API client points at a fake Slack on
127.0.0.1 (SLACK_API_URL), and the tests send it signed slash commands, events and clicks
exactly as Slack would."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from conftest import REPO
from fake_slack import BOT_ID, BOT_TOKEN, SIGNING_SECRET, FakeSlackAPI, SlackSender, sign

pytestmark = pytest.mark.slow
WAIT_S = 120.0


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
           "INTERVIEWER_HOME": str(home), "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1",
           "TOKENIZERS_PARALLELISM": "false", "INTERVIEWER_TORCH_THREADS": "1",
           "ANONYMIZED_TELEMETRY": "False",
           "INTERVIEWER_ANSWER_CHECK": os.environ.get("INTERVIEWER_ANSWER_CHECK", "off")}
    return {**env, **extra}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BotProcess:
    """`interviewer slack --http` in a subprocess; restart() is a real process restart."""

    def __init__(self, home: Path, api_url: str) -> None:
        self.home = home
        self.api_url = api_url
        self.port = _free_port()
        self.log = home / "slack-bot.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    def start(self) -> "BotProcess":
        env = _env(self.home, SLACK_API_URL=self.api_url, SLACK_BOT_TOKEN=BOT_TOKEN,
                   SLACK_SIGNING_SECRET=SIGNING_SECRET, INTERVIEWER_FOLLOW_UPS="0")
        with open(self.log, "a") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "interviewer", "slack", "--http", "--host", "127.0.0.1",
                 "--port", str(self.port)], cwd=REPO, env=env, stdout=log, stderr=log)
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"bot exited:\n{self.tail()}"
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1)
                return self
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"bot did not start:\n{self.tail()}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def tail(self, n: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])


@pytest.fixture(scope="module")
def slack(tmp_path_factory):
    home = tmp_path_factory.mktemp("slack-home")
    out = subprocess.run([sys.executable, "-m", "interviewer", "ingest"], cwd=REPO,
                         env=_env(home), capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    fake = FakeSlackAPI().start()
    bot = BotProcess(home, fake.api_url).start()
    yield SimpleNamespace(fake=fake, bot=bot, send=SlackSender(bot.url))
    bot.stop()
    fake.stop()


# --------------------------------------------------------------------- helpers
def wait(s, predicate, what: str):
    try:
        return s.fake.wait_for(predicate, WAIT_S, what)
    except AssertionError as e:
        raise AssertionError(f"{e}\n--- bot log:\n{s.bot.tail()}") from None


def visible(s, channel: str, thread_ts: str):
    return [m for m in s.fake.thread(channel, thread_ts) if "Thinking" not in m.text]


def start_interview(s, user: str, channel: str, text: str = ""):
    resp = s.send.slash(text, user, channel)
    assert resp.status == 200 and "Setting up" in resp.body
    root = wait(s, lambda: [m for m in s.fake.top_level(channel) if f"<@{user}>" in m.text],
                f"{user}'s interview thread")[-1]
    wait(s, lambda: any("Question 1/" in m.text or "Exercise 1/" in m.text
                        for m in s.fake.thread(channel, root.ts)), "the first question")
    return root


def reply(s, user: str, channel: str, thread_ts: str, text: str, expect: str):
    """Say `text` in the thread; wait for a new message containing `expect`."""
    before = len(s.fake.thread(channel, thread_ts))
    assert s.send.say(text, user, channel, thread_ts).status == 200

    def done():
        new = s.fake.thread(channel, thread_ts)[before:]
        if new and all("Thinking" not in m.text for m in new):
            return [m for m in new if expect in m.all_text]
        return None
    wait(s, done, f"{expect!r} after {text[:30]!r}")
    return s.fake.thread(channel, thread_ts)[before:]


def slack_escape(code: str) -> str:
    return code.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def solution_for(exercise_id: str) -> str:
    for path in (REPO / "knowledge" / "exercises").rglob("*.yaml"):
        doc = yaml.safe_load(path.read_text())
        if isinstance(doc, dict) and doc.get("id") == exercise_id:
            return doc["solution"]
    raise AssertionError(f"no exercise {exercise_id}")


ANSWER = ("A leaf tensor is created by the user with requires_grad=True; autograd records "
          "operations in a graph and backward applies the chain rule, accumulating .grad.")


# --------------------------------------------------------------------- tests
def test_signatures_are_checked(slack):
    body = "command=%2Finterview&text=help&user_id=UEVE&channel_id=C0SIG&team_id=T0TEAM"
    ctype = "application/x-www-form-urlencoded"
    assert slack.send.post(body, ctype, headers={}).status == 401
    assert slack.send.post(body, ctype, headers=sign(body, "not-the-secret")).status == 401
    stale = sign(body, SIGNING_SECRET, timestamp=int(time.time()) - 6 * 60)
    assert slack.send.post(body, ctype, headers=stale).status == 401
    tampered = sign(body, SIGNING_SECRET)
    assert slack.send.post(body + "x", ctype, headers=tampered).status == 401
    ok = slack.send.post(body, ctype)
    assert ok.status == 200 and "/interview" in ok.body  # the usage text, as the ack
    assert not [c for c in slack.fake.calls() if c.params.get("channel") == "C0SIG"]


def test_bad_timestamp_is_401_not_500(slack):
    body = "command=%2Finterview&text=help&user_id=UEVE&channel_id=C0TS&team_id=T0TEAM"
    ctype = "application/x-www-form-urlencoded"
    for stamp in ("soon", "", "-5", "12.5"):
        headers = {**sign(body), "X-Slack-Request-Timestamp": stamp}
        resp = slack.send.post(body, ctype, headers=headers)
        assert resp.status == 401, (stamp, resp)
    assert "Traceback" not in slack.bot.tail(200)


def test_replayed_slash_command_starts_one_interview(slack):
    s, ch, user = slack, "C0REPLAY", "UREPLAY"
    form = {"token": "legacy", "team_id": s.send.team, "channel_id": ch, "user_id": user,
            "command": "/interview", "text": "n=2 seed=3", "trigger_id": "trig-replay"}
    body = urllib.parse.urlencode(form)
    headers = sign(body)
    ctype = "application/x-www-form-urlencoded"
    assert [s.send.post(body, ctype, headers=headers).status for _ in range(4)] == [200] * 4
    wait(s, lambda: [m for m in s.fake.top_level(ch) if f"<@{user}>" in m.text],
         "the interview thread")
    time.sleep(2.0)
    assert len([m for m in s.fake.top_level(ch) if f"<@{user}>" in m.text]) == 1


def test_whole_interview_in_a_thread_with_a_code_answer(slack):
    s, ch, user = slack, "C0WHOLE", "UALICE"
    root = start_interview(s, user, ch, "n=3 mode=mixed seed=11")
    first = visible(s, ch, root.ts)
    assert "Welcome" in first[0].all_text and "Question 1/3" in first[-1].text
    assert "<@UALICE>" in first[-1].all_text
    reply(s, user, ch, root.ts, "repeat", "Question 1/3")
    reply(s, user, ch, root.ts, "hint", "Hint 1")
    msgs = reply(s, user, ch, root.ts, ANSWER, "Question 2/3")
    grade = next(m for m in msgs if m.text.startswith("Score"))
    assert "Score:" in grade.all_text and "−1 for hints" in grade.all_text
    (qid,) = grade.action_values("reveal_reference")
    assert s.send.click("reveal_reference", qid, user, ch, grade).status == 200
    wait(s, lambda: [m for m in s.fake.ephemerals(user) if "Reference answer" in m.all_text],
         "the reference, shown to Alice")
    s.send.click("reveal_reference", qid, "UMALLORY", ch, grade)
    wait(s, lambda: [m for m in s.fake.ephemerals("UMALLORY") if "Only the person" in m.text],
         "the reference refused to someone else")
    msgs = reply(s, user, ch, root.ts, "skip", "Exercise 3/3")
    exercise = next(m for m in msgs if "Exercise 3/3" in m.text)
    exercise_id = re.search(r"exercise `([a-z0-9-]+)`", exercise.all_text).group(1)
    code = "```" + slack_escape(solution_for(exercise_id)) + "```"
    msgs = reply(s, user, ch, root.ts, code, "checks passed")
    result = next(m for m in msgs if "checks passed" in m.all_text)
    if "refused" in result.all_text:
        pytest.skip("the executor sandbox (bubblewrap) refused to run code here: "
                    + result.all_text[:300])
    assert result.text.startswith("Code passed"), result.all_text
    assert any("Interview report" in m.all_text for m in msgs)
    n = len(s.fake.thread(ch, root.ts))
    s.send.say("thanks!", user, ch, root.ts)
    time.sleep(1.0)
    assert len(s.fake.thread(ch, root.ts)) == n  # a finished interview stays quiet


def test_retried_events_are_graded_once(slack):
    s, ch, user = slack, "C0RETRY", "URETRY"
    root = start_interview(s, user, ch, "n=3 seed=5")
    body, _ = s.send.message_event(ANSWER, user, ch, root.ts)
    before = len(s.fake.thread(ch, root.ts))
    assert s.send.send_event(body).status == 200
    assert s.send.send_event(body, retry=1).status == 200
    wait(s, lambda: any("Question 2/3" in m.text for m in s.fake.thread(ch, root.ts)),
         "the second question")
    assert s.send.send_event(body, retry=2).status == 200
    time.sleep(1.5)
    new = s.fake.thread(ch, root.ts)[before:]
    assert sum(m.text.startswith("Score") for m in new) == 1
    assert sum("Question 2/3" in m.text for m in new) == 1


def test_two_users_in_one_channel(slack):
    s, ch = slack, "C0TWO"
    alice = start_interview(s, "UA2", ch, "n=2 seed=1")
    bob = start_interview(s, "UB2", ch, "autograd n=2 seed=2")
    assert alice.ts != bob.ts
    n = len(s.fake.thread(ch, alice.ts))
    s.send.say(ANSWER, "UB2", ch, alice.ts)  # Bob answers in Alice's thread
    wait(s, lambda: [m for m in s.fake.ephemerals("UB2") if "<@UA2>'s interview" in m.text],
         "a polite refusal to Bob")
    assert len(s.fake.thread(ch, alice.ts)) == n  # nothing graded into Alice's interview
    reply(s, "UA2", ch, alice.ts, ANSWER, "Question 2/2")
    reply(s, "UB2", ch, bob.ts, "I don't know", "Reference answer")
    s.send.slash("history", "UB2", ch)
    hist = wait(s, lambda: [m for m in s.fake.ephemerals("UB2") if "Your interviews" in m.text],
                "Bob's history")[-1]
    assert hist.all_text.count("questions ·") == 1 and "Autograd" in hist.all_text
    s.send.slash("report", "UA2", ch)
    wait(s, lambda: [m for m in s.fake.ephemerals("UA2") if "Interview report" in m.all_text],
         "Alice's report")


def test_restart_in_the_middle_loses_nothing(slack):
    s, ch, user = slack, "C0RESTART", "URST"
    root = start_interview(s, user, ch, "n=3 seed=9")
    body, _ = s.send.message_event(ANSWER, user, ch, root.ts)
    before = len(s.fake.thread(ch, root.ts))
    s.send.send_event(body)
    wait(s, lambda: any("Question 2/3" in m.text for m in s.fake.thread(ch, root.ts)),
         "the second question")
    s.bot.restart()
    s.send.send_event(body, retry=1)  # Slack retrying across the restart: still only once
    reply(s, user, ch, root.ts, ANSWER, "Question 3/3")
    new = s.fake.thread(ch, root.ts)[before:]
    assert sum(m.text.startswith("Score") for m in new) == 2
    reply(s, user, ch, root.ts, "end", "Interview report")


def test_bots_edits_and_strangers_are_ignored(slack):
    s, ch, user = slack, "C0QUIET", "UQUIET"
    root = start_interview(s, user, ch, "n=2 seed=3")
    n_calls = len(s.fake.calls("chat.postMessage"))
    s.send.say("a message outside any interview", user, ch)
    body, _ = s.send.message_event("bot talk", "UOTHERBOT", ch, root.ts, bot_id=BOT_ID)
    s.send.send_event(body)
    body, _ = s.send.message_event(ANSWER, user, ch, root.ts, subtype="message_changed")
    s.send.send_event(body)
    time.sleep(1.5)
    assert len(s.fake.calls("chat.postMessage")) == n_calls


def test_daily_question_grades_each_reply_for_its_author(slack):
    s, ch = slack, "C0DAILY"
    resp = s.send.slash("daily on autograd", "UADMIN", ch)
    assert resp.status == 200
    root = wait(s, lambda: [m for m in s.fake.top_level(ch) if "Question of the day" in m.text],
                "the question of the day")[0]
    reply(s, "UD1", ch, root.ts, ANSWER, "<@UD1>'s answer")
    reply(s, "UD2", ch, root.ts, "gradients", "<@UD2>'s answer")
    # the lead line is posted before the grade: wait for both grades, not only the leads
    wait(s, lambda: sum(m.text.startswith("Score") for m in s.fake.thread(ch, root.ts)) == 2,
         "a grade for each of the two replies")
    s.send.say("one more try", "UD1", ch, root.ts)
    wait(s, lambda: [m for m in s.fake.ephemerals("UD1") if "answered this one" in m.text],
         "a second answer refused")


def test_direct_message_replies_outside_the_thread_still_count(slack):
    s, dm, user = slack, "D0DIRECT", "UDM"
    root = start_interview(s, user, dm, "n=2 seed=4")
    before = len(s.fake.thread(dm, root.ts))
    assert s.send.say(ANSWER, user, dm).status == 200  # typed in the DM, not the thread
    wait(s, lambda: any("Question 2/2" in m.text for m in s.fake.thread(dm, root.ts)[before:]),
         "the DM answer graded in the interview thread")
