"""Reversals of the reference answer, found by comparing each answer clause with each
reference clause (pure text, no model).

A negation trap keeps the reference's words and flips their meaning, which embeddings barely
notice. Three cheap tests per (answer clause, reference clause) pair:
- negation parity flipped while most of the clause's words come from the reference clause;
- an antonym swapped in for a reference word;
- roles swapped: the clause's words belong to a reference clause about another API name
  (``cat`` joins / ``stack`` adds a dimension, said the other way round).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from interviewer.grading import text as T

EXTRA_NEGATIONS = frozenset({"without"})
_CLAUSE_CUT = re.compile(r"[;:]\s+|,\s*(?:while|whereas|but|and|so)\s+|\s+(?:while|whereas)\s+")
MIN_SHARED = 2  # shared content words before a clause counts as reusing a reference clause


@dataclass(frozen=True)
class Clause:
    text: str
    stems: frozenset[str]  # content stems without API names
    negations: int
    owner: str | None  # the API name the clause is about (first one named), if any


def key(word: str) -> str:
    """A coarser stem, so 'accumulate'/'accumulated' and 'static'/'statically' meet."""
    w = T.stem(word)
    for suffix in ("ally", "ly"):
        if len(w) > len(suffix) + 3 and w.endswith(suffix):
            w = w[: -len(suffix)]
            break
    return w.rstrip("e")


def _keys(piece: str, names: tuple[str, ...]) -> frozenset[str]:
    drop = {key(n) for n in names} | {"torch", "tensor"}
    return frozenset(k for k in map(key, T.content_stems(piece))
                     if "." not in k and k not in drop and len(k) > 1)


def negations(text: str) -> int:
    """Negation words, plus 'without'; Python's ``None`` is a value, not a negation."""
    plain = re.sub(r"\bNone\b", "", text)
    return T.negation_count(plain) + sum(w in EXTRA_NEGATIONS
                                         for w in re.findall(r"[a-z]+", plain.lower()))


def clauses(text: str, names: tuple[str, ...]) -> list[Clause]:
    """Prose sentences cut into clauses; each clause knows which API name it talks about."""
    out = []
    for seg in T.segments(text):
        if seg.code:
            continue
        for piece in _pieces(seg.span.text, names):
            stems = _keys(piece, names)
            if len(stems) >= 2:
                out.append(Clause(piece, stems, negations(piece), _owner(piece, names)))
    return out


def name_positions(names: tuple[str, ...], text: str) -> list[tuple[int, str]]:
    """Where API names are mentioned as code: ``x.view(``, ``view()``, `` `view` ``."""
    found = []
    for n in names:
        pat = rf"(?:(?<=\.)|(?<=`)|(?<![\w.])){re.escape(n)}(?=\(|`|\b)"
        for m in re.finditer(pat, text):
            before, after = text[max(0, m.start() - 1):m.start()], text[m.end():m.end() + 1]
            if before in (".", "`") or after in ("(", "`") or not n.islower():
                found.append((m.start(), n))
    return sorted(found)


def _pieces(sentence: str, names: tuple[str, ...]) -> list[str]:
    """Clauses, cut again before each API name when a clause names more than one."""
    out = []
    for clause in _CLAUSE_CUT.split(sentence):
        found = name_positions(names, clause)
        if len({n for _, n in found}) < 2:
            out.append(clause)
            continue
        cuts = [0] + [p for p, _ in found[1:]] + [len(clause)]
        out += [clause[a:b] for a, b in zip(cuts, cuts[1:])]
    return out


def _owner(piece: str, names: tuple[str, ...]) -> str | None:
    found = name_positions(names, piece)
    return found[0][1] if found else None


def _reversed(a: Clause, r: Clause, antonyms: dict[str, str]) -> bool:
    shared = a.stems & r.stems
    if len(shared) < MIN_SHARED or len(shared) < 0.5 * max(len(a.stems), len(r.stems)):
        return False
    if (a.owner or r.owner) and a.owner != r.owner:
        return False
    if a.negations > r.negations:
        return True
    return any(antonyms[w] in a.stems and w not in a.stems and antonyms[w] not in r.stems
               for w in r.stems if w in antonyms)


def _swapped(a: Clause, ref: list[Clause]) -> bool:
    """The clause shares clearly more words with another API's clause than with its own."""
    if a.owner is None:
        return False
    own = max((len(a.stems & r.stems) for r in ref if r.owner == a.owner), default=None)
    if own is None:
        return False
    other = max((len(a.stems & r.stems) for r in ref if r.owner not in (None, a.owner)),
                default=0)
    return other >= 2 and other >= own + 2


def reversal_rate(answer: list[Clause], ref: list[Clause], antonyms: dict[str, str]) -> float:
    """Fraction of the answer's clauses that reverse some reference clause."""
    if not answer or not ref:
        return 0.0
    stemmed = {key(k): key(v) for k, v in antonyms.items()}
    hits = [_swapped(a, ref) or any(_reversed(a, r, stemmed) for r in ref) for a in answer]
    return sum(hits) / len(hits)
