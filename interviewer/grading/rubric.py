"""The question side of grading: key points (curated, or derived from the reference) and
misconceptions, as the hypotheses the entailment model checks an answer against.

A rubric depends only on the question, so graders build it once and cache it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from interviewer.grading import text as T
from interviewer.knowledge.models import Question

MAX_DERIVED_POINTS = 8


@dataclass(frozen=True)
class Rubric:
    mode: str  # "curated" | "generic"
    points: tuple[str, ...]
    misconceptions: tuple[str, ...]
    reference: str = ""  # what a fully correct answer says (the misconceptions' baseline)


def derive_points(reference: str) -> list[str]:
    """Key points for a bare reference: its sentences and clauses, code lines kept whole."""
    pieces: list[str] = []
    for seg in T.segments(reference):
        t = seg.span.text.strip(" -*•")
        if len(T.words(t)) > 28 and not seg.code:
            pieces += [c.strip() for c in re.split(r",\s*(?:while|whereas|but|and so)\s+", t)]
        else:
            pieces.append(t)
    pieces = [p for p in pieces if len(T.content_stems(p)) >= 1]
    return pieces[:MAX_DERIVED_POINTS] or [reference.strip()]


_SYM_RAW = re.compile(r"`[^`\n]{1,40}`|(?<![\w.])(?:[A-Za-z_][\w]*\.)*[A-Za-z_]\w*\(\)|"
                      r"\bnn\.[A-Z]\w+|\.[a-z_]\w*\b")


def raw_symbols(text: str) -> list[str]:
    """API names as written (case kept): ``torch.Tensor()``, ``nn.Dropout``, ``.grad``."""
    return list(dict.fromkeys(m.group(0) for m in _SYM_RAW.finditer(text)))


def api_names(text: str) -> list[str]:
    """Bare API names as written (case kept): 'torch.Tensor()' -> 'Tensor', '.grad' -> 'grad'."""
    names = []
    for raw in raw_symbols(text):
        core = raw.strip("`").split("(")[0].rstrip(".")
        last = core.split(".")[-1]
        if len(last) > 1 and last.lower() not in T.STOPWORDS:
            names.append(last)
    return list(dict.fromkeys(names))


def build_rubric(question: Question, points: list[str] | None = None) -> Rubric:
    """The hypotheses for `question`; `points` restricts the key points (follow-ups)."""
    mode = "curated" if question.curated else "generic"
    texts = list(points) if points else (list(question.key_points) or derive_points(
        question.reference))
    return Rubric(mode=mode, points=tuple(texts), misconceptions=tuple(question.misconceptions),
                  reference=question.reference)
