"""Topic names as people type them: one rule, used by the knowledge store (search,
interviews) and by the coding exercises alike.

A topic is known by its name ("Tensor Operations & Manipulation") and its slug
("tensor-operations-manipulation"); people also type short forms ("tensor-ops", "cnn",
"losses-optim", "nn-layers") or a unique part of it ("autograd"). No heavy imports here, so
any layer can use it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from interviewer.errors import InputError


def topic_slug(topic: str) -> str:
    """'Loss Functions & Optimization' -> 'loss-functions-optimization'."""
    return re.sub(r"[^a-z0-9]+", "-", topic.lower()).strip("-")


def match_topic(topic: str, known: Mapping[str, str]) -> str | None:
    """The slug in `known` (slug -> name) that `topic` names, or None when it names none or
    several."""
    slug = topic_slug(topic)
    if slug in known:
        return slug
    matches = [s for s in known if slug and abbreviates(slug, s)]
    return matches[0] if len(matches) == 1 else None


def resolve_topic(topic: str, known: Mapping[str, str]) -> str:
    """Like `match_topic`, but a topic that names nothing is an error listing the choices."""
    found = match_topic(topic, known)
    if found is None:
        raise InputError(f"unknown topic {topic!r}; choose one of: {', '.join(sorted(known))}")
    return found


def abbreviates(short: str, slug: str) -> bool:
    """'cnn' ~ convolutional-neural-networks; 'tensor-ops', 'losses-optim', 'nn-layers' ~
    each part is a word prefix, or the initials of a run of words, in order."""
    return _parts_match(short.split("-"), slug.split("-"))


def _stem(word: str) -> str:
    if word.endswith("es") and len(word) > 4:
        return word[:-2]
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def _parts_match(parts: list[str], words: list[str]) -> bool:
    if not parts:
        return True
    part = parts[0]
    for i, word in enumerate(words):
        if _stem(word).startswith(_stem(part)) and _parts_match(parts[1:], words[i + 1:]):
            return True
        for k in range(2, len(words) - i + 1):
            initials = "".join(w[0] for w in words[i:i + k])
            if initials == part and _parts_match(parts[1:], words[i + k:]):
                return True
    return False
