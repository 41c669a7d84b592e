"""Turn plumbing: load a session, run one step of the interview over it, commit the new
state with the transcript lines, and only then hand out the events (deltas stream first).
Helpers that turn outside input into engine values live here too."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone

from interviewer.engine.events import Event, Notice, ReportReady, TextDelta
from interviewer.engine.state import Plan, SessionState
from interviewer.errors import InputError
from interviewer.storage import SessionStore, TurnRecord


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class Turn:
    """What one call changes: the state, and the transcript lines to commit with it."""

    state: SessionState
    version: int
    records: list[TurnRecord] = field(default_factory=list)


class TurnPlumbing:
    """Loading and committing sessions (mixed into `Interviewer`)."""

    sessions: SessionStore

    def _load(self, user_id: str, session_id: str) -> tuple[SessionState, int]:
        record = self.sessions.load(session_id, check_user(user_id))
        return SessionState.from_dict(record.state), record.version

    def _commit(self, turn: Turn, events: Iterator[Event], *, said: str | None = None,
                said_kind: str = "message", create: bool = False) -> Iterator[Event]:
        """Stream deltas as they come; commit the state and transcript; then the events."""
        if said is not None:
            turn.records.append(TurnRecord("candidate", said_kind, said))
        final: list[Event] = []
        for event in events:
            if isinstance(event, TextDelta):
                yield event
                continue
            final.append(event)
            turn.records.append(TurnRecord("interviewer", event.kind, event.text_for_transcript,
                                           record_data(event)))
        state = turn.state
        if create:
            self.sessions.create(state.id, state.user_id, title=title(state),
                                 plan=state.plan, state=state.to_dict(), turns=turn.records)
        else:
            self.sessions.save(state.id, state.user_id, version=turn.version,
                               state=state.to_dict(), status=state.status, turns=turn.records)
        yield from final


def too_long(what: str, size: int, limit: int) -> Notice:
    return Notice(f"Your {what} has {size:,} characters; the limit is {limit:,}. Shorten it and "
                  "send it again (nothing was recorded, and the question is still open).",
                  "warning")


def final(events: Iterator[Event]) -> list[Event]:
    return [e for e in events if not isinstance(e, TextDelta)]


def parse_plan(plan: Plan | dict | None) -> Plan:
    if isinstance(plan, Plan):
        return plan
    try:
        return Plan.model_validate(plan or {})
    except ValueError as e:
        raise InputError(f"invalid interview plan: {e}") from e


def check_user(user_id: str) -> str:
    if not isinstance(user_id, str) or not user_id.strip() or len(user_id) > 200:
        raise InputError("a session needs a user id (1-200 characters)")
    return user_id


def title(state: SessionState) -> str:
    names = [state.topic_names.get(t, t) for t in state.topics]
    n = state.plan_model.questions
    count = f"{n} question{'s' if n != 1 else ''}"
    if not state.plan_model.topics:
        return f"All topics · {count}"
    shown = ", ".join(names[:3]) + (f" +{len(names) - 3}" if len(names) > 3 else "")
    return f"{shown} · {count}"


def record_data(event: Event) -> dict:
    data = event.to_dict()
    if isinstance(event, ReportReady):
        data.pop("report", None)  # the report is rebuilt from the state on demand
    return data
