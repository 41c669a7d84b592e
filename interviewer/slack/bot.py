"""The Slack bot as a service: what to do for `/interview`, a reply in a thread, a button.

It forwards what people type to the engine and posts the events it returns, rendered by
`render`. It knows Slack (channels, threads, ephemeral messages) and nothing about grading
or question choice. The Slack Web API is reached through an injected `slack_sdk` client;
slack_bolt stays in `app`.

A thread is one interview of one Slack user: its engine session is found by team + channel
+ thread, replies from anybody else are politely refused, and a message the engine received
but did not answer before a restart is answered first when the thread speaks again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError

from interviewer.engine.events import (Event, ExerciseOffered, FollowUpAsked, QuestionAsked,
                                       ReferenceShown, ReportReady)
from interviewer.engine.warmup import prepare_bank
from interviewer.errors import InterviewerError, ServiceError
from interviewer.slack import render
from interviewer.slack.parse import USAGE, SlashCommand, message_text, parse_slash
from interviewer.slack.store import DAILY_THREAD_USER, SlackStore, ThreadRecord

log = logging.getLogger(__name__)
THINKING = ":hourglass_flowing_sand: _Thinking…_"


@dataclass(frozen=True)
class Invocation:
    """A `/interview` request."""

    team_id: str
    channel_id: str
    user_id: str
    text: str


@dataclass(frozen=True)
class Reply:
    """A person's message in a channel, a thread or a DM."""

    team_id: str
    channel_id: str
    user_id: str
    text: str
    ts: str
    thread_ts: str | None = None
    is_dm: bool = False


@dataclass(frozen=True)
class Click:
    """A press of the "reference answer" button on a grade."""

    team_id: str
    channel_id: str
    user_id: str
    thread_ts: str | None
    question_id: str


def engine_user(team_id: str, user_id: str) -> str:
    """The engine's user id for a Slack user: sessions are per workspace and person."""
    return f"slack:{team_id}:{user_id}"


class Poster:
    """Posts into one thread; the first message may replace a "thinking" placeholder."""

    def __init__(self, client, channel: str, thread_ts: str | None) -> None:
        self.client = client
        self.channel = channel
        self.thread_ts = thread_ts
        self._placeholder: str | None = None

    @property
    def waiting(self) -> bool:
        """True while a "thinking" placeholder waits to be replaced."""
        return self._placeholder is not None

    def thinking(self) -> None:
        resp = self.client.chat_postMessage(channel=self.channel, thread_ts=self.thread_ts,
                                            text=THINKING)
        self._placeholder = resp["ts"]

    def post(self, messages: Sequence[render.Message]) -> None:
        messages = list(messages)
        if self._placeholder is not None:
            first = messages.pop(0) if messages else render.render_text("(nothing to add)")
            self.client.chat_update(channel=self.channel, ts=self._placeholder, **first)
            self._placeholder = None
        for msg in messages:
            self.client.chat_postMessage(channel=self.channel, thread_ts=self.thread_ts, **msg)

    def ephemeral(self, user: str, msg: render.Message) -> None:
        self.client.chat_postEphemeral(channel=self.channel, user=user,
                                       thread_ts=self.thread_ts, **msg)


