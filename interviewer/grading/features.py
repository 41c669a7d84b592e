"""The answer side of offline grading: align the answer with the rubric and turn the match
into verdicts per key point, misconception hits, and a small feature vector for the score.

Signals, and what each guards against:
- best-matching answer sentence per key point (embedding cosine) - paraphrase;
- soft word-piece recall with question demoting - words that only repeat the question
  earn nothing;
- content-word and API-symbol recall - code-only answers are graded on the names they use;
- contrasts (negated / role-swapped / antonym variants of each point) and negation parity -
  an answer that reuses the reference's words with the meaning reversed loses the point;
- curated misconceptions matched per sentence;
- keyword-list shape, instructions aimed at the grader, relevance of the answer's words.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from interviewer.grading import contrast as C
from interviewer.grading import text as T
from interviewer.grading.base import Span
from interviewer.grading.contrast import name_positions
from interviewer.grading.encoder import Encoded, TextEncoder
from interviewer.grading.rubric import ANTONYMS, Point, Rubric

FEATURES = ("coverage", "covered_frac", "cosine", "token_recall", "token_precision",
            "contradicted", "misconception", "stuffing", "injection", "length", "code_symbols",
            "min_strength", "max_strength", "misc_margin", "reversed", "negation_rate",
            "lex_recall", "lex_precision")
COVERED, PARTIAL = 0.55, 0.30  # verdict thresholds on a point's match strength (0-1)
MISCONCEPTION_MIN = 0.66


@dataclass
class PointMatch:
    point: str
    strength: float
    span: Span | None
    contradicted: bool

    @property
    def verdict(self) -> str:
        if self.contradicted or self.strength < PARTIAL:
            return "missing"
        return "covered" if self.strength >= COVERED else "partial"


@dataclass
class Analysis:
    points: list[PointMatch]
    misconceptions: list[tuple[str, Span, float]]
    features: dict[str, float]
    flags: dict[str, bool] = field(default_factory=dict)

    def vector(self) -> np.ndarray:
        return np.array([self.features[f] for f in FEATURES], dtype=np.float64)


def _clip01(x: float) -> float:
    return float(min(1.0, max(0.0, x)))


@dataclass
class _Answer:
    segments: list[T.Segment]
    seg_vecs: np.ndarray  # (n, d)
    tokens: np.ndarray  # (m, d)
    vec: np.ndarray
    stems: set[str]
    symbols: set[str]


def encode_answer(encoder: TextEncoder, answer: str, segments: list[T.Segment]) -> _Answer:
    spans = [(s.span.start, s.span.end) for s in segments]
    chunks = encoder.encode_long(answer, spans)
    vecs = [_pool(chunks, s.span) for s in segments]
    tokens = np.concatenate([c.tokens for c in chunks])
    vec = np.mean([c.vec for c in chunks], axis=0)
    used = " ".join(s.span.text for s in segments)
    return _Answer(segments, np.stack(vecs), tokens, vec / max(np.linalg.norm(vec), 1e-9),
                   T.content_stems(used), T.symbols(used))


def _pool(chunks: list[Encoded], span: Span) -> np.ndarray:
    for c in chunks:
        v = c.pool(span.start, span.end)
        if v is not None:
            return v
    return np.zeros(chunks[0].vec.shape, np.float32)


def _recall(point_tokens: np.ndarray, answer_tokens: np.ndarray,
            weights: np.ndarray | None = None) -> float:
    if not len(point_tokens) or not len(answer_tokens):
        return 0.0
    best = (point_tokens @ answer_tokens.T).max(axis=1)
    return float(np.average(best, weights=weights))


def match_point(p: Point, rubric: Rubric, ans: _Answer) -> PointMatch:
    sims = ans.seg_vecs @ p.enc.vec
    order = [int(k) for k in np.argsort(-sims, kind="stable")[:3]]
    j = order[0]
    cos = float(sims[j])
    tok = _recall(p.enc.tokens, ans.tokens)
    own = p.stems - rubric.question_stems or p.stems
    lex = len(own & ans.stems) / max(1, len(own))
    strength = 0.45 * _clip01((cos - 0.25) / 0.45) + 0.35 * _clip01((tok - 0.45) / 0.4) + 0.2 * lex
    if p.symbols:
        strength = 0.8 * strength + 0.2 * len(p.symbols & ans.symbols) / len(p.symbols)
    # Reversed only if every sentence close to the point reverses it.
    close = [k for k in order if sims[k] >= cos - 0.08]
    flags = [_contradicts(p, rubric, ans.segments[k], float(sims[k])) for k in close]
    k = next((k for k, f in zip(close, flags) if not f), j)
    return PointMatch(p.text, strength, ans.segments[k].span, all(flags))


def _mentions(word: str, text: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


def _contradicts(p: Point, rubric: Rubric, seg: T.Segment, cos: float) -> bool:
    """The best sentence reuses the point's words with the meaning reversed: negation
    toggled, an antonym swapped in, or the property given to a sibling API (roles swapped)."""
    text = seg.span.text
    seg_stems = T.content_stems(text)
    overlap = len(p.stems & seg_stems) / max(1, len(p.stems))
    if overlap < 0.4 or seg.code or cos < 0.45 or len(T.words(text)) > 24:
        return False
    if overlap >= 0.6 and T.negation_count(text) % 2 != p.negations % 2:
        return True
    low, own = text.lower(), p.text.lower()
    if any(_mentions(ANTONYMS[w], low) and not _mentions(w, low)
           and not _mentions(ANTONYMS[w], own)
           for w in re.findall(r"[a-z-]+", own) if w in ANTONYMS):
        return True
    return _swapped(p, rubric, text)


def _swapped(p: Point, rubric: Rubric, text: str) -> bool:
    """The point says something about API A; in the sentence the nearest API named before
    the point's words is another API of the question (the roles are swapped)."""
    if not p.names:
        return False
    mentions = name_positions(rubric.names, text)
    if not mentions:
        return False
    low = text.lower()
    name_stems = {T.stem(n) for n in rubric.names}
    cues = [m.start() for w in p.stems - name_stems
            for m in re.finditer(rf"\b{re.escape(w)}", low)]
    if not cues:
        return False
    cue = min(cues)
    before = [n for pos, n in mentions if pos < cue]
    owner = before[-1] if before else mentions[0][1]
    return owner != p.names[0]


