"""Contrast texts made by a program from any reference answer: the same words with the
meaning reversed. Used to make training pairs (train questions only) and to measure the
grader on flips of every reference (`python -m evals flips`).

The rules hold for any English text; none was fitted on labelled answers:
- negate: toggle the negation of a sentence (drop an existing "not"/"never"/"no"/"n't", or
  put "not" after its first auxiliary verb, or "does not" before its first -s verb);
- swap_names: exchange two API names that both occur in the text (``view``/``reshape``,
  ``Adam``/``AdamW``, ``train``/``eval``): the roles reverse, the words stay;
- deny: a correct text followed by a sentence that takes it back.
"""

from __future__ import annotations

import re

from interviewer.grading import text as T
from interviewer.grading.rubric import api_names

AUX = ("is", "are", "was", "were", "can", "could", "will", "would", "should", "must", "may",
       "might", "does", "do", "did", "has", "have", "had")
_NEG = re.compile(r"\b(?:not|never)\s+|(?<=\w)n't\b|\bcannot\b|\bno\s+(?=\w)", re.I)
_AUX = re.compile(r"\b(" + "|".join(AUX) + r")\b(?!\s+not\b)", re.I)
_VERB_S = re.compile(r"(?<=[a-z\)`] )([a-z]{3,}?)(ies|ches|shes|sses|xes|s)\b")
# Two phrasings per use, so that the flips measured on held-out questions are not the
# sentences trained on.
DENIALS_TRAIN = ("Actually, none of that is true.", "Forget what I said, that's all wrong.",
                 "But honestly, I made that up and it is false.", "Just kidding - the opposite "
                 "is the case.")
DENIALS_EVAL = ("None of the above is true; I made it up.", "Scratch that: everything I just "
                "said is wrong.")
# Sentences that end an answer without changing what it claims: trained as "still entailed",
# so that the model learns what a denial says rather than that a sentence follows.
CLOSERS_TRAIN = ("I hope that answers the question.", "That is how I understand it, anyway.",
                 "I have used this a lot in practice.", "Happy to go deeper on any of that.")


def negate(sentence: str) -> str | None:
    """The sentence with its negation toggled, or None when no rule applies."""
    m = _NEG.search(sentence)
    if m:
        word = m.group(0).lower()
        repl = "can" if word == "cannot" else ""
        return _tidy(sentence[:m.start()] + repl + sentence[m.end():])
    m = _AUX.search(sentence)
    if m:
        return sentence[:m.end()] + " not" + sentence[m.end():]
    m = _VERB_S.search(sentence)
    if m:
        stem, suffix = m.group(1), m.group(2)
        base = stem + {"ies": "y", "ches": "ch", "shes": "sh", "sses": "ss", "xes": "x",
                       "s": ""}[suffix]
        return sentence[:m.start()] + "does not " + base + sentence[m.end():]
    return None


def _tidy(s: str) -> str:
    return re.sub(r"\s{2,}", " ", s).replace(" ,", ",").replace(" .", ".").strip()


def negate_text(text: str, which: int | None = None) -> str | None:
    """Negate one prose sentence (`which`, by index) or, with None, every one that can be."""
    segs = [s for s in T.segments(text) if not s.code]
    out, changed = text, False
    for i, seg in reversed(list(enumerate(segs))):
        if which is not None and i != which:
            continue
        flipped = negate(seg.span.text)
        if flipped:
            out = out[:seg.span.start] + flipped + out[seg.span.end:]
            changed = True
    return out if changed else None


def name_pairs(text: str) -> list[tuple[str, str]]:
    """Pairs of distinct API names that both occur in `text`, in order of first mention."""
    names = [n for n in api_names(text) if len(n) > 2]
    return [(a, b) for i, a in enumerate(names) for b in names[i + 1:]
            if a.lower() != b.lower()]


def mentions(name: str, text: str) -> bool:
    return re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", text) is not None


def swap_names(text: str, a: str, b: str) -> str:
    """Every whole-word `a` becomes `b` and vice versa (longer name matched first)."""
    first, second = sorted((a, b), key=len, reverse=True)
    pat = re.compile(rf"(?<![\w]){re.escape(first)}(?![\w])|(?<![\w]){re.escape(second)}"
                     r"(?![\w])")
    return pat.sub(lambda m: b if m.group(0) == a else a, text)


def deny(text: str, denial: str) -> str:
    return text.rstrip() + " " + denial
