"""The offline grader: no LLM, deterministic. A MiniLM cross-encoder (grading/entail.py)
judges each key point and misconception against the answer; the score comes from those
verdicts through a calibration fitted on the train split (see bench/bench_grading.py for
its latency).

Curated questions are graded against their hand-checked key points and misconceptions;
any other (question, reference) pair against key points derived from the reference.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from interviewer.errors import InputError
from interviewer.grading import text as T
from interviewer.grading.base import MAX_ANSWER_CHARS, Grade, MisconceptionHit, PointVerdict
from interviewer.grading.calibration import ScoreModel, load_models
from interviewer.grading.entail import EntailmentModel
from interviewer.grading.features import Analysis, analyze, misconception_baseline
from interviewer.grading.feedback import write_feedback
from interviewer.grading.rubric import Rubric, build_rubric
from interviewer.knowledge.models import Question

CACHE_SIZE = 512
INJECTION_NOTE = ("Instructions addressed to the grader were ignored; only the technical "
                  "content of the answer counts.")


def check_answer(answer: str) -> str:
    """The answer as given, or InputError when it is over the size limit (never truncated)."""
    if not isinstance(answer, str):
        raise InputError("the answer must be text")
    if len(answer) > MAX_ANSWER_CHARS:
        raise InputError(f"the answer has {len(answer)} characters; the limit is "
                         f"{MAX_ANSWER_CHARS}. Shorten it and submit again.")
    return answer


@dataclass
class _Cached:
    """A rubric and its misconceptions' P(entailed) given the reference (features.
    misconception_baseline), computed on first use."""

    rubric: Rubric
    baseline: list[float] | None = None


class OfflineGrader:
    """Grades with the entailment model + a calibrated score map over its verdicts.

    `embedder` is accepted for compatibility with `make_grader` and not used: the grader
    has its own model, loaded lazily (`model.load()`), with `threads` torch threads."""

    name = "offline"

    def __init__(self, embedder=None, models: dict[str, ScoreModel] | None = None,
                 model: EntailmentModel | None = None) -> None:
        threads = getattr(embedder, "threads", 1)
        self.model = model or EntailmentModel(threads=threads)
        self._models = models
        self._rubrics: OrderedDict[tuple, _Cached] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def models(self) -> dict[str, ScoreModel]:
        if self._models is None:
            self._models = load_models()
        return self._models

    def rubric(self, question: Question, points: Sequence[str] | None = None) -> Rubric:
        return self._cached(question, points).rubric

    def _cached(self, question: Question, points: Sequence[str] | None) -> "_Cached":
        """The rubric of (question, points), built once and kept (least recently used out)."""
        key = (question.content_hash(), tuple(points or ()))
        with self._lock:
            entry = self._rubrics.get(key)
            if entry is None:
                entry = _Cached(build_rubric(question, list(points) if points else None))
                self._rubrics[key] = entry
            self._rubrics.move_to_end(key)
            while len(self._rubrics) > CACHE_SIZE:
                self._rubrics.popitem(last=False)
        return entry

    def prepare(self, question: Question, points: Sequence[str] | None = None) -> Rubric:
        """Everything a grade of `question` needs that does not depend on the answer: its
        rubric and its misconceptions' baseline (one forward pass). The engine calls it in the
        background while the candidate reads; grading then costs only the answer's pass."""
        return self._prepared(question, points).rubric

    def _prepared(self, question: Question, points: Sequence[str] | None) -> _Cached:
        entry = self._cached(question, points)
        if entry.baseline is None:  # once per rubric; a race only computes it twice
            entry.baseline = misconception_baseline(self.model, entry.rubric)
        return entry

    def analyze(self, question: Question, answer: str,
                points: Sequence[str] | None = None) -> tuple[Rubric, Analysis]:
        answer = check_answer(answer)
        entry = self._prepared(question, points)
        return entry.rubric, analyze(self.model, entry.rubric, T.without_injections(answer),
                                     entry.baseline)

    def grade(self, question: Question, answer: str,
              points: Sequence[str] | None = None) -> Grade:
        """Grade `answer`; `points` (e.g. for a follow-up) grades against those points only."""
        rubric, a = self.analyze(question, answer, points)
        verdicts = tuple(PointVerdict(m.point, m.verdict, m.span if m.verdict != "missing"
                                      else None, round(m.strength, 3)) for m in a.points)
        # The score comes from the verdicts: an answer that states no key point, even in
        # part, earns nothing (the score map alone leaves a floor of ~0.8 for "no idea").
        credited = any(v.verdict != "missing" for v in verdicts)
        score = self.models[rubric.mode].score(a.features) \
            if credited and not a.flags.get("empty") else 0.0
        hits = tuple(MisconceptionHit(t, s, round(c, 3)) for t, s, c in a.misconceptions)
        hits += tuple(MisconceptionHit(f"Reverses: {m.point}", m.span,
                                       round(float(m.probs[1]), 3))
                      for m in a.points if m.contradicted)
        injected = any(T.is_injection(s.span.text) for s in T.segments(answer))
        notes = [INJECTION_NOTE] if injected else []
        return Grade(score=round(score, 2), points=verdicts, misconceptions=hits,
                     feedback=write_feedback(verdicts, hits, notes), grader=self.name,
                     details={"mode": rubric.mode, "injection": injected,
                              **{k: round(v, 4) for k, v in a.features.items()}, **a.flags})
