"""Hints: which point the next hint is about, and the sentence that nudges toward it: the
curated hint text for that key point (knowledge/followups/), else a natural template sentence
(mixed into `Interviewer`)."""

from __future__ import annotations

from collections.abc import Sequence

from interviewer.engine.brain import nudge_sentence
from interviewer.engine.state import Item


class Hints:
    def _hint_target(self, item: Item) -> tuple[str, str] | None:
        """(the point, the nudge) for the next hint on the open prompt, or None."""
        index = item.unpaid_hints
        if item.kind == "exercise":
            hints = list(self._exercise(item.ref_id).hints)
            return (hints[index], hints[index]) if index < len(hints) else None
        q = self.bank.get(item.ref_id)
        pending = item.follow_up
        if pending is not None:
            if index >= len(pending.points):
                return None
            point = pending.points[index]
            record = self.followups.record(q.id, pending.curated or "")
            if record is not None and pending.rubric == record.id:
                return point, self._hint_sentence(record.id, record.key_points, point,
                                                  record.question)
            return point, self._hint_sentence(q.id, q.key_points, point, q.question)
        points = list(q.key_points) or [s for s in q.reference.split(". ") if s][:2]
        if index >= len(points):
            return None
        return points[index], self._hint_sentence(q.id, q.key_points, points[index],
                                                  q.question)

    def _hint_sentence(self, qid: str, key_points: Sequence[str], point: str,
                       question: str) -> str:
        hints = self.followups.hints_for(qid)
        if point in key_points and len(hints) == len(key_points):
            return hints[list(key_points).index(point)]
        return nudge_sentence(point, question)
