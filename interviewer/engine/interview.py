"""The interview engine: one state machine that every front end (terminal, Gradio, Slack)
drives. It returns (or streams) typed events from `interviewer.engine.events`; front ends
render them and forward what the candidate types.

Each call loads the session, records the candidate's message first (so it survives a crash
while grading or an LLM call runs), computes the next state, commits it with the transcript
lines, and only then hands out the events. Streaming variants yield `delta` events while an
LLM speaks; the final events still come after the commit.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone

from interviewer.engine import selection
from interviewer.engine.brain import (AskContext, Brain, Exchange, FollowUpContext,
                                      HintContext, OfflineBrain, check_reply)
from interviewer.engine.candidate_input import extract_code, parse_command
from interviewer.engine.events import (CodeResult, Event, ExerciseOffered, FollowUpAsked,
                                       GradeReady, HintGiven, Notice, QuestionAsked,
                                       ReferenceShown, ReportReady, TextDelta)
from interviewer.engine.exercises import CodeRunner, Exercise
from interviewer.engine.followups import (EmbeddingSimilarity, FollowUpPlan, plan_follow_up,
                                          question_for_points)
from interviewer.engine.prefetch import Prefetcher
from interviewer.engine.report import Report, build_report
from interviewer.engine.scoring import grade_event, item_score, update_weak_points
from interviewer.engine.state import (MAX_SCORE, Attempt, Item, PendingFollowUp, Plan,
                                      SessionState, Usage)
from interviewer.errors import InputError, ServiceError
from interviewer.grading.base import MAX_ANSWER_CHARS, Grade, Grader
from interviewer.knowledge.models import Question, topic_slug
from interviewer.llm.prompts import render
from interviewer.storage import SessionStore, SessionSummary, TurnRecord

log = logging.getLogger(__name__)
MAX_CODE_SUBMISSIONS = 3
HISTORY_TURNS = 6


MAX_CODE_CHARS = 100_000
SERVICE_FAULTS = {"refused", "crashed"}  # the sandbox failed, not the candidate's code


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class _Turn:
    """What one call changes: the state, and the transcript lines to commit with it."""

    state: SessionState
    version: int
    records: list[TurnRecord] = field(default_factory=list)


class Interviewer:
    """The engine. Constructing it does no I/O; collaborators are injected:

    - `store`: the KnowledgeStore (questions are chosen through it),
    - `grader`: any `Grader`,
    - `executor`: a `CodeRunner` for coding exercises (None: concept questions only),
    - `brain`: how the interviewer words things (default `OfflineBrain`),
    - `sessions`: a `SessionStore` (default: the settings' database),
    - `bank`: full question records by id (default: the curated files, else the store).
    """

    def __init__(self, settings, store, grader: Grader, *, executor: CodeRunner | None = None,
                 brain: Brain | None = None, sessions: SessionStore | None = None,
                 bank: selection.QuestionBank | None = None) -> None:
        self.settings = settings
        self.store = store
        self.grader = grader
        self.runner = executor
        self.offline = OfflineBrain()
        self.brain: Brain = brain or self.offline
        self.sessions = sessions or SessionStore.from_settings(settings)
        self.bank = bank or selection.QuestionBank.from_dir(
            settings.knowledge_dir / "questions", store)
        self._similarity: EmbeddingSimilarity | None = None
        self._prefetcher = Prefetcher()

    # ----------------------------------------------------------------- public API
    def topics(self) -> dict[str, str]:
        """slug -> name of every topic in the knowledge base (for a front end's picker)."""
        return self.store.topics()

    def start(self, user_id: str, plan: Plan | dict | None = None) -> tuple[str, list[Event]]:
        session_id, events = self.start_stream(user_id, plan)
        return session_id, _final(events)

    def start_stream(self, user_id: str,
                     plan: Plan | dict | None = None) -> tuple[str, Iterator[Event]]:
        """A new session: its id now, and its opening events (the welcome notice and the first
        question) as a stream. The session is saved when the stream is consumed."""
        state = self._new_state(_check_user(user_id), _plan(plan))
        return state.id, self._commit(_Turn(state, 0), self._opening(state), create=True)

    def handle(self, user_id: str, session_id: str, text: str) -> list[Event]:
        return _final(self.handle_stream(user_id, session_id, text))

    def handle_stream(self, user_id: str, session_id: str, text: str) -> Iterator[Event]:
        """The candidate's message: an answer, or a command (/hint /skip /repeat /end,
        "I don't know"). Yields `delta` events while an LLM speaks, then the final events."""
        state, version = self._load(user_id, session_id)
        if state.status != "active":
            yield self._over_notice(state)
            return
        if len(text) > MAX_ANSWER_CHARS:
            yield _too_long("answer", len(text), MAX_ANSWER_CHARS)
            return
        version = self.sessions.set_pending(session_id, user_id, version=version, text=text)
        yield from self._commit(_Turn(state, version), self._dispatch(state, text), said=text)

    def submit_code(self, user_id: str, session_id: str, code: str) -> list[Event]:
        """Code for the open exercise: run against its hidden checks, graded by checks passed."""
        state, version = self._load(user_id, session_id)
        item = state.current
        if state.status != "active" or item is None or item.kind != "exercise":
            return [Notice("There is no coding exercise open right now.", "warning")]
        if len(code) > MAX_CODE_CHARS:
            return [_too_long("code", len(code), MAX_CODE_CHARS)]
        version = self.sessions.set_pending(session_id, user_id, version=version, text=code)
        return _final(self._commit(_Turn(state, version), self._code(state, item, code),
                                   said=code, said_kind="code"))

    def resume(self, user_id: str, session_id: str) -> list[Event]:
        return _final(self.resume_stream(user_id, session_id))

    def resume_stream(self, user_id: str, session_id: str) -> Iterator[Event]:
        """Continue a session exactly where it stopped: a message that was received but not
        answered (a crash) is processed now; otherwise the open question is asked again."""
        record = self.sessions.load(session_id, _check_user(user_id))
        state = _state_from(record.state)
        if record.pending_input is not None and state.status == "active":
            yield Notice("Picking up where we stopped: answering your last message.")
            yield from self._commit(_Turn(state, record.version),
                                    self._dispatch(state, record.pending_input),
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
        """The reference answer of a finished question of this session (the latest one by
        default). Never of the open question: it would answer a pending follow-up."""
        state, _ = self._load(user_id, session_id)
        closed = [i for i in state.items if i.kind == "question" and i.status != "open"]
        if question_id is not None:
            closed = [i for i in closed if i.ref_id == question_id]
        if not closed:
            return [Notice("The reference answer is shown once you have finished a question "
                           "(answer it, skip it, or say \"I don't know\").")]
        q = self.bank.get(closed[-1].ref_id)
        return [ReferenceShown(question_id=q.id, text=q.reference, key_points=list(q.key_points))]

    def list_sessions(self, user_id: str) -> list[SessionSummary]:
        return self.sessions.list(_check_user(user_id))

    def transcript(self, user_id: str, session_id: str) -> list[TurnRecord]:
        """Every line said in the session, in order (the raw log behind the report)."""
        return self.sessions.turns(session_id, _check_user(user_id))

    def close(self) -> None:
        """Release what the engine started: background work, the sandbox, connections."""
        self._prefetcher.close()
        close_runner = getattr(self.runner, "close", None)
        if close_runner:
            close_runner()
        self.sessions.close()

    # ----------------------------------------------------------------- turn plumbing
    def _load(self, user_id: str, session_id: str) -> tuple[SessionState, int]:
        record = self.sessions.load(session_id, _check_user(user_id))
        return _state_from(record.state), record.version

    def _commit(self, turn: _Turn, events: Iterator[Event], *, said: str | None = None,
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
                                           _record_data(event)))
        state = turn.state
        if create:
            self.sessions.create(state.id, state.user_id, title=_title(state),
                                 plan=state.plan, state=state.to_dict(), turns=turn.records)
        else:
            self.sessions.save(state.id, state.user_id, version=turn.version,
                               state=state.to_dict(), status=state.status, turns=turn.records)
        yield from final

    def _dispatch(self, state: SessionState, text: str) -> Iterator[Event]:
        command = parse_command(text)
        item = state.current
        if command == "end" or item is None:
            yield from self._finish(state, early=True)
        elif command == "repeat":
            yield self._prompt_event(state, item)
        elif command == "hint":
            yield from self._hint(state, item)
        elif command in ("skip", "idk"):
            yield from (self._skip(state, item) if command == "skip" else self._idk(state, item))
            yield from self._advance(state)
        elif item.kind == "exercise":
            code = extract_code(text)
            yield from (self._code(state, item, code) if code else [Notice(
                "Send your solution as code (several lines or a ``` block), or /skip.")])
        else:
            yield from self._answer(state, item, text)

    # ----------------------------------------------------------------- starting
    def _new_state(self, user_id: str, plan: Plan) -> SessionState:
        names = self.store.topics()
        if not names:
            raise InputError("the knowledge base is empty; run `interviewer ingest` first")
        slugs = [self.store.resolve_topic(t) for t in plan.topics] or sorted(names)
        seed = plan.seed if plan.seed is not None else random.SystemRandom().randrange(2**31)
        return SessionState(
            id=uuid.uuid4().hex, user_id=user_id, plan=plan.model_dump(), seed=seed,
            topics=list(dict.fromkeys(slugs)), topic_names=names, level=plan.difficulty or 2,
            brain=self.brain.name, started=_now())

    def _opening(self, state: SessionState) -> Iterator[Event]:
        plan = state.plan_model
        yield Notice(render("interview_welcome", total=plan.questions, mode=plan.mode,
                            topics=[state.topic_names[t] for t in state.topics],
                            all_topics=not plan.topics,
                            follow_ups=self._follow_up_limit(state),
                            hint_penalty=self.settings.hint_penalty).user)
        if plan.mode != "concepts" and not self._exercises():
            yield Notice("Coding exercises are not available here; you will get concept "
                         "questions instead.", "warning")
        yield from self._next(state)

    def _follow_up_limit(self, state: SessionState) -> int:
        limit = state.plan_model.follow_ups
        return self.settings.follow_ups if limit is None else limit

    # ----------------------------------------------------------------- choosing what's next
    def _advance(self, state: SessionState) -> Iterator[Event]:
        if len(state.items) >= state.plan_model.questions:
            yield from self._finish(state)
        else:
            yield from self._next(state)

    def _next(self, state: SessionState) -> Iterator[Event]:
        number = len(state.items) + 1
        if self._wants_exercise(state, number):
            exercise = self._pick_exercise(state, number)
            if exercise is not None:
                yield self._offer(state, exercise, number)
                return
        picked = self._pick_question(state, number)
        if picked is None:
            yield Notice("That was every question available for your topics.")
            yield from self._finish(state)
            return
        yield from self._ask(state, picked, number)

    def _pick_question(self, state: SessionState, number: int) -> tuple[str, selection.Pick] | None:
        level = state.plan_model.difficulty or state.level
        available = list(state.topics)
        while available:
            topic = selection.choose_topic(state, available, number)
            pick = selection.choose_question(self.store, state, topic, level, number)
            if pick is not None:
                return topic, pick
            available.remove(topic)
        return None

    def _ask(self, state: SessionState, picked: tuple[str, selection.Pick],
             number: int) -> Iterator[Event]:
        topic, pick = picked
        question = self.bank.get(pick.question_id)
        last = next((i for i in reversed(state.items) if i.graded()), None)
        ctx = AskContext(question=question, topic_name=state.topic_names.get(topic, topic),
                         number=number, total=state.plan_model.questions,
                         difficulty=pick.difficulty,
                         previous_score=last.score if last else None,
                         previous_feedback=_feedback(last), history=_history(state))
        text = yield from self._say(state, "question", "ask", ctx)
        item = Item(number=number, kind="question", ref_id=question.id, topic=topic,
                    topic_name=ctx.topic_name, difficulty=pick.difficulty, prompt=text)
        state.items.append(item)
        self._prefetch(question)
        yield self._prompt_event(state, item)

    # ----------------------------------------------------------------- answers
    def _answer(self, state: SessionState, item: Item, text: str) -> Iterator[Event]:
        question = self.bank.get(item.ref_id)
        pending = item.follow_up
        if pending is None:
            graded_q, kind, prompt = question, "main", item.prompt
        else:
            plan = FollowUpPlan(pending.focus, tuple(pending.points), pending.curated,
                                pending.misconception)
            graded_q = question_for_points(question, plan, pending.text)
            kind, prompt = "follow_up", pending.text
        self._wait_prefetch(graded_q)
        grade = self.grader.grade(graded_q, text)
        state.usage.add(self._grading_usage(grade))
        penalty = item.unpaid_hints * self.settings.hint_penalty
        score = round(max(0.0, grade.score - penalty), 2)
        item.attempts.append(Attempt(kind, prompt, text, score=score, grade=grade.to_dict(),
                                     focus=pending.focus if pending else None,
                                     points=list(pending.points) if pending else []))
        item.unpaid_hints = 0
        update_weak_points(item, grade, pending)
        item.follow_up = None
        yield from self._grade_notice(state, grade)
        yield grade_event(item, grade, score, penalty, follow_up=pending is not None)
        yield from self._follow_up_or_close(state, item, question, grade, text)

    def _grade_notice(self, state: SessionState, grade: Grade) -> Iterator[Event]:
        if grade.fallback and not state.grader_fallback:
            state.grader_fallback = True
            yield Notice("The AI grader is unavailable; grading continues offline.", "warning")

    def _follow_up_or_close(self, state: SessionState, item: Item, question: Question,
                            grade: Grade, answer: str) -> Iterator[Event]:
        plan = None
        if item.follow_ups_asked < self._follow_up_limit(state):
            plan = plan_follow_up(question, grade, item.curated_used, self._similar())
        if plan is None:
            yield from self._close(state, item)
            return
        ctx = FollowUpContext(question=question, answer=answer, grade=grade, plan=plan,
                              history=_history(state))
        text = yield from self._say(state, "follow_up", "follow_up", ctx)
        item.follow_up = PendingFollowUp(text, plan.focus, list(plan.points), plan.curated,
                                         plan.misconception)
        item.follow_ups_asked += 1
        if plan.curated:
            item.curated_used.append(plan.curated)
        self._prefetch(question_for_points(question, plan, text))
        yield self._prompt_event(state, item)

    def _close(self, state: SessionState, item: Item) -> Iterator[Event]:
        item.status, item.follow_up = "done", None
        item.score = item_score(item)
        if state.plan_model.difficulty is None and item.score is not None:
            if item.score >= 4:
                state.level = min(3, state.level + 1)
            elif item.score <= 2:
                state.level = max(1, state.level - 1)
        yield from self._advance(state)

    # ----------------------------------------------------------------- commands
    def _hint(self, state: SessionState, item: Item) -> Iterator[Event]:
        point = self._hint_point(item)
        if point is None:
            yield Notice("No more hints for this one.")
            return
        question = self._question_or_exercise_text(item)
        ctx = HintContext(question=question, number=len(item.hints) + 1,
                          penalty=self.settings.hint_penalty, point=point,
                          verbatim=item.kind == "exercise")
        text = yield from self._say(state, "hint", "hint", ctx)
        item.hints.append(text)
        item.unpaid_hints += 1
        yield HintGiven(question_id=item.ref_id, number=len(item.hints),
                        penalty=self.settings.hint_penalty, text=text)

    def _hint_point(self, item: Item) -> str | None:
        if item.kind == "exercise":
            hints = list(self._exercise(item.ref_id).hints)
        elif item.follow_up is not None and item.follow_up.points:
            hints = list(item.follow_up.points)
        else:
            q = self.bank.get(item.ref_id)
            hints = list(q.key_points) or [s for s in q.reference.split(". ") if s][:2]
        used = len(item.hints)
        return hints[used] if used < len(hints) else None

    def _question_or_exercise_text(self, item: Item) -> Question:
        if item.kind == "question":
            return self.bank.get(item.ref_id)
        ex = self._exercise(item.ref_id)
        return Question(id=ex.id, topic=ex.topic or "coding", question=ex.prompt or ex.title,
                        reference=ex.prompt or ex.title)

    def _skip(self, state: SessionState, item: Item) -> Iterator[Event]:
        if item.follow_up is not None:  # the main answer stands; drop the follow-up
            item.attempts.append(Attempt("follow_up", item.follow_up.text, "",
                                         outcome="skipped"))
            item.status, item.follow_up = "done", None
            item.score = item_score(item)
        else:
            item.attempts.append(Attempt(_attempt_kind(item), item.prompt, "",
                                         outcome="skipped"))
            item.status = "skipped"
        yield Notice("Skipped.")

    def _idk(self, state: SessionState, item: Item) -> Iterator[Event]:
        if item.kind == "exercise":
            yield from self._skip(state, item)
            return
        q = self.bank.get(item.ref_id)
        pending = item.follow_up
        prompt = pending.text if pending else item.prompt
        item.attempts.append(Attempt("follow_up" if pending else "main", prompt, "",
                                     outcome="idk", score=0.0))
        if pending is None:
            item.weak_points = list(q.key_points) or [q.question]
        item.status, item.follow_up, item.unpaid_hints = "done", None, 0
        item.score = item_score(item)
        yield ReferenceShown(question_id=q.id, text=q.reference, key_points=list(q.key_points))
        yield GradeReady(question_id=q.id, score=0.0, max_score=MAX_SCORE,
                         follow_up=pending is not None, covered=[],
                         missing=list(pending.points if pending else item.weak_points),
                         misconceptions=[], feedback="No answer: scored 0. The reference "
                         "answer is above.")

    def _finish(self, state: SessionState, early: bool = False) -> Iterator[Event]:
        item = state.current
        if item is not None:
            if item.graded():
                item.status, item.follow_up = "done", None
                item.score = item_score(item)
            else:
                item.status = "skipped"
        state.status, state.ended = "finished", _now()
        if early:
            yield Notice("Interview ended early.")
        yield self._report_event(state)

    def _report_event(self, state: SessionState) -> ReportReady:
        report = build_report(state, self.bank)
        return ReportReady(session_id=state.id, report=report.to_dict(),
                           markdown=report.markdown())

    def _over_notice(self, state: SessionState) -> Notice:
        return Notice("This interview is over; ask for its report, or start a new one.")

    # ----------------------------------------------------------------- exercises
    def _exercises(self) -> list[Exercise]:
        if self.runner is None:
            return []
        try:
            return list(self.runner.exercises())
        except (ImportError, InputError) as e:
            log.warning("coding exercises unavailable: %s", e)
            return []

    def _exercise(self, exercise_id: str) -> Exercise:
        return next(e for e in self._exercises() if e.id == exercise_id)

    def _wants_exercise(self, state: SessionState, number: int) -> bool:
        mode = state.plan_model.mode
        return mode == "coding" or (mode == "mixed" and number % 3 == 0)

    def _pick_exercise(self, state: SessionState, number: int) -> Exercise | None:
        used = set(state.asked_ids("exercise"))
        left = [e for e in self._exercises() if e.id not in used]
        if not left:
            return None
        level = state.plan_model.difficulty or state.level
        topics = set(state.topics)
        rng = selection.session_rng(state, number, "exercise")
        return min(left, key=lambda e: (topic_slug(e.topic) not in topics,
                                        abs(e.difficulty - level), rng.random()))

    def _offer(self, state: SessionState, ex: Exercise, number: int) -> ExerciseOffered:
        topic = topic_slug(ex.topic) or "coding"
        state.topic_names.setdefault(topic, ex.topic or "Coding")
        item = Item(number=number, kind="exercise", ref_id=ex.id, topic=topic,
                    topic_name=state.topic_names[topic], difficulty=ex.difficulty,
                    prompt=ex.prompt)
        state.items.append(item)
        return self._prompt_event(state, item)

    def _code(self, state: SessionState, item: Item, code: str) -> Iterator[Event]:
        if self.runner is None:
            yield Notice("Code cannot be run here.", "warning")
            return
        outcome = self.runner.run(code, item.ref_id)
        if outcome.status in SERVICE_FAULTS:  # not the candidate's fault: no try is used
            yield CodeResult(exercise_id=item.ref_id, status=outcome.status, passed=0,
                             total=outcome.total, score=0.0, text=outcome.summary,
                             details=outcome.details)
            yield Notice("The code could not be run here (the sandbox is unavailable); this "
                         "did not count as a try. Send it again, or /skip.", "warning")
            return
        penalty = item.unpaid_hints * self.settings.hint_penalty
        score = round(max(0.0, outcome.score - penalty), 2)
        item.submissions += 1
        item.attempts.append(Attempt("code", item.prompt, code, score=score,
                                     grade={"status": outcome.status, "passed": outcome.passed,
                                            "total": outcome.total}))
        yield CodeResult(exercise_id=item.ref_id, status=outcome.status, passed=outcome.passed,
                         total=outcome.total, score=score, text=outcome.summary,
                         details=outcome.details)
        solved = outcome.status == "passed" or (outcome.total and outcome.passed == outcome.total)
        if not solved and item.submissions < MAX_CODE_SUBMISSIONS:
            failed = (f"{outcome.total - outcome.passed} check(s) failed" if outcome.total
                      else f"the code did not run to the checks ({outcome.status})")
            yield Notice(f"{failed[0].upper()}{failed[1:]}; fix your code and send it again "
                         f"({MAX_CODE_SUBMISSIONS - item.submissions} tries left), or /skip.")
            return
        item.unpaid_hints = 0
        yield from self._close(state, item)

    # ----------------------------------------------------------------- words
    def _say(self, state: SessionState, target: str, method: str, ctx) -> Iterator[Event]:
        """Have the brain word something (streamed as deltas); on an LLM failure switch the
        session to the offline brain, tell the candidate once, and word it offline.
        Returns the final text (use with `yield from`)."""
        brain = self.offline if state.llm_failed else self.brain
        if brain is not self.offline:
            parts: list[str] = []
            try:
                for chunk in getattr(brain, method)(ctx):
                    parts.append(chunk)
                    yield TextDelta(target=target, text=chunk)
                return check_reply("".join(parts))
            except ServiceError as e:
                log.warning("LLM failed, continuing offline: %s", e)
                state.llm_failed = True
                yield Notice("The AI interviewer is unavailable right now, so I'll continue "
                             "with the built-in interviewer. Nothing you typed was lost.",
                             "warning")
            finally:
                state.usage.add(brain.take_usage())
        return "".join(getattr(self.offline, method)(ctx)).strip()

    def _grading_usage(self, grade: Grade) -> Usage:
        """Tokens the LLM grader spent on this grade (none for the offline grader)."""
        from interviewer.llm import usage as u

        t = grade.details.get("usage")
        if not t or not t.get("calls"):
            return Usage()
        call = u.CallUsage(int(t["input_tokens"]), int(t["output_tokens"]))
        return Usage.priced(call, self.settings, calls=int(t["calls"]))

    def _prefetch(self, question: Question) -> None:
        self._prefetcher.submit(question, self.grader, self._similar())

    def _wait_prefetch(self, question: Question) -> None:
        self._prefetcher.wait(question)

    def wait_idle(self) -> None:
        """Block until background preparation (grader rubrics) is done; for benchmarks."""
        self._prefetcher.wait_all()

    def _similar(self) -> EmbeddingSimilarity | None:
        embedder = getattr(self.store, "embedder", None)
        if self._similarity is None and embedder is not None:
            self._similarity = EmbeddingSimilarity(embedder)
        return self._similarity

    def _prompt_event(self, state: SessionState, item: Item) -> Event:
        total = state.plan_model.questions
        if item.follow_up is not None:
            return FollowUpAsked(question_id=item.ref_id, number=item.follow_ups_asked,
                                 focus=item.follow_up.focus, text=item.follow_up.text)
        if item.kind == "exercise":
            ex = self._exercise(item.ref_id)
            return ExerciseOffered(exercise_id=ex.id, title=ex.title, topic=item.topic,
                                   difficulty=ex.difficulty, number=item.number, total=total,
                                   text=ex.prompt, starter=ex.starter,
                                   topic_name=item.topic_name)
        return QuestionAsked(question_id=item.ref_id, topic=item.topic,
                             topic_name=item.topic_name, difficulty=item.difficulty,
                             number=item.number, total=total, text=item.prompt)


# --------------------------------------------------------------------- helpers
def _too_long(what: str, size: int, limit: int) -> Notice:
    return Notice(f"Your {what} has {size:,} characters; the limit is {limit:,}. Shorten it and "
                  "send it again (nothing was recorded, and the question is still open).",
                  "warning")


def _state_from(data: dict) -> SessionState:
    return SessionState.from_dict(data)


def _final(events: Iterator[Event]) -> list[Event]:
    return [e for e in events if not isinstance(e, TextDelta)]


def _plan(plan: Plan | dict | None) -> Plan:
    if isinstance(plan, Plan):
        return plan
    try:
        return Plan.model_validate(plan or {})
    except ValueError as e:
        raise InputError(f"invalid interview plan: {e}") from e


def _check_user(user_id: str) -> str:
    if not isinstance(user_id, str) or not user_id.strip() or len(user_id) > 200:
        raise InputError("a session needs a user id (1-200 characters)")
    return user_id


def _title(state: SessionState) -> str:
    names = [state.topic_names.get(t, t) for t in state.topics]
    n = state.plan_model.questions
    count = f"{n} question{'s' if n != 1 else ''}"
    if not state.plan_model.topics:
        return f"All topics · {count}"
    shown = ", ".join(names[:3]) + (f" +{len(names) - 3}" if len(names) > 3 else "")
    return f"{shown} · {count}"


def _record_data(event: Event) -> dict:
    data = event.to_dict()
    if isinstance(event, ReportReady):
        data.pop("report", None)  # the report is rebuilt from the state on demand
    return data


def _history(state: SessionState) -> tuple[Exchange, ...]:
    lines: list[Exchange] = []
    for item in state.items:
        for a in item.attempts:
            lines += [Exchange("interviewer", a.prompt), Exchange("candidate", a.answer or
                                                                  f"({a.outcome})")]
    return tuple(lines[-2 * HISTORY_TURNS:])


def _feedback(item: Item | None) -> str | None:
    if item is None:
        return None
    grade = item.graded()[-1].grade or {}
    return grade.get("feedback") or None


def _attempt_kind(item: Item) -> str:
    return "code" if item.kind == "exercise" else "main"
