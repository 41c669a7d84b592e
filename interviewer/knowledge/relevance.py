"""Relevance: how well a search hit matches the query, on a fixed scale in [0, 1].

The ranking score (cosine similarity of MiniLM embeddings plus 0.02 x BM25) has no fixed
range: unrelated text still scores 0.1-0.3 and a near-copy with rare shared words goes above
1.0. Relevance maps it linearly onto [0, 1] between two anchors:

- 0 = no closer than the best match of a typical question from another field (the median
  best raw score of the tuning half of evals/retrieval/offtopic.jsonl), or less;
- 1 = the text of the stored question itself (raw score 1.0), or more.

A hit below `MATCH_THRESHOLD` is "no match": `interviewer search` does not show it, and the
engine must not treat it as the same question. The threshold was set on the tuning half of
the off-topic queries only (bench/bench_retrieval.py --calibrate prints the figures); the
other half and evals/retrieval/queries.jsonl measure it.
"""

from __future__ import annotations

RAW_FLOOR = 0.2  # median best raw score of off-topic tuning queries
RAW_CEILING = 1.0  # raw score of a query identical to the stored question text
MATCH_THRESHOLD = 0.3  # relevance below this is no match


def relevance(raw: float) -> float:
    """Relevance in [0, 1] of a raw ranking score (monotone, so ranks do not change)."""
    scaled = (raw - RAW_FLOOR) / (RAW_CEILING - RAW_FLOOR)
    return round(min(1.0, max(0.0, scaled)), 4)


def is_match(score: float) -> bool:
    return score >= MATCH_THRESHOLD
