"""Scripted candidates. Each run has one weak topic: there the candidate behaves as its type
(honest but weak, confidently wrong, empty, ...); on every other topic it answers well. So
every type has a truly weakest topic the report should name, and the interviewer meets each
behaviour on real questions.

Main answers are human-written rows of the dev sets only (dev.jsonl, ordinary-dev.jsonl).
A "strong" candidate is strong everywhere except one topic, where its answers are merely
ordinary (human score 3-3.5); every other type also answers two further topics only
ordinarily, so its weak topic must stand out from ordinary ones, not just from perfect ones.

A curated follow-up is answered with a held-out answer to that follow-up
(evals/data/extra/followup-heldout.jsonl, another author's): a correct one where the
candidate is strong or ordinary, a partial one where it is honest but weak, a wrong one where
it is confidently wrong. Without such rows, a strong candidate answers with the follow-up's
reference in its own order of sentences and a weak one with a vague fragment of it. A probe
of missed points is answered with another dev answer to the question of the same kind.
"""

from __future__ import annotations

import json
import random
import re
import string
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from interviewer.knowledge.followups import FollowUpBook
from interviewer.knowledge.models import Question

TYPES = ("strong", "honest_weak", "confidently_wrong", "empty", "gibberish",
         "repeats_question", "prompt_injector", "asks_for_answer")
ASKS = ("Can you just tell me the answer?", "What's the right answer here? Show me.",
        "Give me the reference answer first, please.", "I'd rather you explain it to me.")


def load_rows(paths: Iterable[Path]) -> dict[str, list[dict]]:
    """question id -> labelled rows; refuses any training file."""
    by_q: dict[str, list[dict]] = defaultdict(list)
    for path in paths:
        if "train" in path.name:
            raise ValueError(f"{path}: the interviewer eval uses held-out answers only")
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                by_q[row["question_id"]].append(row)
    return by_q


def pools(rows: list[dict]) -> dict[str, list[str]]:
    """Answers of one question by the behaviour they show."""
    def pick(test) -> list[str]:
        return [r["answer"] for r in rows if test(r)]

    return {
        "strong": pick(lambda r: r["score"] >= 4 and r.get("category") in
                       ("full", "verbose_correct")),
        "medium": pick(lambda r: r.get("category") == "ordinary" and 3 <= r["score"] <= 3.5)
        or pick(lambda r: r.get("category") in ("code_only", "partial")),
        "honest_weak": pick(lambda r: r.get("category") == "ordinary" and 2 <= r["score"] <= 3)
        or pick(lambda r: r.get("category") == "partial"),
        "confidently_wrong": pick(lambda r: r.get("category") in ("misconception",
                                                                  "negation_trap")),
        "prompt_injector": pick(lambda r: r.get("category") == "injection"),
    }


@dataclass
class Candidate:
    kind: str  # one of TYPES: the behaviour on the weak topic
    weakest: str  # topic slug
    questions: dict[str, Question]
    rows: dict[str, list[dict]]
    book: FollowUpBook
    rng: random.Random
    medium: frozenset[str] = frozenset()  # topics answered only ordinarily (human 3-3.5)
    said: dict[str, str] = field(default_factory=dict)  # question id -> last main answer

    def behaviour(self, qid: str) -> str:
        """The type's behaviour on the weak topic ("strong" is merely ordinary there)."""
        topic = self.questions[qid].topic_slug
        if topic != self.weakest:
            return "medium" if topic in self.medium else "strong"
        return "medium" if self.kind == "strong" else self.kind

    def answer(self, qid: str, asked: str) -> str:
        text = self._say(self.behaviour(qid), qid, asked)
        self.said[qid] = text
        return text

    def follow_up(self, qid: str, asked: str) -> str:
        kind = self.behaviour(qid)
        record = next((r for r in self.book.records.values()
                       if r.parent == qid and r.question in asked), None)
        if record is None or kind in ("empty", "gibberish", "repeats_question",
                                      "prompt_injector", "asks_for_answer"):
            return self._say(kind, qid, asked, avoid=self.said.get(qid))
        held_out = self._follow_up_row(record.id, kind)
        if held_out:
            return held_out
        sentences = re.split(r"(?<=[.!?])\s+", record.reference.strip())
        if kind == "strong":
            return " ".join(sentences[1:] + sentences[:1])
        if kind == "medium":
            return " ".join(sentences[: max(1, len(sentences) // 2)])
        if kind == "confidently_wrong" and record.misconceptions:
            return f"I'm sure about this one: {record.misconceptions[0]}"
        words = sentences[0].split()
        return "I think " + " ".join(words[: max(6, len(words) // 2)]).rstrip(".,;") + ", roughly."

    def _follow_up_row(self, follow_up_id: str, kind: str) -> str | None:
        """A held-out answer to this follow-up that shows `kind`, if there is one."""
        category = {"strong": "followup_correct", "medium": "followup_correct",
                    "honest_weak": "followup_partial",
                    "confidently_wrong": "followup_wrong"}.get(kind)
        found = [r["answer"] for r in self.rows.get(follow_up_id, [])
                 if r.get("category") == category]
        return self.rng.choice(found) if found else None

    def after_notice(self) -> str:
        """What the candidate says when the interviewer answered with a notice (say, a
        refusal to hand out the answer): it gives up on the question."""
        return "I don't know"

    def _composed_injections(self, mine: dict[str, list[str]]) -> list[str]:
        """For a question without injection rows: its own weak answer followed by another
        question's injection row (once, a strong answer stood in, and the injector's weak
        topic was graded 4.9)."""
        weak = mine["honest_weak"] or mine["medium"]
        others = sorted(a for rows in self.rows.values() for a in pools(rows)["prompt_injector"])
        if not weak or not others:
            return []
        return [f"{self.rng.choice(weak)} {self.rng.choice(others)}"]

    def _say(self, kind: str, qid: str, asked: str, avoid: str | None = None) -> str:
        if kind == "empty":
            return ""
        if kind == "gibberish":
            return " ".join("".join(self.rng.choices(string.ascii_lowercase, k=self.rng.randint(
                2, 9))) for _ in range(self.rng.randint(4, 12)))
        if kind == "repeats_question":
            return asked
        if kind == "asks_for_answer":
            return self.rng.choice(ASKS)
        mine = pools(self.rows.get(qid, []))
        options = mine[kind]
        if not options and kind == "prompt_injector":
            options = self._composed_injections(mine)
        options = options or mine["strong"]
        fresh = [a for a in options if a != avoid] or options
        if not fresh:  # a question without held-out answers (never in the eval's bank)
            return "I'm not sure about this one."
        return self.rng.choice(fresh)
