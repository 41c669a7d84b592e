"""How the engine gets words said: the brain (LLM or offline templates) streams them, with a
switch to the offline brain on an LLM failure; the event that (re)states the open prompt;
and the background preparation of what the next answer will need (mixed into
`Interviewer`)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from interviewer.engine.brain import Brain, Exchange, OfflineBrain, check_reply
from interviewer.engine.events import (Event, ExerciseOffered, FollowUpAsked, Notice,
                                       QuestionAsked, TextDelta)
from interviewer.engine.followups import EmbeddingSimilarity
from interviewer.engine.prefetch import Prefetcher, prepare
from interviewer.engine.state import Item, SessionState, Usage
from interviewer.errors import ServiceError
from interviewer.grading.base import Grade
from interviewer.knowledge.models import FollowUpRecord, Question

log = logging.getLogger(__name__)
HISTORY_TURNS = 6


class Voice:
    brain: Brain
    offline: OfflineBrain
    _prefetcher: Prefetcher
    _similarity: EmbeddingSimilarity | None

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
                yield self._llm_failed(state, e)
            finally:
                state.usage.add(brain.take_usage())
        return "".join(getattr(self.offline, method)(ctx)).strip()

    def _llm_failed(self, state: SessionState, error: Exception) -> Notice:
        log.warning("LLM failed, continuing offline: %s", error)
        state.llm_failed = True
        return Notice("The AI interviewer is unavailable right now, so I'll continue with the "
                      "built-in interviewer. Nothing you typed was lost.", "warning")

    def _grading_usage(self, grade: Grade) -> Usage:
        """Tokens the LLM grader spent on this grade (none for the offline grader)."""
        from interviewer.llm import usage as u

        t = grade.details.get("usage")
        if not t or not t.get("calls"):
            return Usage()
        call = u.CallUsage(int(t["input_tokens"]), int(t["output_tokens"]))
        return Usage.priced(call, self.settings, calls=int(t["calls"]))

    def _prefetch(self, question: Question) -> None:
        points = [p for r in self._records(question) for p in r.key_points]
        self._prefetcher.submit(question, self.grader, self._similar(), points)

    def _records(self, question: Question) -> list[FollowUpRecord]:
        """The rubrics of `question`'s curated follow-ups that have one."""
        return [r for f in question.follow_ups
                if (r := self.followups.record(question.id, f)) is not None]

    def prepare_bank(self) -> int:
        """Do now, for every question of the bank, what the prefetcher does for one while a
        candidate reads it, and the same for each curated follow-up's rubric. For servers
        (web page, Slack), in the background after start-up: a question's first answer then
        costs what any later one does. Returns the questions done."""
        questions = self.bank.questions()
        for question in questions:
            records = self._records(question)
            prepare(question, self.grader, self._similar(),
                    [p for r in records for p in r.key_points])
            for record in records:
                prepare(record.as_question(question.topic, question.difficulty), self.grader,
                        None)
        return len(questions)

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


def history(state: SessionState) -> tuple[Exchange, ...]:
    lines: list[Exchange] = []
    for item in state.items:
        for a in item.attempts:
            lines += [Exchange("interviewer", a.prompt),
                      Exchange("candidate", a.answer or f"({a.outcome})")]
    return tuple(lines[-2 * HISTORY_TURNS:])
