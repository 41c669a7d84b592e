"""The interview engine: one state machine that every front end (terminal, Gradio, Slack)
drives. It returns (or streams) typed events from `interviewer.engine.events`; front ends
render them and forward what the candidate types.

Each call loads the session, records the candidate's message first (so it survives a crash
while grading or an LLM call runs), computes the next state, commits it with the transcript
lines, and only then hands out the events. Streaming variants yield `delta` events while an
LLM speaks; the final events still come after the commit.

The engine is assembled from one module per idea: turn plumbing (`turns.py`), the command
table (`handlers.py`), main questions (`question_flow.py`), follow-ups and their rubrics
(`follow_up_flow.py`), hints (`hints.py`), coding exercises (`exercise_flow.py`) and the
interviewer's voice (`voice.py`).
"""

from __future__ import annotations

from collections.abc import Iterator

from interviewer.engine import selection
from interviewer.engine.brain import Brain, OfflineBrain
from interviewer.engine.events import Event, Notice, ReferenceShown
from interviewer.engine.exercise_flow import ExerciseFlow
from interviewer.engine.exercises import CodeRunner
from interviewer.engine.follow_up_flow import FollowUpFlow
from interviewer.engine.followups import EmbeddingSimilarity
from interviewer.engine.handlers import dispatch
from interviewer.engine.hints import Hints
from interviewer.engine.prefetch import Prefetcher
from interviewer.engine.question_flow import QuestionFlow
from interviewer.engine.report import Report, build_report
from interviewer.engine.state import Item, Plan, SessionState
from interviewer.engine.turns import (Turn, TurnPlumbing, check_user, final, parse_plan,
                                      too_long)
from interviewer.engine.voice import Voice
from interviewer.grading.base import MAX_ANSWER_CHARS, Grader
from interviewer.knowledge.followups import FollowUpBook, load_followups
from interviewer.knowledge.models import Question
from interviewer.storage import SessionStore, SessionSummary, TurnRecord

MAX_CODE_CHARS = 100_000
REFERENCE_LATER = ("The reference answer is shown once you have finished a question (answer "
                   "it, skip it, or say \"I don't know\").")