def find_misconceptions(rubric: Rubric, ans: _Answer) -> list[tuple[str, Span, float]]:
    """Misconceptions stated (not denied) by an answer sentence that fits them better than
    it fits any key point."""
    hits = []
    point_best = np.max(np.stack([ans.seg_vecs @ p.enc.vec for p in rubric.points]), axis=0)
    for text, enc in rubric.misconceptions:
        sims = ans.seg_vecs @ enc.vec
        j = int(np.argmax(sims))
        seg = ans.segments[j].span.text
        denied = T.negation_count(seg) % 2 != T.negation_count(text) % 2
        if sims[j] >= MISCONCEPTION_MIN and sims[j] > point_best[j] + 0.03 and not denied:
            hits.append((text, ans.segments[j].span, float(sims[j])))
    return hits


def misconception_margin(rubric: Rubric, ans: _Answer) -> float:
    """Largest lead, over answer sentences that do not deny it, of a misconception's
    similarity over the best key point's (negative: every sentence fits a point better)."""
    if not rubric.misconceptions:
        return -0.5
    point_best = np.max(np.stack([ans.seg_vecs @ p.enc.vec for p in rubric.points]), axis=0)
    best = -0.5
    for text, enc in rubric.misconceptions:
        for j, sim in enumerate(ans.seg_vecs @ enc.vec):
            seg = ans.segments[j].span.text
            if T.negation_count(seg) % 2 == T.negation_count(text) % 2:
                best = max(best, float(sim - point_best[j]))
    return best


def analyze(encoder: TextEncoder, rubric: Rubric, answer: str) -> Analysis:
    """Match `answer` against `rubric`. An empty or instruction-only answer matches nothing."""
    segs = T.segments(answer)
    injected = [s for s in segs if not s.code and T.is_injection(s.span.text)]
    kept = [s for s in segs if s not in injected]
    if not kept:
        return _empty(rubric, bool(injected))
    ans = encode_answer(encoder, answer, kept)
    matches = [match_point(p, rubric, ans) for p in rubric.points]
    hits = find_misconceptions(rubric, ans) if rubric.misconceptions else []
    feats = _features(rubric, ans, matches, hits, bool(injected))
    return Analysis(matches, hits, feats, {"injection": bool(injected),
                                           "code_only": all(s.code for s in kept)})


def _features(rubric: Rubric, ans: _Answer, matches: list[PointMatch],
              hits: list, injected: bool) -> dict[str, float]:
    strengths = [0.0 if m.contradicted else m.strength for m in matches]
    prose = " ".join(s.span.text for s in ans.segments if not s.code)
    code_frac = sum(s.code for s in ans.segments) / len(ans.segments)
    n_words = len(T.content_stems(" ".join(s.span.text for s in ans.segments)))
    context = np.concatenate([rubric.reference_tokens, rubric.question.tokens])
    sym = len(rubric.symbols & ans.symbols) / len(rubric.symbols) if rubric.symbols else 0.0
    return {
        "coverage": float(np.mean(strengths)),
        "covered_frac": float(np.mean([m.verdict == "covered" for m in matches])),
        "cosine": float(ans.vec @ rubric.reference_vec),
        "token_recall": _recall(rubric.reference_tokens, ans.tokens, rubric.reference_weights),
        "token_precision": _recall(ans.tokens, context),
        "contradicted": float(np.mean([m.contradicted for m in matches])),
        "misconception": max((h[2] for h in hits), default=0.0),
        "stuffing": T.keyword_list_score(prose) * (1.0 - code_frac),
        "injection": float(injected),
        "length": min(1.0, math.log1p(n_words) / math.log(40.0)),
        "code_symbols": code_frac * sym,
        "min_strength": float(np.min(strengths)),
        "max_strength": float(np.max(strengths)),
        "misc_margin": misconception_margin(rubric, ans),
        "reversed": C.reversal_rate([c for s in ans.segments if not s.code
                                     for c in C.clauses(s.span.text, rubric.names)],
                                    list(rubric.ref_clauses), ANTONYMS),
        "negation_rate": min(1.0, C.negations(prose) / max(1, len(ans.segments))),
        # Exact word overlap: the reference's own words the answer uses, and the answer's
        # words found in the reference or the question.
        "lex_recall": len(rubric.reference_stems & ans.stems) / max(1, len(rubric.reference_stems)),
        "lex_precision": len(ans.stems & (rubric.reference_stems | rubric.question_stems))
        / max(1, len(ans.stems)),
    }


def _empty(rubric: Rubric, injected: bool) -> Analysis:
    feats = {f: 0.0 for f in FEATURES}
    feats["misc_margin"] = -0.5
    feats["injection"] = float(injected)
    matches = [PointMatch(p.text, 0.0, None, False) for p in rubric.points]
    return Analysis(matches, [], feats, {"injection": injected, "empty": True})
