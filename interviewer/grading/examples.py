"""Graded examples for the LLM grader: answers to the same question with the score a person
gave them, shown to the model before the answer it grades (retrieved few-shot grading).

The bank is `knowledge/graded-examples.jsonl`, built by `python -m evals.make_examples`
from labelled answers to **train** questions only, so an evaluation on dev questions sees
no example of its own question (they are graded zero-shot, as a user's own bank is).
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from interviewer.errors import InputError

FILE_NAME = "graded-examples.jsonl"


@dataclass(frozen=True)
class Example:
    answer: str
    score: float


class ExampleBank:
    """Examples by question id, read on first use. A missing file is an empty bank."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._by_question: dict[str, list[Example]] | None = None
        self._lock = threading.Lock()

    def for_question(self, question_id: str, k: int = 3) -> list[Example]:
        """Up to `k` examples of `question_id`, spread over the score range, best first."""
        found = sorted(self._load().get(question_id, []), key=lambda e: -e.score)
        if len(found) <= k:
            return found
        picks = [round(i * (len(found) - 1) / (k - 1)) for i in range(k)] if k > 1 else [0]
        return [found[i] for i in picks]

    def _load(self) -> dict[str, list[Example]]:
        with self._lock:
            if self._by_question is None:
                self._by_question = _read(self.path)
            return self._by_question


def _read(path: Path) -> dict[str, list[Example]]:
    out: dict[str, list[Example]] = defaultdict(list)
    if not path.is_file():
        return out
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            out[str(row["question_id"])].append(Example(str(row["answer"]),
                                                        float(row["score"])))
        except (ValueError, KeyError, TypeError) as e:
            raise InputError(f"not a graded example ({e})", where=f"{path}:{n}") from e
    return out
