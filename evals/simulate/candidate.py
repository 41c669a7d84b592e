"""A scripted candidate. Each topic has an ability (strong / medium / weak); an answer is a
human-labelled answer to that question (evals/data/answers-*.jsonl) whose human score fits
the ability, so what the grader sees is real candidate text. Follow-ups are answered from
the question's key points in proportion to the ability."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from interviewer.knowledge.models import Question

ABILITY_SCORES = {"strong": (4, 5), "medium": (2, 3), "weak": (0, 1)}
FOLLOW_UP_SHARE = {"strong": 1.0, "medium": 0.5, "weak": 0.0}


def load_labelled(paths: Iterable[Path]) -> dict[str, list[dict]]:
    """question id -> labelled answer rows."""
    by_q: dict[str, list[dict]] = defaultdict(list)
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                by_q[row["question_id"]].append(row)
    return by_q


@dataclass
class Candidate:
    abilities: dict[str, str]  # topic slug -> strong | medium | weak
    labelled: dict[str, list[dict]]
    bank: dict[str, Question]
    rng: random.Random
    from_labels: int = 0
    synthetic: int = 0
    used: set[str] = field(default_factory=set)

    @property
    def weakest(self) -> str:
        return next(t for t, a in self.abilities.items() if a == "weak")

    def answer(self, question_id: str) -> str:
        q = self.bank[question_id]
        ability = self.abilities.get(q.topic_slug, "medium")
        low, high = ABILITY_SCORES[ability]
        rows = [r for r in self.labelled.get(question_id, [])
                if low <= r["score"] <= high and r["id"] not in self.used]
        if rows:
            row = self.rng.choice(rows)
            self.used.add(row["id"])
            self.from_labels += 1
            return row["answer"]
        self.synthetic += 1
        return self._from_points(q, ability)

    def follow_up(self, question_id: str) -> str:
        return self._from_points(self.bank[question_id], self.abilities.get(
            self.bank[question_id].topic_slug, "medium"))

    def _from_points(self, q: Question, ability: str) -> str:
        share = FOLLOW_UP_SHARE[ability]
        points = q.key_points[: round(len(q.key_points) * share)]
        return " ".join(points) if points else "I'm not sure, I haven't used that."


def profiles(topics: list[str], runs: int, seed: int) -> list[dict[str, str]]:
    """`runs` ability profiles: each topic is the weak one in turn; two or three others are
    medium, the rest strong."""
    rng = random.Random(seed)
    out = []
    for i in range(runs):
        weak = topics[i % len(topics)]
        others = [t for t in topics if t != weak]
        medium = set(rng.sample(others, rng.choice([2, 3])))
        out.append({t: "weak" if t == weak else "medium" if t in medium else "strong"
                    for t in topics})
    return out