class SlackBot:
    """Constructing it does no I/O. `interviewer` is the engine (`Interviewer`), `store` the
    Slack tables, `client` a slack_sdk `WebClient` (injected; tests point it at a fake)."""

    def __init__(self, interviewer, store: SlackStore, client, *, daily_hour_utc: int = 9):
        self.interviewer = interviewer
        self.store = store
        self.client = client
        self.daily_hour_utc = daily_hour_utc
        self._locks: dict[tuple, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._refused: set[tuple] = set()

    # ------------------------------------------------------------------ slash command
    def ack_text(self, text: str) -> str:
        """The immediate answer to `/interview` (Slack shows it only to the caller)."""
        try:
            cmd = parse_slash(text)
        except InterviewerError as e:
            return f":warning: {e}\n\n{USAGE}"
        if cmd.action == "help":
            return USAGE
        return ":hourglass_flowing_sand: Setting up your interview…" \
            if cmd.action == "start" else ":hourglass_flowing_sand: One moment…"

    def command(self, inv: Invocation) -> None:
        """The work behind `/interview`, after the ack."""
        try:
            cmd = parse_slash(inv.text)
        except InterviewerError:
            return  # the ack already said what is wrong
        handler = self._COMMANDS.get(cmd.action)
        if handler is not None:
            self._guard(Poster(self.client, inv.channel_id, None), inv.user_id,
                        lambda: handler(self, inv, cmd))

    def _start(self, inv: Invocation, cmd: SlashCommand) -> None:
        sid, events = self.interviewer.start(engine_user(inv.team_id, inv.user_id), cmd.plan())
        root = self.client.chat_postMessage(channel=inv.channel_id, **render.render_text(
            f"<@{inv.user_id}> started a mock interview. Answers go in this thread; "
            "only their replies are graded."))
        rec = ThreadRecord(inv.team_id, root["channel"], root["ts"], inv.user_id, sid)
        self.store.add_thread(rec)
        self._post_events(rec, Poster(self.client, rec.channel_id, rec.thread_ts), events)

    def _report(self, inv: Invocation, cmd: SlashCommand) -> None:
        user = engine_user(inv.team_id, inv.user_id)
        sessions = self.interviewer.list_sessions(user)
        picked = [s for s in sessions if s.id.startswith(cmd.argument.strip())] \
            if cmd.argument.strip() else sessions[:1]
        poster = Poster(self.client, inv.channel_id, None)
        if not picked:
            poster.ephemeral(inv.user_id, render.render_text("No such interview; see "
                                                             "`/interview history`."))
            return
        report = self.interviewer.report(user, picked[0].id)
        poster.ephemeral(inv.user_id, render.render_report(report.to_dict(), inv.user_id))

    def _history(self, inv: Invocation, cmd: SlashCommand) -> None:
        sessions = self.interviewer.list_sessions(engine_user(inv.team_id, inv.user_id))
        Poster(self.client, inv.channel_id, None).ephemeral(inv.user_id,
                                                            render.render_history(sessions))

    def _progress(self, inv: Invocation, cmd: SlashCommand) -> None:
        """The person's progress across their own sessions (never anyone else's)."""
        from interviewer.engine.progress import progress_of

        progress = progress_of(self.interviewer, engine_user(inv.team_id, inv.user_id))
        Poster(self.client, inv.channel_id, None).ephemeral(inv.user_id,
                                                            render.render_progress(progress))

    def _daily(self, inv: Invocation, cmd: SlashCommand) -> None:
        from interviewer.slack.daily import configure

        text = configure(self, inv, cmd)
        Poster(self.client, inv.channel_id, None).ephemeral(inv.user_id,
                                                            render.render_text(text))

    _COMMANDS: dict[str, Callable] = {"start": _start, "report": _report,
                                      "history": _history, "progress": _progress,
                                      "daily": _daily}

    # ------------------------------------------------------------------ messages
    def message(self, msg: Reply) -> None:
        """A message somewhere the bot can see: an answer when it is in an interview
        thread of its author; otherwise refused or ignored."""
        rows = self._thread_rows(msg)
        if not rows:
            if msg.is_dm and not msg.thread_ts:
                Poster(self.client, msg.channel_id, None).post([render.render_text(USAGE)])
            return
        if any(r.user_id == DAILY_THREAD_USER for r in rows):
            self._daily_reply(rows, msg)
            return
        rec = rows[0]
        if rec.user_id != msg.user_id:
            self._refuse(rec, msg)
        elif rec.status == "active":
            with self._lock(rec.key):
                poster = Poster(self.client, rec.channel_id, rec.thread_ts)
                self._guard(poster, msg.user_id, lambda: self._answer(rec, msg, poster))

    def _daily_reply(self, rows: list[ThreadRecord], msg: Reply) -> None:
        from interviewer.slack.daily import answer

        with self._lock(rows[0].key):
            self._guard(Poster(self.client, msg.channel_id, rows[0].thread_ts), msg.user_id,
                        lambda: answer(self, rows, msg))

    def _thread_rows(self, msg: Reply) -> list[ThreadRecord]:
        if msg.thread_ts:
            return self.store.thread_rows(msg.team_id, msg.channel_id, msg.thread_ts)
        if msg.is_dm:
            rec = self.store.latest_thread(msg.team_id, msg.channel_id, msg.user_id)
            return [rec] if rec else []
        return []

    def _answer(self, rec: ThreadRecord, msg: Reply, poster: Poster) -> None:
        user = engine_user(rec.team_id, rec.user_id)
        rec = self._catch_up(rec, poster)
        if rec.status != "active":
            return
        poster.thinking()
        events = self.interviewer.handle(user, rec.session_id, message_text(msg.text))
        self._post_events(rec, poster, events)

    def _catch_up(self, rec: ThreadRecord, poster: Poster) -> ThreadRecord:
        """A message received before a crash or restart is answered before the new one."""
        user = engine_user(rec.team_id, rec.user_id)
        if self.interviewer.sessions.load(rec.session_id, user).pending_input is None:
            return rec
        return self._post_events(rec, poster, self.interviewer.resume(user, rec.session_id))

    def _refuse(self, rec: ThreadRecord, msg: Reply) -> None:
        key = (*rec.key, msg.user_id)
        if key in self._refused:
            return
        self._refused.add(key)
        Poster(self.client, rec.channel_id, rec.thread_ts).ephemeral(
            msg.user_id, render.render_text(
                f"This thread is <@{rec.user_id}>'s interview, so I won't grade replies from "
                "anyone else here. Start your own with `/interview`."))

    # ------------------------------------------------------------------ buttons
    def reveal(self, click: Click) -> None:
        """The reference answer, shown only to the interview's owner, and only once the
        question is closed (so it cannot answer a pending follow-up)."""
        poster = Poster(self.client, click.channel_id, click.thread_ts)
        rows = self.store.thread_rows(click.team_id, click.channel_id, click.thread_ts or "")
        mine = [r for r in rows if r.user_id == click.user_id]
        if not mine:
            poster.ephemeral(click.user_id, render.render_text(
                "Only the person who answered can open this reference."))
        else:
            events = self.interviewer.reference(engine_user(click.team_id, click.user_id),
                                                mine[0].session_id, click.question_id)
            if isinstance(events[0], ReferenceShown):
                poster.ephemeral(click.user_id, render.render_reference(events[0]))
            else:
                poster.ephemeral(click.user_id, render.render_text(
                    "Answer (or `skip`) the open question first; then the reference is yours."))

    # ------------------------------------------------------------------ start-up
    def warm_up(self) -> None:
        """Open the knowledge base and load the embedding model before serving: the first
        answer is then quick, and concurrent first requests don't race to open them."""
        self.interviewer.topics()
        load = getattr(getattr(self.interviewer.store, "embedder", None), "load", None)
        if load is not None:
            load()
        threading.Thread(target=prepare_bank, args=(self.interviewer,), name="prepare-bank",
                         daemon=True).start()

    def recover(self) -> int:
        """After a restart: answer every message that was received but not answered."""
        done = 0
        for rec in self.store.active_threads():
            poster = Poster(self.client, rec.channel_id, rec.thread_ts)
            with self._lock(rec.key):
                before = rec
                self._guard(poster, rec.user_id, lambda: self._catch_up(before, poster))
            done += 1
        return done

    # ------------------------------------------------------------------ helpers
    def _post_events(self, rec: ThreadRecord, poster: Poster,
                     events: Sequence[Event]) -> ThreadRecord:
        poster.post(render.render_events(events, rec.user_id))
        return self._track(rec, events)

    def _track(self, rec: ThreadRecord, events: Sequence[Event]) -> ThreadRecord:
        """Remember which question is open (for the reference button) and when it ends."""
        values: dict[str, object] = {}
        for e in events:
            if isinstance(e, (QuestionAsked, FollowUpAsked)):
                values["open_question"] = e.question_id
            elif isinstance(e, ExerciseOffered):
                values["open_question"] = e.exercise_id
            elif isinstance(e, ReportReady):
                values.update(open_question=None, status="finished")
                self._forget(rec.key)
        return self.store.update_thread(rec, **values) if values else rec

    def _forget(self, key: tuple) -> None:
        """A finished thread needs no lock or refusal memory (keeps both maps bounded)."""
        with self._locks_guard:
            self._locks.pop(key, None)
            self._refused = {k for k in self._refused if k[:len(key)] != key}

    def _lock(self, key: tuple) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(key, threading.Lock())

    def _guard(self, poster: Poster, user: str, work: Callable[[], object]) -> None:
        """Run `work`; our errors become a message to the user, never a lost thread."""
        try:
            work()
        except ServiceError as e:
            log.warning("service error: %s", e)
            self._tell(poster, user, f":warning: {e}. Your message is kept; reply again to "
                                     "continue.")
        except InterviewerError as e:
            self._tell(poster, user, f":warning: {e}")
        except SlackApiError as e:
            error = e.response.get("error")
            log.error("Slack API error: %s", error)
            if error in ("not_in_channel", "channel_not_found"):
                self._tell(poster, user, ":warning: I can't post in this channel. Invite me "
                                         "(`/invite @Interviewer`) or talk to me in a DM.")
        except Exception:  # the edge: log it, tell the person, keep serving others
            log.exception("failed to handle a Slack request")
            self._tell(poster, user, ":warning: Something went wrong on my side. Your "
                                     "interview is saved; reply again to continue.")

    def _tell(self, poster: Poster, user: str, text: str) -> None:
        msg = render.render_text(text)
        try:
            if poster.waiting:
                poster.post([msg])
            else:
                poster.ephemeral(user, msg)
        except SlackApiError as e:
            log.error("could not tell %s: %s", user, e.response.get("error"))
