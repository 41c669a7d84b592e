"""Plain-text analysis of answers: segments with spans, words, symbols, negation, code,
keyword lists and instructions aimed at the grader. Pure functions, no model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from interviewer.grading.base import Span

STOPWORDS = frozenset("""
a an the of to in on for is are was were be been being it its this that these those and or
with as by at from which what how why when where do does did can will would should could
has have had you your we our they their there here than then so such into onto about also
just very i me my if but all any each both some more most other only same own over under
via per using use used uses one two""".split())
FUNCTION_WORDS = STOPWORDS | frozenset("""not no never because while whereas until unless
only instead rather however therefore since whether either neither nor""".split())
NEGATIONS = frozenset("not no never cannot can't don't doesn't isn't aren't won't wasn't "
                      "weren't shouldn't didn't hasn't haven't none neither nor nothing unsupported impossible "
                      "unable incompatible invalid fails refuses".split())
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?:\(\))?|\d+(?:\.\d+)?")
_SYMBOL = re.compile(r"`([^`\n]{1,60})`|\b((?:torch|nn|F|np|tensor|x|model|optimizer)"
                     r"(?:\.[A-Za-z_]\w*)+(?:\(\))?|[A-Za-z_]\w*\(\)|\.[a-z_]\w*(?:\(\))?)")
# Generic only (not fitted on labelled answers): text that talks to whoever grades it
# instead of answering - "ignore ... instructions", role tags, a request for a score. The
# offline grader reads the answer as data either way (instructions entail no key point);
# this adds a note, and lets the LLM grader discount what an injected span "shows".
_INJECTION = re.compile(r"\b(?:ignore|disregard|forget)\b[^.]{0,40}\binstructions?\b|"
                        r"^\s*(?:system|assistant)\s*:|</?(?:system|instructions?)>|"
                        r"\b(?:give|award|assign)\b[^.]{0,30}(?:\b\d+\s*/\s*\d+|full marks|"
                        r"full score|maximum|perfect)", re.I | re.M)
_CODE_LINE = re.compile(r"^\s*(?:```|>>>|import |from \w+ import|def |class |for |with |return "
                        r"|#|[\w.\[\], ]+\s*[+\-*/@]?=\s*\S|\w[\w.]*\(.*\)\s*(?:#.*)?$)")


@dataclass(frozen=True)
class Segment:
    """A sentence, clause or code line of the answer, with its place in the answer."""

    span: Span
    code: bool = False


def stem(word: str) -> str:
    """A crude, deterministic English stemmer (enough to match 'copies' with 'copy')."""
    w = word.lower().rstrip("()")
    for suffix, repl in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if len(w) > len(suffix) + 3 and w.endswith(suffix):
            return w[: -len(suffix)] + repl
    return w


def words(text: str) -> list[str]:
    """Lower-cased word tokens (dotted API names stay whole, '()' dropped)."""
    return [w.lower().rstrip("()") for w in _WORD.findall(text)]


def content_stems(text: str) -> set[str]:
    """Stems of the words that carry meaning: no stopwords, and dotted names split too."""
    out: set[str] = set()
    for w in words(text):
        for part in {w, *w.split(".")}:
            if part and part not in STOPWORDS and not part.isdigit():
                out.add(stem(part))
    return out


def symbols(text: str) -> set[str]:
    """API-like names (``torch.cat``, ``view()``, ``.grad``, backticked), as their last part."""
    found: set[str] = set()
    for m in _SYMBOL.finditer(text):
        raw = (m.group(1) or m.group(2) or "").strip()
        for name in re.findall(r"[A-Za-z_]\w*", raw.split("(")[0]):
            if name.lower() not in STOPWORDS and len(name) > 1:
                found.add(name.lower())
        if m.group(1) is None and raw:
            found.discard("torch")
    found -= {"torch", "nn", "f", "np", "x", "tensor", "model", "optimizer"}
    return found


def negation_count(text: str) -> int:
    low = text.lower().replace("’", "'")
    return sum(1 for w in re.findall(r"[a-z']+", low) if w in NEGATIONS or w.endswith("n't"))


def is_code_line(line: str) -> bool:
    return bool(_CODE_LINE.match(line)) and not re.match(r"^\s*[A-Z][a-z]+ [a-z]+ [a-z]+", line)


def _code_spans(text: str) -> list[tuple[int, int]]:
    """Character ranges of fenced code blocks."""
    return [(m.start(), m.end()) for m in re.finditer(r"```.*?(?:```|\Z)", text, re.S)]


def segments(text: str) -> list[Segment]:
    """Split an answer into sentences/clauses (prose) and lines (code), keeping offsets."""
    fenced = _code_spans(text)
    out: list[Segment] = []
    pos = 0
    for start, end in fenced + [(len(text), len(text))]:
        out += _prose_or_code(text, pos, start)
        out += _lines(text, start, end, code=True)
        pos = end
    return [s for s in out if re.search(r"\w", s.span.text)]


def _lines(text: str, start: int, end: int, code: bool) -> list[Segment]:
    out, pos = [], start
    for line in text[start:end].split("\n"):
        stripped = line.strip()
        if stripped and not stripped.startswith("```"):
            s = pos + line.index(stripped)
            out.append(Segment(Span(s, s + len(stripped), stripped), code=code))
        pos += len(line) + 1
    return out


_SENT_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\betc)(?<!\bvs)[.!?;](?=\s+|$)")


def _prose_or_code(text: str, start: int, end: int) -> list[Segment]:
    out: list[Segment] = []
    for seg in _lines(text, start, end, code=False):
        line = seg.span.text
        if is_code_line(line):
            out.append(Segment(seg.span, code=True))
            continue
        cuts = [0] + [m.end() for m in _SENT_END.finditer(line)] + [len(line)]
        for a, b in zip(cuts, cuts[1:]):
            piece = line[a:b].strip()
            if len(piece) > 1:
                s = seg.span.start + a + line[a:b].index(piece)
                out.append(Segment(Span(s, s + len(piece), piece)))
    return out


def is_injection(text: str) -> bool:
    """Text that talks to the grader instead of answering ("ignore previous instructions")."""
    return bool(_INJECTION.search(text))


def without_injections(text: str) -> str:
    """`text` with each segment that talks to the grader blanked out by spaces (so offsets
    into the original still hold): an instruction to the grader states nothing to grade."""
    out = list(text)
    for seg in segments(text):
        if is_injection(seg.span.text):
            out[seg.span.start:seg.span.end] = " " * (seg.span.end - seg.span.start)
    return "".join(out)


def function_word_ratio(text: str) -> float:
    ws = words(text)
    return sum(w in FUNCTION_WORDS for w in ws) / len(ws) if ws else 0.0


def keyword_list_score(prose: str) -> float:
    """0 for ordinary sentences, up to 1 for a bare list of terms (keyword stuffing)."""
    ws = words(prose)
    if len(ws) < 3:
        return 0.0
    pieces = [p for p in re.split(r"[,;\n/|]+", prose) if p.strip()]
    short = sum(len(words(p)) <= 3 for p in pieces) / len(pieces)
    fw = function_word_ratio(prose)
    return max(0.0, min(1.0, 1.0 - fw / 0.25)) * (0.5 + 0.5 * short)
