"""Relevance: how well a search hit matches the query, on a fixed scale in [0, 1].

The ranking score (cosine similarity of MiniLM embeddings plus 0.02 x BM25) has no fixed
range: a question from another field still scores 0.2-0.4 against its nearest PyTorch
question (much of it from the shared frame: "what is the difference between ... and ..."),
and a near-copy with rare shared words goes above 1.0. Relevance therefore scores the
query's subject: the same hybrid score, with the question frame stripped from the query
(`strip_frame`), against the hit's document. That subject score is mapped piecewise
linearly (and monotonically) through three anchors:

- 0.0 = the best match of a typical question from another field (the median best raw score
  of the tuning half of evals/retrieval/offtopic.jsonl), or less;
- 0.5 = the match threshold: the 97.5th percentile of those off-topic best scores. Below it a
  hit is "no match": `interviewer search` does not show it, and the engine must not treat it
  as the same question;
- 1.0 = the text of the stored question itself (raw score 1.0), or more.

The anchors come from the tuning half of the off-topic queries only, by the rule above;
`python bench/bench_retrieval.py --calibrate` recomputes them. The other half of the
off-topic queries and evals/retrieval/queries.jsonl measure the result (README numbers).
"""

from __future__ import annotations

import re

RAW_FLOOR = 0.1692  # median subject score of the off-topic tuning queries' best hits
RAW_THRESHOLD = 0.3541  # their 97.5th percentile (nearest rank)
RAW_CEILING = 1.0  # raw score of a query identical to the stored question text
MATCH_THRESHOLD = 0.5  # relevance of RAW_THRESHOLD: below it, no match


# The frame of an English question: it says that something is asked, not what about.
FRAME = re.compile(
    r"^\s*(?:what(?:'s| is| are| was| were)?(?: the| a| an)?"
    r"(?: (?:main )?differences? between)?|how (?:do|does|can|would|should|did) (?:you|i|we|one)?"
    r"|why (?:do|does|is|are|would|did)|when (?:do|does|should|would)|explain|describe"
    r"|what does|which|who (?:is|was|wrote|discovered|painted))\s+", re.IGNORECASE)


def strip_frame(query: str) -> str:
    """'What is the difference between view and reshape?' -> 'view and reshape?'."""
    return FRAME.sub("", query).strip() or query


def relevance(raw: float) -> float:
    """Relevance in [0, 1] of a raw ranking score."""
    if raw < RAW_THRESHOLD:
        scaled = MATCH_THRESHOLD * (raw - RAW_FLOOR) / (RAW_THRESHOLD - RAW_FLOOR)
    else:
        scaled = MATCH_THRESHOLD + (1 - MATCH_THRESHOLD) * (raw - RAW_THRESHOLD) / \
            (RAW_CEILING - RAW_THRESHOLD)
    return round(min(1.0, max(0.0, scaled)), 4)


def is_match(score: float) -> bool:
    """Whether a relevance means the hit is about what was asked."""
    return score >= MATCH_THRESHOLD


def nearest_rank(values: list[float], q: float) -> float:
    """The q-quantile (0 < q <= 1) of `values` by the nearest-rank rule."""
    ordered = sorted(values)
    k = max(1, -(-int(round(q * 1000)) * len(ordered) // 1000))  # ceil(q * n)
    return ordered[k - 1]


def anchors(offtopic_best_raw: list[float]) -> dict[str, float]:
    """RAW_FLOOR and RAW_THRESHOLD from the subject scores of off-topic tuning queries'
    best hits."""
    return {"RAW_FLOOR": round(nearest_rank(offtopic_best_raw, 0.5), 4),
            "RAW_THRESHOLD": round(nearest_rank(offtopic_best_raw, 0.975), 4)}
