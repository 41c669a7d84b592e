"""The answer side of offline grading: the entailment model reads every (key point or
misconception, answer window) pair in one batch; the result is a verdict per key point with
the span that decided it, the misconceptions the answer asserts, and a few features derived
from those verdicts for the calibrated 0-5 score.

Windows: the answer's sentences and code lines (text.segments) grouped, in order, into
stretches of at most WINDOW_CHARS; neighbouring windows share a sentence, so a claim and the
sentence that denies it can meet. Short answers (most) are one window. Long answers send
each hypothesis only to its MAX_WINDOWS best windows by word overlap (latency: one window
cut p95 from ~215 to ~130 ms and moved no dev category mean by more than 0.04).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from interviewer.grading import text as T
from interviewer.grading.base import Span
from interviewer.grading.entail import EntailmentModel
from interviewer.grading.rubric import Rubric

FEATURES = ("entailed", "covered_frac", "min_entailed", "max_entailed", "contradicted",
            "max_contradicted", "misconception", "stuffing", "length", "code_frac")
COVERED, PARTIAL = 0.5, 0.25  # P(entailed) thresholds the score map's features were fitted with
# P(entailed) from which a key point is *shown* covered (between PARTIAL and it: "partly
# there"). At COVERED, 12.5% of the points a candidate was told they covered were, to
# people reading the answer, not said at all; chosen on held-out per-point labels set
# aside for this choice (evals/data/extra/pointlabels-choice.jsonl) as the lowest threshold
# whose covered points are >= 85% stated: `python -m evals points --labels <that file>`,
# "if_covered_from". Measured on other labels: evals/README.md. The score is unchanged.
SHOWN_COVERED = 0.8
CONTRADICTED = 0.5  # P(contradicted) above which a point is reversed
MISCONCEPTION_MIN = 0.5  # share of the room above the reference's P(entailed) (excess)
# ... and only when the answer entails it by this much more than it entails any key point
# (chosen on the train answers; see analyze).
MISCONCEPTION_MARGIN = 0.05
WINDOW_CHARS, MAX_WINDOWS = 480, 1


@dataclass
class PointMatch:
    point: str
    probs: np.ndarray  # over entail.LABELS
    span: Span | None

    @property
    def strength(self) -> float:
        return float(self.probs[0])

    @property
    def contradicted(self) -> bool:
        return bool(self.probs[1] >= CONTRADICTED and self.probs[1] > self.probs[0])

    @property
    def verdict(self) -> str:
        """What the candidate is told: covered, partial ("partly there") or missing."""
        if self.contradicted or self.strength < PARTIAL:
            return "missing"
        return "covered" if self.strength >= SHOWN_COVERED else "partial"

    @property
    def scored_covered(self) -> bool:
        """Covered as the score map's `covered_frac` feature counts it (fitted with COVERED)."""
        return not self.contradicted and self.strength >= COVERED


@dataclass
class Analysis:
    points: list[PointMatch]
    misconceptions: list[tuple[str, Span, float]]
    features: dict[str, float]
    flags: dict[str, bool] = field(default_factory=dict)

    def vector(self) -> np.ndarray:
        return np.array([self.features[f] for f in FEATURES], dtype=np.float64)


def windows(answer: str, segments: list[T.Segment], limit: int = WINDOW_CHARS) -> list[Span]:
    """Consecutive segments grouped into spans of at most `limit` characters (one segment may
    exceed it); each window after the first starts with the last segment of the one before."""
    out: list[Span] = []
    i = 0
    while i < len(segments):
        j = i + 1
        while j < len(segments) and segments[j].span.end - segments[i].span.start <= limit:
            j += 1
        a, b = segments[i].span.start, segments[j - 1].span.end
        out.append(Span(a, b, answer[a:b]))
        if j >= len(segments):
            break
        i = j - 1 if j - 1 > i else j
    return out


def overlap(hypothesis: str, text: str) -> float:
    """Share of the hypothesis's content words found in `text` (0-1)."""
    h = T.content_stems(hypothesis)
    return len(h & T.content_stems(text)) / max(1, len(h))


def best_windows(hypothesis: str, wins: list[Span], k: int = MAX_WINDOWS) -> list[int]:
    if len(wins) <= k:
        return list(range(len(wins)))
    scores = [overlap(hypothesis, w.text) for w in wins]
    return sorted(np.argsort([-s for s in scores], kind="stable")[:k].tolist())


def evidence(hypothesis: str, window: Span, segments: list[T.Segment]) -> Span:
    """The sentence of the window that shares most words with the hypothesis."""
    inside = [s.span for s in segments
              if s.span.start >= window.start and s.span.end <= window.end]
    if len(inside) <= 1:
        return window
    return max(inside, key=lambda s: (overlap(hypothesis, s.text), -s.start))


