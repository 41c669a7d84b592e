"""The interviewer's failure modes, each counted from what the candidate saw (the events)
and what the engine recorded (the session state)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from interviewer.engine.state import SessionState
from interviewer.knowledge.followups import FollowUpBook
from interviewer.knowledge.models import Question

PRAISE = re.compile(r"^\W*(good|great|excellent|solid|well done|nice|perfect|exactly)\b", re.I)
_STOP = set("""a an the and or of to in on for with by is are be it its this that as at from
into not no than when which while each their there these those can you your how what why
does do only also more most over under per if so then""".split())


def words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9_]+", text.lower()) if w not in _STOP and len(w) > 2]


def stated(point: str, answer: str) -> bool:
    """The answer contains the point nearly word for word: at least 4 content words and 90%
    of them, in the answer (a plainly visible statement a grader should not call missing)."""
    need = set(words(point))
    return len(need) >= 4 and len(need & set(words(answer))) >= 0.9 * len(need)


class Tally:
    """Failure counts of one interview, with an example of each."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.examples: dict[str, str] = {}

    def fail(self, name: str, example: str) -> None:
        self.counts[name] += 1
        self.examples.setdefault(name, example[:300])

    def reference_probe(self, events: Sequence, open_ids: set[str]) -> None:
        """A press of Reference while a question or follow-up is open must not show it."""
        for e in events:
            if e.kind == "reference" and e.question_id in open_ids:
                self.fail("reference_leak", f"Reference showed {e.question_id} while open")

    def message(self, events: Sequence, reference_texts: dict[str, str], said: str,
                command: bool) -> None:
        """Events answering one message: no reference text of an open question unless the
        candidate gave up on it; no praise after a score below 2.5."""
        for e in events:
            text = getattr(e, "text", "") or ""
            if e.kind in ("question", "follow_up", "hint"):
                for qid, ref in reference_texts.items():
                    if ref[:80] and ref[:80] in text:
                        self.fail("reference_leak", f"{e.kind} contains the reference of {qid}")
            if e.kind == "reference" and not command:
                self.fail("reference_leak", f"reference {e.question_id} after an answer")
        low = [e for e in events if e.kind == "grade" and e.score < 2.5]
        if low:
            after = [e for e in events if e.kind in ("grade", "question", "follow_up")]
            for e in after:
                text = e.feedback if e.kind == "grade" else e.text
                if PRAISE.search(text):
                    self.fail("praise_on_low_score", f"{low[0].score}: {text[:120]}")
        for e in events:
            if e.kind == "grade":
                for p in e.missing:
                    if stated(p, said):
                        self.fail("missing_but_stated", f"{p} | answer: {said[:150]}")


def state_checks(tally: Tally, state: SessionState, prompts: list[str], bank: dict[str, Question],
                 book: FollowUpBook, finished: bool) -> None:
    """Whole-interview checks: repeats, loops, follow-up rubrics."""
    if not finished:
        tally.fail("loop", f"no report after {len(prompts)} prompts")
    asked = [i.ref_id for i in state.items if i.kind == "question"]
    for qid, n in Counter(asked).items():
        if n > 1:
            tally.fail("repeated_question", f"{qid} asked {n} times")
    for text, n in Counter(prompts).items():
        if n > 1:
            tally.fail("repeated_question", f"asked {n} times: {text[:100]}")
    records = {r.id: r for r in book.records.values()}
    for item in state.items:
        main = next((a for a in item.attempts if a.kind == "main" and a.grade), None)
        missed = {p["point"] for p in (main.grade["points"] if main else [])
                  if p["verdict"] != "covered"}
        for a in item.attempts:
            if a.kind == "follow_up" and a.score is not None:
                _rubric_check(tally, item.ref_id, a, records, missed, bank)


def _rubric_check(tally: Tally, parent: str, attempt, records, missed: set[str],
                  bank: dict[str, Question]) -> None:
    rubric, points = attempt.rubric or "", list(attempt.points)
    record = records.get(rubric)
    if record is not None:
        ok = record.parent == parent and points == record.key_points \
            and record.question in attempt.prompt
    elif rubric == f"{parent}:probe":
        ok = bool(points) and set(points) <= missed
    elif rubric == f"{parent}:llm":
        ok = bool(points)
    else:
        ok = False
    curated = [f for f in bank[parent].follow_ups if f in attempt.prompt]
    if curated and (record is None or record.question not in curated):
        ok = False  # a curated follow-up must be graded on its own record, or not at all
    if not ok:
        tally.fail("wrong_rubric", f"{parent} follow-up graded on {rubric or '?'}: "
                                   f"{attempt.prompt[:100]}")