class Interviewer(TurnPlumbing, QuestionFlow, FollowUpFlow, Hints, ExerciseFlow, Voice):
    """The engine. Constructing it does no I/O; collaborators are injected:

    - `store`: the KnowledgeStore (questions are chosen through it),
    - `grader`: any `Grader`,
    - `executor`: a `CodeRunner` for coding exercises (None: concept questions only),
    - `brain`: how the interviewer words things (default `OfflineBrain`),
    - `sessions`: a `SessionStore` (default: the settings' database),
    - `bank`: full question records by id (default: the curated files, else the store),
    - `followups`: follow-up rubrics and curated hints (default: read on first use from
      `knowledge/followups/`; a topic without a file has ungraded follow-ups).
    """

    def __init__(self, settings, store, grader: Grader, *, executor: CodeRunner | None = None,
                 brain: Brain | None = None, sessions: SessionStore | None = None,
                 bank: selection.QuestionBank | None = None,
                 followups: FollowUpBook | None = None) -> None:
        self.settings = settings
        self.store = store
        self.grader = grader
        self.runner = executor
        self.offline = OfflineBrain()
        self.brain: Brain = brain or self.offline
        self.sessions = sessions or SessionStore.from_settings(settings)
        self.bank = bank or selection.QuestionBank.from_dir(
            settings.knowledge_dir / "questions", store)
        self._followups = followups
        self._similarity: EmbeddingSimilarity | None = None
        self._prefetcher = Prefetcher()

    @property
    def followups(self) -> FollowUpBook:
        if self._followups is None:
            folder = self.settings.knowledge_dir
            self._followups = load_followups(folder / "followups", folder / "questions")
        return self._followups

    # ----------------------------------------------------------------- public API
    def topics(self, user_id: str = "", sources: list[str] | None = None) -> dict[str, str]:
        """slug -> name of the topics a user can be asked (for a front end's picker): those of
        the chosen sources, else of every public source (never another user's private one)."""
        return self.store.with_sources(sources or [], viewer=user_id).topics()

    def sources(self, user_id: str = "") -> list:
        """The knowledge sources a user can choose: the public ones and their own
        (`SourceInfo`: name, questions, topics, builtin, origin, owner)."""
        return self.store.list_sources(user_id)

    def upload_bank(self, user_id: str, filename: str, data: bytes):
        """An uploaded Q&A file becomes the user's private source (`UploadResult`)."""
        from interviewer.knowledge.upload import ingest_upload

        return ingest_upload(self.store, check_user(user_id), filename, data)

    def start(self, user_id: str, plan: Plan | dict | None = None) -> tuple[str, list[Event]]:
        session_id, events = self.start_stream(user_id, plan)
        return session_id, final(events)

    def start_stream(self, user_id: str,
                     plan: Plan | dict | None = None) -> tuple[str, Iterator[Event]]:
        """A new session: its id now, and its opening events (the welcome notice and the first
        question) as a stream. The session is saved when the stream is consumed."""
        state = self._new_state(check_user(user_id), parse_plan(plan))
        return state.id, self._commit(Turn(state, 0), self._opening(state), create=True)

    def handle(self, user_id: str, session_id: str, text: str) -> list[Event]:
        return final(self.handle_stream(user_id, session_id, text))

    def handle_stream(self, user_id: str, session_id: str, text: str) -> Iterator[Event]:
        """The candidate's message: an answer, or a command (/hint /skip /repeat /end,
        "I don't know"). Yields `delta` events while an LLM speaks, then the final events."""
        state, version = self._load(user_id, session_id)
        if state.status != "active":
            yield self._over_notice(state)
            return
        if len(text) > MAX_ANSWER_CHARS:
            yield too_long("answer", len(text), MAX_ANSWER_CHARS)
            return
        version = self.sessions.set_pending(session_id, user_id, version=version, text=text)
        yield from self._commit(Turn(state, version), dispatch(self, state, text), said=text)

    def submit_code(self, user_id: str, session_id: str, code: str) -> list[Event]:
        """Code for the open exercise: run against its hidden checks, graded by checks passed."""
        state, version = self._load(user_id, session_id)
        item = state.current
        if state.status != "active" or item is None or item.kind != "exercise":
            return [Notice("There is no coding exercise open right now.", "warning")]
        if len(code) > MAX_CODE_CHARS:
            return [too_long("code", len(code), MAX_CODE_CHARS)]
        version = self.sessions.set_pending(session_id, user_id, version=version, text=code)
        return final(self._commit(Turn(state, version), self._code(state, item, code),
                                  said=code, said_kind="code"))

    def resume(self, user_id: str, session_id: str) -> list[Event]:
        return final(self.resume_stream(user_id, session_id))

    def resume_stream(self, user_id: str, session_id: str) -> Iterator[Event]:
        """Continue a session exactly where it stopped: a message that was received but not
        answered (a crash) is processed now; otherwise the open question is asked again."""
        record = self.sessions.load(session_id, check_user(user_id))
        state = SessionState.from_dict(record.state)
        if record.pending_input is not None and state.status == "active":
            yield Notice("Picking up where we stopped: answering your last message.")
            yield from self._commit(Turn(state, record.version),
                                    dispatch(self, state, record.pending_input),
                                    said=record.pending_input)
            return
        if state.status != "active":
            yield self._report_event(state)
            return
        yield Notice(f"Resuming your interview ({len(state.items)} of "
                     f"{state.plan_model.questions}).")
        yield self._prompt_event(state, state.current)

    def report(self, user_id: str, session_id: str) -> Report:
        """The report so far (complete once the session is finished)."""
        state, _ = self._load(user_id, session_id)
        return build_report(state, self.bank)

    def reference(self, user_id: str, session_id: str,
                  question_id: str | None = None) -> list[Event]:
        """The reference answer of the question the candidate last finished, titled with that
        question: a follow-up's own reference after a follow-up. Never of an open question or
        follow-up (it would answer it). `question_id` picks a finished question (Q17) or
        follow-up (Q17.1) of this session."""
        state, _ = self._load(user_id, session_id)
        if state.current is not None and state.current.follow_up is not None \
                and question_id is None:
            return [Notice("The reference answers are shown once you have answered this "
                           "follow-up (or skipped it).")]
        shown = self._finished_rubrics(state)
        if question_id is not None:
            shown = [q for q in shown if q.id == question_id]
        if not shown:
            return [Notice(REFERENCE_LATER)]
        return [self._reference_event(shown[-1])]

    def _finished_rubrics(self, state: SessionState) -> list[Question]:
        """Every finished question and graded follow-up with a reference, in the order the
        candidate finished them."""
        out: list[Question] = []
        for item in state.items:
            if item.kind != "question" or item.status == "open":
                continue
            q = self.bank.get(item.ref_id)
            out.append(q)
            out.extend(self._follow_up_references(item, q))
        return out

    def _follow_up_references(self, item: Item, q: Question) -> list[Question]:
        out = []
        for a in item.attempts:
            if a.kind != "follow_up" or not a.rubric or a.rubric.endswith((":probe", ":llm")):
                continue
            record = next((r for r in self.followups.records.values() if r.id == a.rubric),
                          None)
            if record is not None:
                out.append(record.as_question(q.topic, q.difficulty))
        return out

    def list_sessions(self, user_id: str) -> list[SessionSummary]:
        return self.sessions.list(check_user(user_id))

    def transcript(self, user_id: str, session_id: str) -> list[TurnRecord]:
        """Every line said in the session, in order (the raw log behind the report)."""
        return self.sessions.turns(session_id, check_user(user_id))

    def close(self) -> None:
        """Release what the engine started: background work, the sandbox, connections."""
        self._prefetcher.close()
        close_runner = getattr(self.runner, "close", None)
        if close_runner:
            close_runner()
        self.sessions.close()


__all__ = ["MAX_CODE_CHARS", "Interviewer", "ReferenceShown"]
