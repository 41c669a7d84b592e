"""A question of the day for a channel: one question posted as a thread each day; every
reply in it is graded for its author in a one-question session of their own.

Everyone gets the same question because the sessions share the day's seed and topics, and
the engine's choice is a function of those. The engine does the choosing and the grading;
this module only schedules and routes.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from datetime import datetime, timezone

from interviewer.engine.events import GradeReady, QuestionAsked
from interviewer.errors import InputError
from interviewer.slack import render
from interviewer.slack.store import DAILY_THREAD_USER, ThreadRecord

log = logging.getLogger(__name__)
CHECK_EVERY_S = 60.0


def daily_user(team_id: str, channel_id: str) -> str:
    """The engine user that owns the channel's copy of each daily question."""
    return f"slack:{team_id}:daily-{channel_id}"


def day_plan(channel_id: str, day: str, topics: list[str]) -> dict:
    seed = int(hashlib.sha256(f"{channel_id}:{day}".encode()).hexdigest()[:8], 16)
    return {"questions": 1, "follow_ups": 0, "seed": seed, "topics": topics}


def today() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d")


def configure(bot, inv, cmd) -> str:
    """`/interview daily on|off [topic ...] [hour=H]`; "on" posts today's question now."""
    if cmd.argument == "off":
        bot.store.set_daily(inv.team_id, inv.channel_id, topics=[], hour_utc=0, enabled=False)
        return "No more daily questions in this channel."
    hour = int(cmd.options.get("hour", bot.daily_hour_utc))
    if not 0 <= hour <= 23:
        raise InputError("hour= must be 0-23 (UTC)")
    topics = list(cmd.topics)
    post_question(bot, inv.team_id, inv.channel_id, topics)
    bot.store.set_daily(inv.team_id, inv.channel_id, topics=topics, hour_utc=hour, enabled=True)
    bot.store.mark_daily_posted(inv.team_id, inv.channel_id, today())
    return (f"A question a day will be posted here at {hour:02d}:00 UTC; today's is in the "
            "channel now. `/interview daily off` stops it.")


def post_question(bot, team_id: str, channel_id: str, topics: list[str]) -> ThreadRecord:
    plan = day_plan(channel_id, today(), topics)
    sid, events = bot.interviewer.start(daily_user(team_id, channel_id), plan)
    question = next(e for e in events if isinstance(e, QuestionAsked))
    root = bot.client.chat_postMessage(channel=channel_id, **render.message(
        f"Question of the day: {question.text}", [
            render.section(f":sunrise: *Question of the day* · {render.escape(question.topic_name)}"
                           f" · difficulty {question.difficulty}"),
            render.section(render.escape(question.text)),
            render.context("Answer in this thread; each reply is graded for its author.")]))
    rec = ThreadRecord(team_id, root["channel"], root["ts"], DAILY_THREAD_USER, sid,
                       kind="daily", open_question=question.question_id)
    bot.store.add_thread(rec)
    return rec


def answer(bot, rows: list[ThreadRecord], msg) -> None:
    """Grade `msg` as its author's answer to the thread's question, once per person."""
    from interviewer.slack.bot import Poster

    marker = next(r for r in rows if r.user_id == DAILY_THREAD_USER)
    poster = Poster(bot.client, marker.channel_id, marker.thread_ts)
    if any(r.user_id == msg.user_id for r in rows):
        poster.ephemeral(msg.user_id, render.render_text(
            "You have answered this one already; a new question comes tomorrow."))
        return
    rec, events = _grade(bot, marker, msg)
    grades = [e for e in events if isinstance(e, GradeReady)]
    lead = render.render_text(f"<@{msg.user_id}>'s answer:")
    poster.post([lead, *render.render_events(grades, msg.user_id)])
    bot.store.update_thread(rec, status="finished")


def _grade(bot, marker: ThreadRecord, msg):
    """A one-question session for the author, on the day's plan, answered by `msg`."""
    from interviewer.slack.bot import engine_user
    from interviewer.slack.parse import message_text

    plan = bot.interviewer.sessions.load(marker.session_id,
                                         daily_user(marker.team_id, marker.channel_id)).plan
    user = engine_user(marker.team_id, msg.user_id)
    sid, opening = bot.interviewer.start(user, plan)
    rec = ThreadRecord(marker.team_id, marker.channel_id, marker.thread_ts, msg.user_id, sid,
                       kind="daily")
    bot.store.add_thread(rec)
    asked = next(e for e in opening if isinstance(e, QuestionAsked))
    if asked.question_id != marker.open_question:  # the knowledge base changed meanwhile
        log.warning("daily question differs for %s: %s", msg.user_id, asked.question_id)
    return rec, bot.interviewer.handle(user, sid, message_text(msg.text))


class DailyScheduler:
    """A daemon thread that posts each enabled channel's question once a day, at or after
    its hour (UTC). Missed days are not made up."""

    def __init__(self, bot, every_s: float = CHECK_EVERY_S) -> None:
        self.bot = bot
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "DailyScheduler":
        self._thread = threading.Thread(target=self._run, name="slack-daily", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self.tick(datetime.now(timezone.utc))

    def tick(self, now: datetime) -> int:
        posted = 0
        day = now.strftime("%Y-%m-%d")
        for ch in self.bot.store.daily_channels():
            if ch.last_posted == day or now.hour < ch.hour_utc:
                continue
            try:
                post_question(self.bot, ch.team_id, ch.channel_id, ch.topics)
                self.bot.store.mark_daily_posted(ch.team_id, ch.channel_id, day)
                posted += 1
            except Exception:  # one channel's failure must not stop the others
                log.exception("daily question for %s failed", ch.channel_id)
        return posted
