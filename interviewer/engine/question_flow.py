"""The flow of main questions: starting a session, choosing and asking the next question,
grading an answer, closing a question, the commands that act on it (hint, skip, "I don't
know"), and the end of the interview (mixed into `Interviewer`)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator

from interviewer.engine import selection
from interviewer.engine.brain import AskContext, HintContext
from interviewer.engine.events import (Event, GradeReady, HintGiven, Notice, ReferenceShown,
                                       ReportReady)
from interviewer.engine.report import build_report
from interviewer.engine.scoring import grade_event, item_score
from interviewer.engine.state import MAX_SCORE, Attempt, Item, Plan, SessionState
from interviewer.engine.turns import now
from interviewer.engine.voice import history
from interviewer.errors import InputError
from interviewer.grading.feedback import belief_text, relevant_hits
from interviewer.knowledge.models import Question
from interviewer.llm.prompts import render


# The rank within which a fitting answer finds its own question: the retrieval benchmark's
# paraphrased queries find theirs in the top 3 95.6% of the time (README).
OWN_RANK = 3


def another_question(store, question_id: str, text: str) -> str | None:
    """The text of the question in `store` that `text` answers, when that is clearly another
    one than `question_id`: the asked question is not among the OWN_RANK best matches of the
    answer, and the best match is a match. `python -m evals wrong-question` measures how often
    it speaks up on good answers to the asked question and to another one."""
    hits = store.search([text], k=OWN_RANK)[0] if text.strip() else []
    if not hits or not hits[0].is_match or any(h.id == question_id for h in hits):
        return None
    return hits[0].question


class QuestionFlow:
    # ------------------------------------------------------------- starting
    def _new_state(self, user_id: str, plan: Plan) -> SessionState:
        # The chosen sources (each must be public or the user's own), else every public one.
        store = self.store.with_sources(plan.sources, viewer=user_id)
        names = store.topics()
        if not names:
            raise InputError("the knowledge base is empty; run `interviewer ingest` first")
        slugs = [store.resolve_topic(t) for t in plan.topics] or sorted(names)
        seed = plan.seed if plan.seed is not None else random.SystemRandom().randrange(2**31)
        return SessionState(
            id=uuid.uuid4().hex, user_id=user_id, plan=plan.model_dump(), seed=seed,
            topics=list(dict.fromkeys(slugs)), topic_names=names, level=plan.difficulty or 2,
            brain=self.brain.name, started=now())

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

    # ------------------------------------------------------------- choosing what's next
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

    def _pick_question(self, state: SessionState,
                       number: int) -> tuple[str, selection.Pick] | None:
        level = state.plan_model.difficulty or state.level
        available = list(state.topics)
        while available:
            topic = selection.choose_topic(state, available, number)
            pick = selection.choose_question(self._session_store(state), state, topic, level,
                                             number)
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
                         previous_score=last.graded()[-1].score if last else None,
                         previous_feedback=_feedback(last), history=history(state))
        text = yield from self._say(state, "question", "ask", ctx)
        item = Item(number=number, kind="question", ref_id=question.id, topic=topic,
                    topic_name=ctx.topic_name, difficulty=pick.difficulty, prompt=text)
        state.items.append(item)
        self._prefetch(question)
        yield self._prompt_event(state, item)

    # ------------------------------------------------------------- answers
    def _answer(self, state: SessionState, item: Item, text: str) -> Iterator[Event]:
        question = self.bank.get(item.ref_id)
        if item.follow_up is not None:
            yield from self._answer_follow_up(state, item, question, text)
            return
        if self.settings.answer_check and not item.attempts and not item.other_question_noted:
            other = self._fits_another_question(state, question, text)
            if other is not None:
                item.other_question_noted = True
                yield Notice(f"That sounds like an answer to another question (“{other}”). "
                             f"This one asks: {question.question} Answer it, or send your "
                             "answer again to have it graded as it is.")
                return
        grade, score = yield from self._grade(state, item, question, text, "main", item.prompt)
        item.weak_points = list(grade.missing)
        points = [p.point for p in grade.points]
        item.misconceptions = [belief_text(h, points)
                               for h in relevant_hits(grade.points, grade.misconceptions)]
        yield from self._follow_up_or_close(state, item, question, grade, text)

    def _fits_another_question(self, state: SessionState, question: Question,
                               text: str) -> str | None:
        """another_question, searched in the session's own sources."""
        return another_question(self._session_store(state), question.id, text)

    def _session_store(self, state: SessionState):
        """The store as this session sees it: its chosen sources, as its user may see them."""
        return self.store.with_sources(state.plan_model.sources, viewer=state.user_id,
                                       check=False)

    def _grade(self, state: SessionState, item: Item, rubric: Question, text: str, kind: str,
               prompt: str, focus: str | None = None) -> Iterator[Event]:
        """Grade `text` against `rubric` only; record the attempt; yield the grade event.
        Returns (grade, score after the hint penalty)."""
        self._wait_prefetch(rubric)
        grade = self.grader.grade(rubric, text)
        state.usage.add(self._grading_usage(grade))
        penalty = item.unpaid_hints * self.settings.hint_penalty
        score = round(max(0.0, grade.score - penalty), 2)
        item.attempts.append(Attempt(kind, prompt, text, score=score, grade=grade.to_dict(),
                                     focus=focus, points=list(rubric.key_points),
                                     rubric=rubric.id))
        item.unpaid_hints = 0
        if grade.fallback and not state.grader_fallback:
            state.grader_fallback = True
            yield Notice("The AI grader is unavailable; grading continues offline.", "warning")
        yield grade_event(item, grade, score, penalty, follow_up=kind == "follow_up")
        return grade, score

    def _close(self, state: SessionState, item: Item) -> Iterator[Event]:
        item.status, item.follow_up = "done", None
        item.score = item_score(item)
        if state.plan_model.difficulty is None and item.score is not None:
            if item.score >= 4:
                state.level = min(3, state.level + 1)
            elif item.score <= 2:
                state.level = max(1, state.level - 1)
        yield from self._advance(state)

    # ------------------------------------------------------------- commands
    def _hint(self, state: SessionState, item: Item) -> Iterator[Event]:
        target = self._hint_target(item)
        if target is None:
            yield Notice("No more hints for this one.")
            return
        point, nudge = target
        question = self._question_or_exercise_text(item)
        ctx = HintContext(question=question, number=len(item.hints) + 1,
                          penalty=self.settings.hint_penalty, point=point,
                          verbatim=item.kind == "exercise", nudge=nudge)
        text = yield from self._say(state, "hint", "hint", ctx)
        item.hints.append(text)
        item.unpaid_hints += 1
        yield HintGiven(question_id=item.ref_id, number=len(item.hints),
                        penalty=self.settings.hint_penalty, text=text)

    def _open_prompts(self, item: Item) -> list[str]:
        """The texts the candidate is answering: the question (as asked and as written) or
        the open follow-up."""
        if item.follow_up is not None:
            return [item.follow_up.text]
        return [item.prompt, self.bank.get(item.ref_id).question]

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
            item.attempts.append(Attempt("code" if item.kind == "exercise" else "main",
                                         item.prompt, "", outcome="skipped"))
            item.status = "skipped"
        yield Notice("Skipped.")

    def _idk(self, state: SessionState, item: Item) -> Iterator[Event]:
        if item.kind == "exercise":
            yield from self._skip(state, item)
            return
        q = self.bank.get(item.ref_id)
        pending = item.follow_up
        rubric = self._follow_up_rubric(q, pending) if pending else q
        if pending is not None and rubric is None:  # a conversation follow-up: nothing lost
            item.attempts.append(Attempt("follow_up", pending.text, "", outcome="idk"))
        else:
            item.attempts.append(Attempt("follow_up" if pending else "main",
                                         pending.text if pending else item.prompt, "",
                                         outcome="idk", score=0.0, rubric=rubric.id,
                                         points=list(rubric.key_points)))
        if pending is None:
            item.weak_points = list(q.key_points) or [q.question]
        elif rubric is not None and rubric.id != f"{q.id}:probe":
            self._note_gaps(item, rubric, list(rubric.key_points))
        item.status, item.follow_up, item.unpaid_hints = "done", None, 0
        item.score = item_score(item)
        shown = rubric or q
        yield self._reference_event(shown)
        yield GradeReady(question_id=q.id, score=0.0, max_score=MAX_SCORE,
                         follow_up=pending is not None, covered=[],
                         missing=list(shown.key_points), misconceptions=[],
                         feedback="No answer, so this one scores 0. The reference answer is "
                         "above.")

    def _reference_event(self, q: Question) -> ReferenceShown:
        return ReferenceShown(question_id=q.id, text=q.reference, key_points=list(q.key_points),
                              question=q.question)

    def _finish(self, state: SessionState, early: bool = False) -> Iterator[Event]:
        item = state.current
        if item is not None:
            if item.graded():
                item.status, item.follow_up = "done", None
                item.score = item_score(item)
            else:
                item.status = "skipped"
        state.status, state.ended = "finished", now()
        if early:
            yield Notice("Interview ended early.")
        yield self._report_event(state)

    def _report_event(self, state: SessionState) -> ReportReady:
        report = build_report(state, self.bank)
        return ReportReady(session_id=state.id, report=report.to_dict(),
                           markdown=report.markdown())

    def _over_notice(self, state: SessionState) -> Notice:
        return Notice("This interview is over; ask for its report, or start a new one.")


def _feedback(item: Item | None) -> str | None:
    if item is None:
        return None
    grade = item.graded()[-1].grade or {}
    return grade.get("feedback") or None

