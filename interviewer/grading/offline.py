"""The offline grader: no LLM, deterministic, fast after warm-up (see bench/bench_grading.py).

Curated questions are graded against their hand-checked key points and misconceptions;
any other (question, reference) pair against key points derived from the reference.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from interviewer.errors import InputError
from interviewer.grading.base import MAX_ANSWER_CHARS, Grade, MisconceptionHit, PointVerdict
from interviewer.grading.calibration import ScoreModel, load_models
from interviewer.grading.encoder import TextEncoder
from interviewer.grading.features import Analysis, analyze
from interviewer.grading.feedback import write_feedback
from interviewer.grading.rubric import Rubric, build_rubric
from interviewer.knowledge.embeddings import Embedder
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


class OfflineGrader:
    """Grades with sentence embeddings + rubric matching + a calibrated score map."""

    name = "offline"

    def __init__(self, embedder: Embedder | None = None,
                 models: dict[str, ScoreModel] | None = None) -> None:
        self.encoder = TextEncoder(embedder or Embedder())
        self._models = models
        self._rubrics: OrderedDict[tuple, Rubric] = OrderedDict()

    @property
    def models(self) -> dict[str, ScoreModel]:
        if self._models is None:
            self._models = load_models()
        return self._models

    def rubric(self, question: Question, points: Sequence[str] | None = None) -> Rubric:
        key = (question.content_hash(), tuple(points or ()))
        if key in self._rubrics:
            self._rubrics.move_to_end(key)
            return self._rubrics[key]
        rubric = build_rubric(self.encoder, question, list(points) if points else None)
        self._rubrics[key] = rubric
        if len(self._rubrics) > CACHE_SIZE:
            self._rubrics.popitem(last=False)
        return rubric

    def analyze(self, question: Question, answer: str,
                points: Sequence[str] | None = None) -> tuple[Rubric, Analysis]:
        rubric = self.rubric(question, points)
        return rubric, analyze(self.encoder, rubric, check_answer(answer))

    def grade(self, question: Question, answer: str,
              points: Sequence[str] | None = None) -> Grade:
        """Grade `answer`; `points` (e.g. for a follow-up) grades against those points only."""
        rubric, a = self.analyze(question, answer, points)
        score = 0.0 if a.flags.get("empty") else self.models[rubric.mode].score(a.features)
        verdicts = tuple(PointVerdict(m.point, m.verdict, m.span if m.verdict != "missing"
                                      else None, round(m.strength, 3)) for m in a.points)
        hits = tuple(MisconceptionHit(t, s, round(c, 3)) for t, s, c in a.misconceptions)
        hits += tuple(MisconceptionHit(f"Reverses: {m.point}", m.span, 1.0)
                      for m in a.points if m.contradicted)
        notes = [INJECTION_NOTE] if a.flags.get("injection") else []
        return Grade(score=round(score, 2), points=verdicts, misconceptions=hits,
                     feedback=write_feedback(verdicts, hits, notes), grader=self.name,
                     details={"mode": rubric.mode, **{k: round(v, 4) for k, v in
                                                      a.features.items()}, **a.flags})
