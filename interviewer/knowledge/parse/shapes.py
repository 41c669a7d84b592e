"""The shape readers: each turns a `Document` into (question, answer) pairs.

- ``labelled``: ``**Q17: ...**`` / ``**A:** ...``, ``### Q: ...`` / ``A: ...``.
- ``details``: each answer in a ``<details>`` block (also inside list items); the question is
  the heading or item before it, or the ``<summary>`` itself when that is not just a label.
- ``numbered-bold``: ``12. **question**`` items with indented answers and code.
- ``bold-lines``: whole-line bold questions followed by unlabelled answers.
- ``headings``: question headings (``### What is X?``, ``## 3. Explain X``) at one level;
  deeper headings belong to the answer, shallower ones set the topic.
- ``numbered``: ``12. question?`` items, the answer is the following paragraph(s).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from interviewer.errors import InputError
from interviewer.knowledge.parse.document import Document, Line
from interviewer.knowledge.parse.text import (A_MARK, BOLD_LINE, DETAILS_CLOSE, DETAILS_OPEN,
                                              LEVEL_WORDS, NUMBER_HEADING, NUMBER_PREFIX,
                                              NUMBERED, NUMBERED_BOLD, Q_MARK, SEPARATOR,
                                              SUMMARY, TAG, clean_answer, clean_question,
                                              clean_topic, is_question_like, strip_md)

SECTION_WORDS = {"contents", "table of contents", "toc", "introduction", "references",
                 "resources", "conclusion", "summary", "license", "credits", "about",
                 "acknowledgements", "further reading", "contributing", "index"}
DETAILS_ANY = re.compile(r"<details\b", re.IGNORECASE)
LABEL_WORDS = {"show", "see", "view", "click", "reveal", "toggle", "expand", "hide", "the",
               "answer", "answers", "solution", "solutions", "explanation", "details", "hint",
               "hints", "more", "here", "to", "me", "tap", "code"}


@dataclass(frozen=True)
class ParsedQA:
    question: str
    answer: str
    topic: str
    line: int  # 1-based line of the question
    number: str | None = None  # the number the file gave the question, if any


def topic_of(doc: Document, ln: Line) -> str | None:
    """The topic a section heading sets; "" for a heading that only names a level
    (### Basic, #### Advanced), which ends the previous answer but keeps the topic."""
    h = None if ln.fenced else doc.headings.get(ln.no)
    if not h or Q_MARK.match(ln.text) or A_MARK.match(ln.text):
        return None
    topic = clean_topic(h[1])
    return "" if topic.lower() in LEVEL_WORDS or NUMBER_HEADING.match(topic) else topic


def _read_labelled(doc: Document, default_topic: str) -> Iterator[ParsedQA]:
    """Q/A labels. When the question is a heading, deeper headings belong to its answer."""
    topic, q_line, q_num, q_parts, a_parts, in_answer = default_topic, None, None, [], [], False
    q_level = 7  # level of the question's heading (7: not a heading)

    def flush() -> Iterator[ParsedQA]:
        if q_line is not None:
            yield ParsedQA(clean_question(" ".join(q_parts)), clean_answer(a_parts), topic,
                           q_line, q_num or None)

    for ln in doc.lines:
        qm = None if ln.fenced else Q_MARK.match(ln.text)
        am = None if ln.fenced else A_MARK.match(ln.text)
        new_topic = topic_of(doc, ln)
        if qm:
            yield from flush()
            q_line, q_num = ln.no, qm.group(1) or qm.group(2)
            q_parts, a_parts, in_answer = [ln.text], [], False
            q_level = doc.headings.get(ln.no, (7, ""))[0]
        elif am and q_line is not None and not in_answer:
            in_answer = True
            a_parts = [am.group(1)]
        elif new_topic is not None and in_answer and doc.headings[ln.no][0] > q_level:
            a_parts.append(ln.text)
        elif new_topic is not None:
            yield from flush()
            topic, q_line = new_topic or topic, None
        elif q_line is not None:
            (a_parts if in_answer else q_parts).append(ln.text)
    yield from flush()


def _read_items(doc: Document, default_topic: str,
                is_question: Callable[[Line], re.Match | None]) -> Iterator[ParsedQA]:
    """Shared reader for shapes where a question line is followed by its unlabelled answer."""
    topic, q_line, q_text, q_num, body = default_topic, None, "", None, []

    def flush() -> Iterator[ParsedQA]:
        if q_line is not None:
            yield ParsedQA(clean_question(q_text), clean_answer(body), topic, q_line, q_num)

    for ln in doc.lines:
        m = None if ln.fenced else is_question(ln)
        new_topic = topic_of(doc, ln) if not m else None
        if m:
            yield from flush()
            q_line, body = ln.no, []
            q_text = m.group(m.lastindex or 0)
            q_num = m.group(1) if m.re.groups >= 2 and m.group(1) and m.group(1).isdigit() else None
        elif new_topic is not None:
            yield from flush()
            topic, q_line = new_topic or topic, None
        elif q_line is not None:
            body.append(ln.text)
    yield from flush()


def is_answer_label(summary: str) -> bool:
    """'💡 Show Answer', 'Solution', '' -> True; a summary with anything else is a question."""
    words = re.findall(r"[a-z]+", TAG.sub(" ", summary).lower())
    return all(w in LABEL_WORDS for w in words)


def _details_end(lines: list[Line], i: int) -> int:
    """The line that closes the <details> opened at line i (nested blocks count)."""
    depth = 0
    for j in range(i, len(lines)):
        if lines[j].fenced:
            continue
        depth += len(DETAILS_ANY.findall(lines[j].text)) - len(DETAILS_CLOSE.findall(lines[j].text))
        if depth <= 0:
            return j
    raise InputError("<details> block is never closed", where=f"line {lines[i].no}")


def _read_details(doc: Document, default_topic: str) -> Iterator[ParsedQA]:
    lines, topic = doc.lines, default_topic
    pending: list[Line] = []  # lines since the last answer block
    i = 0
    while i < len(lines):
        ln = lines[i]
        if ln.fenced or not DETAILS_OPEN.match(ln.text):
            pending.append(ln)
            i += 1
            continue
        j = _details_end(lines, i)
        block = "\n".join(x.text for x in lines[i:j + 1])
        summary = SUMMARY.search(block)
        body = re.sub(r"</?details[^>]*>", "", SUMMARY.sub("", block), flags=re.IGNORECASE)
        body = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s*$", "", body, flags=re.MULTILINE)
        q_lines, topic = _question_before(doc, pending, topic)
        if summary and not is_answer_label(summary.group(1)):
            question, q_line = TAG.sub("", summary.group(1)), ln.no
        elif q_lines:
            question = " ".join(x.text.strip() for x in q_lines)
            q_line = q_lines[0].no
        else:
            raise InputError("answer block has no question before it", where=f"line {ln.no}")
        yield ParsedQA(clean_question(question), clean_answer(body.splitlines()), topic, q_line)
        pending, i = [], j + 1


def _question_before(doc: Document, pending: list[Line], topic: str) -> tuple[list[Line], str]:
    """The question text that precedes a <details> answer, and the topic in force."""
    start = 0
    for k, ln in enumerate(pending):
        t = topic_of(doc, ln)
        if t is not None and not ln.text.lstrip("#").strip().endswith("?"):
            topic, start = t or topic, k + 1
        elif not ln.fenced and (Q_MARK.match(ln.text) or ln.no in doc.headings):
            start = k
    body = [ln for ln in pending[start:] if ln.text.strip() and not SEPARATOR.match(ln.text)]
    return body, topic


# ----------------------------------------------------------------- question headings


def question_level(doc: Document) -> tuple[int, bool] | None:
    """The heading level that holds questions, and whether every heading there is one (when
    at least 80% of them read as questions, the rest are questions phrased as commands)."""
    asking = Counter(level for level, text in doc.headings.values() if is_question_like(text))
    if asking.get(1) == 1:
        del asking[1]  # a document title that happens to end in '?'
    if not asking:
        return None
    level = max(sorted(asking), key=lambda lv: asking[lv])
    total = sum(1 for lv, _ in doc.headings.values() if lv == level)
    return level, asking[level] >= 0.8 * total


def _heading_question(doc: Document, ln: Line, level: tuple[int, bool] | None) -> bool:
    h = None if ln.fenced or level is None else doc.headings.get(ln.no)
    if not h or h[0] != level[0]:
        return False
    if is_question_like(h[1]):
        return True
    name = clean_topic(h[1]).lower()
    return level[1] and name not in LEVEL_WORDS and name not in SECTION_WORDS


def _read_headings(doc: Document, default_topic: str) -> Iterator[ParsedQA]:
    level = question_level(doc)
    topic, q_line, q_text, q_num, body = default_topic, None, "", None, []

    def flush() -> Iterator[ParsedQA]:
        if q_line is not None:
            yield ParsedQA(clean_question(q_text), clean_answer(body), topic, q_line, q_num)

    for ln in doc.lines:
        h = None if ln.fenced else doc.headings.get(ln.no)
        if _heading_question(doc, ln, level):
            yield from flush()
            q_line, q_text, body = ln.no, h[1], []
            num = NUMBER_PREFIX.match(strip_md(h[1]))
            q_num = num.group(1) if num else None
        elif h and h[0] <= level[0]:
            yield from flush()
            new_topic = topic_of(doc, ln)
            topic, q_line = new_topic or topic, None
        elif q_line is not None:
            body.append(ln.text)
    yield from flush()


def _numbered_question(ln: Line) -> re.Match | None:
    m = NUMBERED.match(ln.text)
    return m if m and strip_md(m.group(2)).rstrip().endswith("?") else None


SHAPES: dict[str, Callable[[Document, str], Iterator[ParsedQA]]] = {
    "details": _read_details,
    "labelled": _read_labelled,
    "numbered-bold": lambda d, t: _read_items(d, t, lambda ln: NUMBERED_BOLD.match(ln.text)),
    "bold-lines": lambda d, t: _read_items(d, t, lambda ln: BOLD_LINE.match(ln.text)),
    "headings": _read_headings,
    "numbered": lambda d, t: _read_items(d, t, _numbered_question),
}
# Markers that say "this is the answer", with the share of another shape's questions they must
# mark to win: a <details> block is unmistakable (sub-question lists inflate the numbered
# count), an "Answer:" label on only some questions is more likely a habit inside answers.
EXPLICIT = {"details": 0.5, "labelled": 0.8}


def _asks(m: re.Match | None) -> bool:
    """A bold candidate counts when it reads as a question: a bold "**Example:**" label
    inside an answer must not outvote the question headings around it."""
    return bool(m) and clean_question(m.group(m.lastindex or 0)).endswith("?")


def shape_counts(doc: Document) -> dict[str, int]:
    """How many questions each shape would find (candidates that read as questions)."""
    plain = [ln for ln in doc.lines if not ln.fenced]
    level = question_level(doc)
    return {
        "details": sum(bool(DETAILS_OPEN.match(ln.text)) for ln in plain),
        "labelled": min(sum(bool(Q_MARK.match(ln.text)) for ln in plain),
                        sum(bool(A_MARK.match(ln.text)) for ln in plain)),
        "numbered-bold": sum(_asks(NUMBERED_BOLD.match(ln.text)) for ln in plain),
        "bold-lines": sum(_asks(BOLD_LINE.match(ln.text)) for ln in plain),
        "headings": sum(_heading_question(doc, ln, level) for ln in plain),
        "numbered": sum(bool(_numbered_question(ln)) for ln in plain),
    }


def detect_shape(doc: Document) -> str | None:
    """Explicit answer markers win when they mark (nearly) every question another shape
    finds; otherwise the shape with most questions (ties: the order of SHAPES)."""
    count = shape_counts(doc)
    best = max(SHAPES, key=lambda s: (count[s], -list(SHAPES).index(s)))
    if count[best] == 0:
        return None
    items = max(count[s] for s in SHAPES if s not in EXPLICIT)
    for shape in EXPLICIT:
        if count[shape] and count[shape] >= EXPLICIT[shape] * items:
            return shape
    return max((s for s in SHAPES if s not in EXPLICIT),
               key=lambda s: (count[s], -list(SHAPES).index(s)))
