"""The follow-up flow: after a graded answer, plan a follow-up (engine/followups.py), have it
worded, remember the rubric its answer will be graded on, and grade that answer against that
rubric only (mixed into `Interviewer`).

Rubrics: a curated follow-up's own record (knowledge/followups/), a probe of the main
question's missed points (graded on those points), or an LLM-written follow-up's own key
points. A follow-up without any of these is conversation: its answer is recorded, not scored.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from interviewer.engine.brain import FollowUpContext
from interviewer.engine.events import Event, Notice
from interviewer.engine.followups import FollowUpPlan, plan_follow_up, probe_question
from interviewer.engine.state import Attempt, Item, PendingFollowUp, SessionState
from interviewer.engine.voice import history
from interviewer.errors import ServiceError
from interviewer.grading.base import Grade
from interviewer.knowledge.models import Question

CONVERSATION_NOTE = "Thanks. That one was for discussion, so it isn't scored."


class FollowUpFlow:
    def _follow_up_limit(self, state: SessionState) -> int:
        limit = state.plan_model.follow_ups
        return self.settings.follow_ups if limit is None else limit

    def _follow_up_or_close(self, state: SessionState, item: Item, question: Question,
                            grade: Grade, answer: str) -> Iterator[Event]:
        plan = None
        if item.follow_ups_asked < self._follow_up_limit(state):
            plan = plan_follow_up(question, grade, item.curated_used, self._similar(),
                                  self.followups)
        if plan is None:
            yield from self._close(state, item)
            return
        ctx = FollowUpContext(question=question, answer=answer, grade=grade, plan=plan,
                              history=history(state), nudge=self._nudge(question, plan))
        pending = yield from self._word_follow_up(state, question, plan, ctx)
        item.follow_up = pending
        item.follow_ups_asked += 1
        if plan.curated:
            item.curated_used.append(plan.curated)
        rubric = self._follow_up_rubric(question, pending)
        if rubric is not None:
            self._prefetch(rubric)
        yield self._prompt_event(state, item)

    def _word_follow_up(self, state: SessionState, question: Question, plan: FollowUpPlan,
                        ctx: FollowUpContext) -> Iterator[Event]:
        """The follow-up's words and rubric (returns a PendingFollowUp). An LLM writes its
        own follow-up (with key points) only where no curated one fits."""
        writer = getattr(self.brain, "write_follow_up", None)
        if plan.curated is None and plan.points and writer and not state.llm_failed:
            try:
                written = writer(ctx)
            except ServiceError as e:
                yield self._llm_failed(state, e)
            else:
                return PendingFollowUp(
                    written.question, plan.focus, list(written.key_points),
                    misconception=plan.misconception, reference=written.reference,
                    rubric=f"{question.id}:llm" if written.key_points else None)
            finally:
                state.usage.add(self.brain.take_usage())
        text = yield from self._say(state, "follow_up", "follow_up", ctx)
        kind = plan.rubric_id
        rubric = f"{question.id}:probe" if kind == "probe" else kind
        points = list(plan.record.key_points) if plan.record else list(plan.points)
        return PendingFollowUp(text, plan.focus, points if rubric else [], plan.curated,
                               plan.misconception, rubric=rubric)

    def _follow_up_rubric(self, question: Question,
                          pending: PendingFollowUp) -> Question | None:
        """What a follow-up answer is graded against, or None (conversation, not scored)."""
        rubric = pending.rubric
        if rubric is None or not pending.points:
            return None
        if rubric == f"{question.id}:probe":
            return probe_question(question, pending.points, pending.text,
                                  pending.misconception)
        if rubric == f"{question.id}:llm":
            return Question(id=rubric, topic=question.topic, question=pending.text,
                            reference=pending.reference or " ".join(pending.points),
                            key_points=list(pending.points), difficulty=question.difficulty)
        record = self.followups.record(question.id, pending.curated or "")
        if record is None or record.id != rubric:
            return None  # the record went away since the follow-up was asked
        return record.as_question(question.topic, question.difficulty)

    def _answer_follow_up(self, state: SessionState, item: Item, question: Question,
                          text: str) -> Iterator[Event]:
        pending = item.follow_up
        rubric = self._follow_up_rubric(question, pending)
        item.follow_up = None
        if rubric is None:
            item.attempts.append(Attempt("follow_up", pending.text, text,
                                         outcome="conversation", focus=pending.focus))
            item.unpaid_hints = 0
            yield Notice(CONVERSATION_NOTE)
        else:
            grade, _ = yield from self._grade(state, item, rubric, text, "follow_up",
                                              pending.text, focus=pending.focus)
            self._after_follow_up(item, question, rubric, grade, pending)
        main = _still_open(item)
        if main is None:
            yield from self._close(state, item)
            return
        yield from self._follow_up_or_close(state, item, question, main, text)

    def _after_follow_up(self, item: Item, question: Question, rubric: Question, grade: Grade,
                         pending: PendingFollowUp) -> None:
        """A probe recovers the main points it covers; a curated follow-up's own missed
        points go to the report's study list under that follow-up."""
        if rubric.id == f"{question.id}:probe":
            recovered = set(grade.covered)
            item.weak_points = [p for p in item.weak_points if p not in recovered]
            if pending.misconception and not grade.misconceptions and grade.score >= 2.5:
                item.misconceptions = [m for m in item.misconceptions
                                       if pending.misconception not in m]
        elif any(p.verdict == "missing" for p in grade.points):
            self._note_gaps(item, rubric, [p.point for p in grade.points
                                           if p.verdict == "missing"])

    def _note_gaps(self, item: Item, rubric: Question, missed: list[str]) -> None:
        item.follow_up_gaps.append({"id": rubric.id, "question": rubric.question,
                                    "points": list(missed), "reference": rubric.reference})

    def _nudge(self, question: Question, plan: FollowUpPlan) -> str:
        """A natural sentence pointing at the first probed point (for the offline voice)."""
        if not plan.points:
            return ""
        return self._hint_sentence(question.id, list(question.key_points), plan.points[0],
                                   question.question)


def _still_open(item: Item) -> Grade | None:
    """The main answer's grade with what follow-ups already probed taken out (those points
    count as covered, a challenged statement is dropped), so the next follow-up of the same
    question never asks the same thing again."""
    main = next((a for a in item.attempts if a.kind == "main" and a.grade), None)
    if main is None:
        return None
    grade = Grade.from_dict(main.grade)
    probed = {p for a in item.attempts if a.kind == "follow_up" for p in a.points}
    challenged = any(a.kind == "follow_up" and a.focus == "misconception"
                     for a in item.attempts)
    points = tuple(replace(p, verdict="covered") if p.point in probed else p
                   for p in grade.points)
    return replace(grade, points=points, misconceptions=() if challenged else
                   grade.misconceptions)