def judge(model: EntailmentModel, hypotheses: list[str], answer: str,
          segments: list[T.Segment]) -> list[tuple[np.ndarray, Span]]:
    """For each hypothesis: its probabilities and evidence span. One forward pass: every
    (hypothesis, window) pair is one row of a single batch."""
    wins = windows(answer, segments)
    pairs = [(h, w) for h, hyp in enumerate(hypotheses) for w in best_windows(hyp, wins)]
    probs = model.predict([hypotheses[h] for h, _ in pairs], [wins[w].text for _, w in pairs])
    out = []
    for h, hyp in enumerate(hypotheses):
        rows = [(probs[i], wins[w]) for i, (hh, w) in enumerate(pairs) if hh == h]
        ent = max(rows, key=lambda r: r[0][0])
        con = max(rows, key=lambda r: r[0][1])
        p, win = con if con[0][1] > ent[0][0] and con[0][1] >= CONTRADICTED else ent
        out.append((p, evidence(hyp, win, segments)))
    return out


def misconception_baseline(model: EntailmentModel, rubric: Rubric) -> list[float]:
    """P(entailed) of each misconception given the reference itself. The reference is right,
    so whatever entailment the model reads there is its bias for that misconception (shared
    words, a missed "always"), not evidence; depends on the rubric only (graders cache it)."""
    segs = T.segments(rubric.reference)
    if not rubric.misconceptions or not segs:
        return [0.0] * len(rubric.misconceptions)
    return [float(p[0]) for p, _ in judge(model, list(rubric.misconceptions),
                                          rubric.reference, segs)]


def excess(p: float, baseline: float) -> float:
    """How far `p` goes beyond `baseline`, as a share of the room above it (0-1)."""
    return max(0.0, (p - baseline) / max(1e-6, 1.0 - baseline))


def analyze(model: EntailmentModel, rubric: Rubric, answer: str,
            baseline: list[float] | None = None) -> Analysis:
    """Judge `answer` against `rubric`. An empty answer matches nothing. A misconception
    counts by how much more the answer entails it than the reference does (`baseline`,
    misconception_baseline; computed here when not given)."""
    segs = T.segments(answer)
    if not segs:
        return _empty(rubric)
    hyps = list(rubric.points) + list(rubric.misconceptions)
    judged = judge(model, hyps, answer, segs)
    n = len(rubric.points)
    matches = [PointMatch(p, probs, span) for p, (probs, span) in zip(rubric.points, judged)]
    if baseline is None:
        baseline = misconception_baseline(model, rubric)
    asserted = [excess(float(probs[0]), b) for (probs, _), b in zip(judged[n:], baseline)]
    # The model reads a sentence on the right subject as entailing both a key point and the
    # wrong belief beside it ("the element count must stay the same" entails "reshape can
    # change the number of elements" at 0.92): a hit must beat every key point. Held-out
    # correct answers told of a misconception: 75.8% -> 0.8%; wrong ones 66.2% -> 46.0%
    # (evals/README.md). The score's misconception feature keeps the plain excess.
    beat = max((float(probs[0]) for probs, _ in judged[:n]), default=0.0) + MISCONCEPTION_MARGIN
    hits = [(m, span, a)
            for m, (probs, span), a in zip(rubric.misconceptions, judged[n:], asserted)
            if a >= MISCONCEPTION_MIN and float(probs[0]) >= beat]
    feats = _features(matches, asserted, segs)
    return Analysis(matches, hits, feats, {"code_only": all(s.code for s in segs)})


def _features(matches: list[PointMatch], misc: list[float],
              segs: list[T.Segment]) -> dict[str, float]:
    ent = np.array([m.probs[0] for m in matches])
    con = np.array([m.probs[1] for m in matches])
    prose = " ".join(s.span.text for s in segs if not s.code)
    code_frac = sum(s.code for s in segs) / len(segs)
    n_words = len(T.content_stems(" ".join(s.span.text for s in segs)))
    return {
        "entailed": float(ent.mean()),
        "covered_frac": float(np.mean([m.scored_covered for m in matches])),
        "min_entailed": float(ent.min()),
        "max_entailed": float(ent.max()),
        "contradicted": float(con.mean()),
        "max_contradicted": float(con.max()),
        "misconception": max(misc, default=0.0),
        "stuffing": T.keyword_list_score(prose) * (1.0 - code_frac),
        "length": min(1.0, math.log1p(n_words) / math.log(40.0)),
        "code_frac": code_frac,
    }


def _empty(rubric: Rubric) -> Analysis:
    feats = {f: 0.0 for f in FEATURES}
    matches = [PointMatch(p, np.array([0.0, 0.0, 1.0]), None) for p in rubric.points]
    return Analysis(matches, [], feats, {"empty": True})
