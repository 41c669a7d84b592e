"""The question side of grading: key points (curated, or derived from the reference), their
contrasts (negated / role-swapped variants), misconceptions, and their encodings.

A rubric depends only on the question, so graders build it once and cache it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from interviewer.grading import contrast as C
from interviewer.grading import text as T
from interviewer.grading.encoder import Encoded, TextEncoder
from interviewer.knowledge.models import Question

MAX_DERIVED_POINTS = 8
ANTONYMS = dict(p.split(":") for p in """enable:disable enables:disables enabled:disabled
increase:decrease increases:decreases before:after larger:smaller smaller:larger
always:never never:always true:false false:true first:last min:max max:min more:less
less:more higher:lower lower:higher forward:backward backward:forward cpu:gpu gpu:cpu
training:evaluation train:eval eval:train input:output output:input copy:view copies:views
shares:copies new:existing existing:new static:dynamic dynamic:static add:remove
adds:removes removes:adds keeps:drops same:different different:same inside:outside
row:column column:row sum:mean mean:sum accumulate:overwrite accumulated:overwritten
accumulates:overwrites eagerly:lazily random:fixed linear:nonlinear nonlinear:linear
contiguous:non-contiguous undirected:directed directed:undirected""".split())
_AUX = re.compile(r"\b(is|are|was|were|can|does|do|will|should|must|may|has|have)\b", re.I)


@dataclass(frozen=True)
class Point:
    text: str
    enc: Encoded
    stems: frozenset[str]
    symbols: frozenset[str]
    negations: int
    names: tuple[str, ...]  # API names the point is about (see api_names)


@dataclass(frozen=True)
class Rubric:
    mode: str  # "curated" | "generic"
    question: Encoded
    points: tuple[Point, ...]
    misconceptions: tuple[tuple[str, Encoded], ...]
    reference_tokens: np.ndarray  # word-piece vectors of the reference
    reference_weights: np.ndarray  # question demoting: low weight for the question's words
    question_stems: frozenset[str]
    reference_stems: frozenset[str]  # the reference's own content words (not the question's)
    symbols: frozenset[str]
    reference_vec: np.ndarray
    names: tuple[str, ...]  # every API name in the question and reference
    ref_clauses: tuple[C.Clause, ...] = ()  # the reference's clauses (see contrast.py)


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


def build_rubric(encoder: TextEncoder, question: Question,
                 points: list[str] | None = None) -> Rubric:
    """Everything about `question` that grading needs; `points` restricts the key points."""
    mode = "curated" if question.curated else "generic"
    texts = list(points) if points else (list(question.key_points) or derive_points(
        question.reference))
    ref_parts = [s.span.text for s in T.segments(question.reference)] or [question.reference]
    flat = [question.question] + texts + list(question.misconceptions) + ref_parts
    enc = encoder.encode(flat)
    q_enc, rest = enc[0], enc[1:]
    p_enc, rest = rest[:len(texts)], rest[len(texts):]
    built = [Point(text, pe, frozenset(T.content_stems(text)), frozenset(T.symbols(text)),
                   T.negation_count(text), tuple(api_names(text)))
             for text, pe in zip(texts, p_enc)]
    m_enc, r_enc = rest[:len(question.misconceptions)], rest[len(question.misconceptions):]
    return _assemble(mode, question, q_enc, built, m_enc, r_enc)


def _assemble(mode, question, q_enc, points, m_enc, r_enc) -> Rubric:
    ref_tokens = np.concatenate([e.tokens for e in r_enc if len(e.tokens)] or
                                [np.zeros((0, q_enc.vec.shape[0]), np.float32)])
    q_sim = (ref_tokens @ q_enc.tokens.T).max(axis=1) if len(q_enc.tokens) else 0.0
    weights = 1.0 - np.clip(q_sim, 0.0, 1.0) + 1e-3
    ref_vec = np.mean([e.vec for e in r_enc], axis=0)
    ref_vec = ref_vec / max(float(np.linalg.norm(ref_vec)), 1e-9)
    syms = T.symbols(question.reference) | {s.split(".")[-1].lower() for s in question.symbols}
    names = tuple(api_names(question.question + " " + question.reference))
    q_stems, r_stems = T.content_stems(question.question), T.content_stems(question.reference)
    return Rubric(mode=mode, question=q_enc, points=tuple(points),
                  misconceptions=tuple(zip(question.misconceptions, m_enc)),
                  reference_tokens=ref_tokens, reference_weights=np.asarray(weights),
                  question_stems=frozenset(q_stems),
                  reference_stems=frozenset(r_stems - q_stems or r_stems),
                  symbols=frozenset(syms), reference_vec=ref_vec,
                  names=names, ref_clauses=tuple(C.clauses(question.reference, names)))
