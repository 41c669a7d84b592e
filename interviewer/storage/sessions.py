"""`SessionStore`: sessions and their turns, owned by a user id, saved one commit per turn.

Every write names the user and the version it read; a session of another user is reported
as missing (its existence is not revealed), and a write based on a stale version (another
replica moved the session on) is refused instead of overwriting.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

from interviewer.errors import InputError, ServiceError
from interviewer.storage import models
from interviewer.storage.db import make_engine, migrate


@dataclass(frozen=True)
class TurnRecord:
    """One line of the transcript: who spoke, what kind of message, its text and data."""

    role: str  # "candidate" | "interviewer" | "system"
    kind: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)
    seq: int = 0
    created_at: str = ""


@dataclass(frozen=True)
class SessionSummary:
    id: str
    user: str
    title: str
    started: str
    updated: str
    status: str
    turns: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class SessionRecord:
    id: str
    user_id: str
    status: str
    version: int
    plan: dict[str, Any]
    state: dict[str, Any]
    pending_input: str | None
    created_at: str
    updated_at: str


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.isoformat(timespec="seconds")


class SessionStore:
    """Sessions in SQLite or PostgreSQL. Constructing it does no I/O; the first use connects
    and applies pending migrations (`open()` does that explicitly)."""

    def __init__(self, url: str, *, engine: sa.Engine | None = None) -> None:
        self.url = url
        self._engine = engine
        self._ready = False
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings) -> "SessionStore":
        return cls(settings.sessions_url)

    def open(self) -> "SessionStore":
        with self._lock:
            if not self._ready:
                if self._engine is None:
                    self._engine = make_engine(self.url)
                migrate(self._engine)
                self._ready = True
        return self

    @property
    def engine(self) -> sa.Engine:
        if not self._ready:
            self.open()
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    def create(self, session_id: str, user_id: str, *, title: str, plan: dict, state: dict,
               turns: Sequence[TurnRecord] = ()) -> int:
        """Insert a new session with its first turns; returns its version (1)."""
        now = _now()
        with self._begin() as conn:
            conn.execute(models.sessions.insert().values(
                id=session_id, user_id=user_id, status="active", title=title[:200],
                created_at=now, updated_at=now, version=1, turns=0, pending_input=None,
                plan=plan, state=state))
            self._insert_turns(conn, session_id, turns, start=1, now=now)
        return 1

    def load(self, session_id: str, user_id: str) -> SessionRecord:
        s = models.sessions
        with self._connect() as conn:
            row = conn.execute(sa.select(s).where(s.c.id == session_id,
                                                  s.c.user_id == user_id)).mappings().first()
        if row is None:
            raise InputError(f"no session {session_id!r} for user {user_id!r}")
        return SessionRecord(id=row["id"], user_id=row["user_id"], status=row["status"],
                             version=row["version"], plan=row["plan"], state=row["state"],
                             pending_input=row["pending_input"],
                             created_at=_iso(row["created_at"]), updated_at=_iso(row["updated_at"]))

    def save(self, session_id: str, user_id: str, *, version: int, state: dict, status: str,
             turns: Sequence[TurnRecord] = (), pending_input: str | None = None) -> int:
        """Write the new state and append turns in one transaction, if nobody else wrote
        since `version`; returns the new version."""
        answered = sum(1 for t in turns if t.role == "candidate")
        values = dict(state=state, status=status, pending_input=pending_input,
                      turns=models.sessions.c.turns + answered)
        return self._update(session_id, user_id, version, values, turns)

    def set_pending(self, session_id: str, user_id: str, *, version: int,
                    text: str | None) -> int:
        """Record what the candidate typed before anything slow (grading, an LLM) runs."""
        return self._update(session_id, user_id, version, {"pending_input": text}, ())

    def _update(self, session_id: str, user_id: str, version: int, values: dict,
                turns: Sequence[TurnRecord]) -> int:
        s = models.sessions
        now = _now()
        with self._begin() as conn:
            res = conn.execute(s.update().where(
                s.c.id == session_id, s.c.user_id == user_id, s.c.version == version,
            ).values(version=version + 1, updated_at=now, **values))
            if res.rowcount != 1:
                self.load(session_id, user_id)  # raises when missing or not this user's
                raise ServiceError(f"session {session_id} was changed elsewhere "
                                   "(another window or replica); resume it to continue")
            if turns:
                last = conn.execute(sa.select(sa.func.max(models.turns.c.seq)).where(
                    models.turns.c.session_id == session_id)).scalar() or 0
                self._insert_turns(conn, session_id, turns, start=last + 1, now=now)
        return version + 1

    @staticmethod
    def _insert_turns(conn, session_id: str, turns: Sequence[TurnRecord], *, start: int,
                      now: datetime) -> None:
        if not turns:
            return
        conn.execute(models.turns.insert(), [
            dict(session_id=session_id, seq=start + i, role=t.role, kind=t.kind, text=t.text,
                 data=t.data, created_at=now) for i, t in enumerate(turns)])

    def list(self, user_id: str | None) -> list[SessionSummary]:
        """The user's sessions, newest first (`None`: everyone's, for operators)."""
        s = models.sessions
        query = sa.select(s.c.id, s.c.user_id, s.c.title, s.c.created_at, s.c.updated_at,
                          s.c.status, s.c.turns).order_by(s.c.updated_at.desc(), s.c.id)
        if user_id is not None:
            query = query.where(s.c.user_id == user_id)
        with self._connect() as conn:
            rows = conn.execute(query).all()
        return [SessionSummary(id=r.id, user=r.user_id, title=r.title, started=_iso(r.created_at),
                               updated=_iso(r.updated_at), status=r.status, turns=r.turns)
                for r in rows]

    def states(self, user_id: str, limit: int = 200) -> list[tuple[SessionSummary, dict]]:
        """The user's latest sessions with their stored states, oldest first (for progress
        across sessions). Only this user's rows are read."""
        s = models.sessions
        query = (sa.select(s.c.id, s.c.user_id, s.c.title, s.c.created_at, s.c.updated_at,
                           s.c.status, s.c.turns, s.c.state)
                 .where(s.c.user_id == user_id)
                 .order_by(s.c.created_at.desc(), s.c.id).limit(limit))
        with self._connect() as conn:
            rows = conn.execute(query).all()
        return [(SessionSummary(id=r.id, user=r.user_id, title=r.title,
                                started=_iso(r.created_at), updated=_iso(r.updated_at),
                                status=r.status, turns=r.turns), r.state)
                for r in reversed(rows)]

    def turns(self, session_id: str, user_id: str) -> list[TurnRecord]:
        self.load(session_id, user_id)
        t = models.turns
        with self._connect() as conn:
            rows = conn.execute(sa.select(t).where(t.c.session_id == session_id)
                                .order_by(t.c.seq)).mappings().all()
        return [TurnRecord(role=r["role"], kind=r["kind"], text=r["text"], data=r["data"],
                           seq=r["seq"], created_at=_iso(r["created_at"])) for r in rows]

    def _begin(self):
        return _Guard(self.engine.begin)

    def _connect(self):
        return _Guard(self.engine.connect)


class _Guard:
    """A connection context that turns database failures into ServiceError."""

    def __init__(self, opener) -> None:
        self._opener = opener
        self._cm = None

    def __enter__(self):
        try:
            self._cm = self._opener()
            return self._cm.__enter__()
        except sa.exc.OperationalError as e:
            raise ServiceError(f"the session database is unavailable: {e.orig}") from e

    def __exit__(self, exc_type, exc, tb):
        try:
            return self._cm.__exit__(exc_type, exc, tb)
        except sa.exc.OperationalError as e:
            raise ServiceError(f"the session database is unavailable: {e.orig}") from e
