"""Grading answers against reference answers: the Grade record and the graders.

`make_grader(settings)` is the entry point: the offline grader by default, or the LLM grader
(with the offline grader as its fallback) when ``settings.llm`` names a model.
"""

from __future__ import annotations

from interviewer.grading.base import (MAX_ANSWER_CHARS, Grade, Grader, MisconceptionHit,
                                      PointVerdict, Span)


def make_grader(settings, embedder=None, *, llm: bool = True) -> Grader:
    """The grader for `settings`; `llm=False` forces the offline grader. No I/O happens here."""
    from interviewer.grading.offline import OfflineGrader
    from interviewer.knowledge.embeddings import Embedder

    offline = OfflineGrader(embedder or Embedder(settings.embed_model,
                                                 threads=settings.torch_threads))
    if not llm or settings.llm == "offline":
        return offline
    from interviewer.grading.examples import FILE_NAME, ExampleBank
    from interviewer.grading.llm_grader import LLMGrader
    from interviewer.llm import make_chat_model

    return LLMGrader(make_chat_model(settings), fallback=offline,
                     token_budget=settings.prompt_token_budget,
                     examples=ExampleBank(settings.knowledge_dir / FILE_NAME))


__all__ = ["MAX_ANSWER_CHARS", "Grade", "Grader", "MisconceptionHit", "PointVerdict", "Span",
           "make_grader"]
