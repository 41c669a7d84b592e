"""Slack-side state, in the session database (SQLite under INTERVIEWER_HOME, or
DATABASE_URL) next to the engine's sessions:

- `slack_threads`: which engine session a Slack thread holds, for which Slack user;
- `slack_events`: event ids already taken, so a retried event is handled once;
- `slack_daily`: channels that get a question of the day.

The tables are made by the storage migrations (revision 0002), applied on `open()`; the
definitions below are what the queries use.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from interviewer.storage.db import make_engine, migrate

metadata = sa.MetaData()
DAILY_THREAD_USER = "*"  # the row that marks a thread as a daily-question thread

threads = sa.Table(
    "slack_threads", metadata,
    sa.Column("team_id", sa.String(32), primary_key=True),
    sa.Column("channel_id", sa.String(32), primary_key=True),
    sa.Column("thread_ts", sa.String(32), primary_key=True),
    sa.Column("user_id", sa.String(32), primary_key=True),
    sa.Column("session_id", sa.String(32), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # interview | daily
    sa.Column("status", sa.String(16), nullable=False),  # active | finished
    sa.Column("open_question", sa.String(64), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

events = sa.Table(
    "slack_events", metadata,
    sa.Column("event_id", sa.String(64), primary_key=True),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, index=True),
)

daily = sa.Table(
    "slack_daily", metadata,
    sa.Column("team_id", sa.String(32), primary_key=True),
    sa.Column("channel_id", sa.String(32), primary_key=True),
    sa.Column("topics", sa.JSON, nullable=False),
    sa.Column("hour_utc", sa.Integer, nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("last_posted", sa.String(10), nullable=True),  # YYYY-MM-DD (UTC)
)


@dataclass(frozen=True)
class ThreadRecord:
    team_id: str
    channel_id: str
    thread_ts: str
    user_id: str
    session_id: str
    kind: str = "interview"
    status: str = "active"
    open_question: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return self.team_id, self.channel_id, self.thread_ts


@dataclass(frozen=True)
class DailyChannel:
    team_id: str
    channel_id: str
    topics: list[str]
    hour_utc: int
    last_posted: str | None


def _now() -> datetime:
    return datetime.now(timezone.utc)


class SlackStore:
    """Constructing it does no I/O; `open()` connects and creates the tables."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: sa.Engine | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings) -> "SlackStore":
        return cls(settings.sessions_url)

    def open(self) -> "SlackStore":
        with self._lock:
            if self._engine is None:
                engine = make_engine(self.url)
                migrate(engine)  # raises ServiceError naming the database when it fails
                self._engine = engine
        return self

    @property
    def engine(self) -> sa.Engine:
        return self.open()._engine

    # --------------------------------------------------------------- events
    def claim_event(self, event_id: str) -> bool:
        """True the first time an event id is seen, False for a retry or duplicate."""
        try:
            with self.engine.begin() as conn:
                conn.execute(events.insert().values(event_id=event_id, received_at=_now()))
            return True
        except sa.exc.IntegrityError:
            return False

    def prune_events(self, older_than: timedelta = timedelta(days=2)) -> int:
        with self.engine.begin() as conn:
            res = conn.execute(events.delete().where(events.c.received_at < _now() - older_than))
        return res.rowcount or 0

    # --------------------------------------------------------------- threads
    def add_thread(self, rec: ThreadRecord) -> None:
        now = _now()
        with self.engine.begin() as conn:
            conn.execute(threads.insert().values(created_at=now, updated_at=now,
                                                 **rec.__dict__))

    def thread_rows(self, team_id: str, channel_id: str, thread_ts: str) -> list[ThreadRecord]:
        t = threads.c
        query = sa.select(threads).where(t.team_id == team_id, t.channel_id == channel_id,
                                         t.thread_ts == thread_ts)
        return self._records(query)

    def latest_thread(self, team_id: str, channel_id: str, user_id: str) -> ThreadRecord | None:
        """The user's newest active interview in a channel (a DM, where replies may come
        outside the thread)."""
        t = threads.c
        query = (sa.select(threads).where(t.team_id == team_id, t.channel_id == channel_id,
                                          t.user_id == user_id, t.kind == "interview",
                                          t.status == "active")
                 .order_by(t.created_at.desc()).limit(1))
        rows = self._records(query)
        return rows[0] if rows else None

    def active_threads(self) -> list[ThreadRecord]:
        t = threads.c
        return self._records(sa.select(threads).where(t.status == "active",
                                                      t.user_id != DAILY_THREAD_USER))

    def update_thread(self, rec: ThreadRecord, **values: object) -> ThreadRecord:
        t = threads.c
        with self.engine.begin() as conn:
            conn.execute(threads.update().where(
                t.team_id == rec.team_id, t.channel_id == rec.channel_id,
                t.thread_ts == rec.thread_ts, t.user_id == rec.user_id,
            ).values(updated_at=_now(), **values))
        return ThreadRecord(**{**rec.__dict__, **values})

    def _records(self, query) -> list[ThreadRecord]:
        fields = ThreadRecord.__dataclass_fields__
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [ThreadRecord(**{k: r[k] for k in fields}) for r in rows]

    # --------------------------------------------------------------- daily question
    def set_daily(self, team_id: str, channel_id: str, *, topics: list[str], hour_utc: int,
                  enabled: bool) -> None:
        d = daily.c
        with self.engine.begin() as conn:
            conn.execute(daily.delete().where(d.team_id == team_id, d.channel_id == channel_id))
            conn.execute(daily.insert().values(team_id=team_id, channel_id=channel_id,
                                               topics=topics, hour_utc=hour_utc,
                                               enabled=enabled, last_posted=None))

    def daily_channels(self) -> list[DailyChannel]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(daily).where(daily.c.enabled)).mappings().all()
        return [DailyChannel(r["team_id"], r["channel_id"], list(r["topics"]), r["hour_utc"],
                             r["last_posted"]) for r in rows]

    def mark_daily_posted(self, team_id: str, channel_id: str, day: str) -> None:
        d = daily.c
        with self.engine.begin() as conn:
            conn.execute(daily.update().where(d.team_id == team_id, d.channel_id == channel_id)
                         .values(last_posted=day))

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
