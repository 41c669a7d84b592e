"""The coding-exercise flow: when to offer one, which, and running submitted code against
its hidden checks (mixed into `Interviewer`)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from interviewer.engine import selection
from interviewer.engine.events import CodeResult, Event, ExerciseOffered, Notice
from interviewer.engine.exercises import CodeRunner, Exercise
from interviewer.engine.state import Attempt, Item, SessionState
from interviewer.errors import InputError
from interviewer.knowledge.models import topic_slug

log = logging.getLogger(__name__)
MAX_CODE_SUBMISSIONS = 3
SERVICE_FAULTS = {"refused", "crashed"}  # the sandbox failed, not the candidate's code


class ExerciseFlow:
    runner: CodeRunner | None

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
            yield _result(item, outcome, 0, 0.0)
            yield Notice("The code could not be run here (the sandbox is unavailable); this "
                         "did not count as a try. Send it again, or /skip.", "warning")
            return
        penalty = item.unpaid_hints * self.settings.hint_penalty
        score = round(max(0.0, outcome.score - penalty), 2)
        item.submissions += 1
        item.attempts.append(Attempt("code", item.prompt, code, score=score,
                                     grade={"status": outcome.status, "passed": outcome.passed,
                                            "total": outcome.total}))
        yield _result(item, outcome, outcome.passed, score)
        solved = outcome.status == "passed" or (outcome.total and outcome.passed == outcome.total)
        if not solved and item.submissions < MAX_CODE_SUBMISSIONS:
            failed = (f"{outcome.total - outcome.passed} check(s) failed" if outcome.total
                      else f"the code did not run to the checks ({outcome.status})")
            yield Notice(f"{failed[0].upper()}{failed[1:]}; fix your code and send it again "
                         f"({MAX_CODE_SUBMISSIONS - item.submissions} tries left), or /skip.")
            return
        item.unpaid_hints = 0
        yield from self._close(state, item)


def _result(item: Item, outcome, passed: int, score: float) -> CodeResult:
    return CodeResult(exercise_id=item.ref_id, status=outcome.status, passed=passed,
                      total=outcome.total, score=score, text=outcome.summary,
                      details=outcome.details)
