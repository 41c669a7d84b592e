"""Turn interview-question markdown into (question, answer) pairs.

People write Q&A markdown in a handful of shapes. The parser first decides which shape a
file has (lines inside code fences never count), then reads it with that shape's rules:

- ``labelled``: questions and answers carry markers: ``**Q17: ...**`` / ``**A:** ...``,
  ``### Q: ...`` / ``A: ...`` (the seed corpus shape).
- ``details``: each answer sits in a ``<details>`` block; the question is the heading or
  numbered item before it (plus any sub-question list).
- ``numbered-bold``: ``12. **question**`` items with indented answers and code.
- ``bold-lines``: whole-line bold questions followed by unlabelled answers.
- ``headings``: question headings (``### What is X?``) followed by answer paragraphs.
- ``numbered``: ``12. question?`` items, the answer is the following paragraph(s).

Section headings (``## Topic``) set the topic of the questions under them.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from interviewer.errors import InputError

FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
Q_MARK = re.compile(
    r"^\s*(?:#{1,6}\s+)?(?:\*\*|__)?\s*(?:Q(?:uestion)?\s*(\d*)\s*[:.)]|Q(\d+)\b)\s*(.*)$",
    re.IGNORECASE,
)
A_MARK = re.compile(r"^\s*(?:#{1,6}\s+)?(?:\*\*|__)?\s*A(?:nswer)?\s*[:.)]\s*(?:\*\*|__)?\s*(.*)$",
                    re.IGNORECASE)
NUMBERED_BOLD = re.compile(r"^\s{0,3}(\d+)[.)]\s+\*\*(.+?)\*\*:?\s*$")
BOLD_LINE = re.compile(r"^\*\*(.+)\*\*\s*$")
NUMBERED = re.compile(r"^(\d+)[.)]\s+(\S.*)$")
DETAILS_OPEN = re.compile(r"^\s*<details\b", re.IGNORECASE)
DETAILS_CLOSE = re.compile(r"</details>", re.IGNORECASE)
SUMMARY = re.compile(r"<summary>.*?</summary>", re.IGNORECASE | re.DOTALL)
SEPARATOR = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,}|<br\s*/?>)\s*$", re.IGNORECASE)
LEVEL_WORDS = {"basic", "basics", "beginner", "easy", "intermediate", "medium", "advanced", "hard",
               "expert"}
PLACEHOLDERS = {"answer here", "todo", "tbd", "tba", "coming soon", "..."}
# Difficulty markers some collections append to questions (👶 ⭐️ 🚀), with their joiners.
TRAILING_MARKS = re.compile(r"[\s\u200d\ufe0f\u2b50\U0001F476\U0001F680]+$")


@dataclass(frozen=True)
class ParsedQA:
    question: str
    answer: str
    topic: str
    line: int  # 1-based line of the question
    number: str | None = None  # the number the file gave the question, if any


@dataclass(frozen=True)
class _Line:
    no: int
    text: str
    fenced: bool  # inside (or opening/closing) a code fence


def _lines(text: str) -> list[_Line]:
    out: list[_Line] = []
    in_fence = False
    for no, raw in enumerate(text.splitlines(), start=1):
        is_fence = bool(FENCE.match(raw))
        out.append(_Line(no, raw.rstrip(), in_fence or is_fence))
        if is_fence:
            in_fence = not in_fence
    return out


def _strip_md(s: str) -> str:
    s = s.strip()
    s = re.sub(r"^(\*\*|__)(.*)(\*\*|__)$", r"\2", s).strip()
    return s


def clean_topic(heading: str) -> str:
    """'**1. Basics of PyTorch (Questions 1-15)**' -> 'Basics of PyTorch'."""
    t = _strip_md(heading)
    t = re.sub(r"^\d+[.)]\s*", "", t)
    t = re.sub(r"\s*\((?:questions?|q)\s*\d+\s*[-–]\s*\d+\)\s*$", "", t, flags=re.IGNORECASE)
    return _strip_md(t) or heading.strip()


def clean_question(text: str) -> str:
    q = _strip_md(text)
    m = Q_MARK.match(q)
    if m:
        q = m.group(3)
    q = re.sub(r"^\d+[.)]\s+", "", q)
    q = _strip_md(q)
    q = TRAILING_MARKS.sub("", q)
    q = re.sub(r"\*\*$", "", q).strip()
    return q


def clean_answer(lines: list[str]) -> str:
    kept = [ln for ln in lines if not SEPARATOR.match(ln)]
    body = textwrap.dedent("\n".join(kept)).strip("\n")
    body = re.sub(r"\n{3,}", "\n\n", body)
    return body.strip()


def is_placeholder(answer: str) -> bool:
    return answer.strip().strip(".").lower() in PLACEHOLDERS


def _is_topic_heading(ln: _Line) -> str | None:
    """The topic a section heading sets; "" for a heading that only names a level
    (### Basic, #### Advanced), which ends the previous answer but keeps the topic."""
    if ln.fenced:
        return None
    m = HEADING.match(ln.text)
    if not m or Q_MARK.match(ln.text) or A_MARK.match(ln.text):
        return None
    topic = clean_topic(m.group(2))
    return "" if topic.lower() in LEVEL_WORDS else topic


# ---------------------------------------------------------------- shape readers


def _read_labelled(lines: list[_Line], default_topic: str) -> Iterator[ParsedQA]:
    topic, q_line, q_num, q_parts, a_parts, in_answer = default_topic, None, None, [], [], False

    def flush() -> Iterator[ParsedQA]:
        if q_line is not None:
            yield ParsedQA(clean_question(" ".join(q_parts)), clean_answer(a_parts), topic,
                           q_line, q_num or None)

    for ln in lines:
        qm = None if ln.fenced else Q_MARK.match(ln.text)
        am = None if ln.fenced else A_MARK.match(ln.text)
        new_topic = _is_topic_heading(ln)
        if qm:
            yield from flush()
            q_line, q_num = ln.no, qm.group(1) or qm.group(2)
            q_parts, a_parts, in_answer = [ln.text], [], False
        elif am and q_line is not None and not in_answer:
            in_answer = True
            a_parts = [am.group(1)]
        elif new_topic is not None:
            yield from flush()
            topic, q_line = new_topic or topic, None
        elif q_line is not None:
            (a_parts if in_answer else q_parts).append(ln.text)
    yield from flush()


def _read_items(lines: list[_Line], default_topic: str,
                is_question: Callable[[_Line], re.Match | None],
                stop_at_headings: bool = True) -> Iterator[ParsedQA]:
    """Shared reader for shapes where a question line is followed by its unlabelled answer."""
    topic, q_line, q_text, q_num, body = default_topic, None, "", None, []

    def flush() -> Iterator[ParsedQA]:
        if q_line is not None:
            yield ParsedQA(clean_question(q_text), clean_answer(body), topic, q_line, q_num)

    for ln in lines:
        m = None if ln.fenced else is_question(ln)
        new_topic = _is_topic_heading(ln) if stop_at_headings and not m else None
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


def _read_details(lines: list[_Line], default_topic: str) -> Iterator[ParsedQA]:
    topic = default_topic
    pending: list[_Line] = []  # lines since the last answer block
    i = 0
    while i < len(lines):
        ln = lines[i]
        if not ln.fenced and DETAILS_OPEN.match(ln.text):
            j = i
            while j < len(lines) and not (not lines[j].fenced and DETAILS_CLOSE.search(lines[j].text)):
                j += 1
            if j == len(lines):
                raise InputError("<details> block is never closed", where=f"line {ln.no}")
            block = "\n".join(x.text for x in lines[i:j + 1])
            block = SUMMARY.sub("", block)
            block = re.sub(r"</?details[^>]*>", "", block, flags=re.IGNORECASE)
            q_lines, topic = _question_before(pending, topic)
            if not q_lines:
                raise InputError("answer block has no question before it", where=f"line {ln.no}")
            yield ParsedQA(clean_question(" ".join(x.text.strip() for x in q_lines)),
                           clean_answer(block.splitlines()), topic, q_lines[0].no)
            pending, i = [], j + 1
            continue
        pending.append(ln)
        i += 1


def _question_before(pending: list[_Line], topic: str) -> tuple[list[_Line], str]:
    """The question text that precedes a <details> answer, and the topic in force."""
    start = 0
    for k, ln in enumerate(pending):
        t = _is_topic_heading(ln)
        if t is not None and not ln.text.lstrip("#").strip().endswith("?"):
            topic, start = t or topic, k + 1
        elif not ln.fenced and (Q_MARK.match(ln.text) or HEADING.match(ln.text)):
            start = k
    body = [ln for ln in pending[start:] if ln.text.strip() and not SEPARATOR.match(ln.text)]
    return body, topic


def _question_heading(ln: _Line) -> re.Match | None:
    m = HEADING.match(ln.text)
    if m and len(m.group(1)) >= 2 and m.group(2).rstrip("*_ ").endswith("?"):
        return re.match(r"^#{2,6}\s+()(.*)$", ln.text)
    return None


def _numbered_question(ln: _Line) -> re.Match | None:
    m = NUMBERED.match(ln.text)
    return m if m and _strip_md(m.group(2)).rstrip().endswith("?") else None


SHAPES: dict[str, Callable[[list[_Line], str], Iterator[ParsedQA]]] = {
    "details": _read_details,
    "labelled": _read_labelled,
    "numbered-bold": lambda ls, t: _read_items(ls, t, lambda ln: NUMBERED_BOLD.match(ln.text)),
    "bold-lines": lambda ls, t: _read_items(ls, t, lambda ln: BOLD_LINE.match(ln.text)),
    "headings": lambda ls, t: _read_items(ls, t, _question_heading),
    "numbered": lambda ls, t: _read_items(ls, t, _numbered_question),
}


def detect_shape(lines: list[_Line]) -> str | None:
    plain = [ln for ln in lines if not ln.fenced]
    count = {
        "details": sum(bool(DETAILS_OPEN.match(ln.text)) for ln in plain),
        "labelled": min(sum(bool(Q_MARK.match(ln.text)) for ln in plain),
                        sum(bool(A_MARK.match(ln.text)) for ln in plain)),
        "numbered-bold": sum(bool(NUMBERED_BOLD.match(ln.text)) for ln in plain),
        "bold-lines": sum(bool(BOLD_LINE.match(ln.text)) for ln in plain),
        "headings": sum(bool(_question_heading(ln)) for ln in plain),
        "numbered": sum(bool(_numbered_question(ln)) for ln in plain),
    }
    for shape in SHAPES:  # in priority order: the most explicit markers win
        if count[shape] >= 1:
            return shape
    return None


def parse_markdown(text: str, source: str = "<text>", *,
                   skip_unanswered: bool = False) -> list[ParsedQA]:
    """Parse Q&A markdown. Errors name `source` and the line.

    An answer that is empty, or only a placeholder such as "Answer here", is an error unless
    `skip_unanswered` is set, in which case the pair is left out.
    """
    lines = _lines(text)
    shape = detect_shape(lines)
    if shape is None:
        raise InputError(
            "no questions found; expected one of the supported shapes "
            "(**Q1: ...** / **A:** ..., ### Q: headings, <details> answers, numbered lists, "
            "whole-line bold questions)", where=source)
    default_topic = Path(source).stem if source != "<text>" else "General"
    try:
        pairs = list(SHAPES[shape](lines, default_topic))
    except InputError as e:
        raise InputError(str(e).split(": ", 1)[-1], where=f"{source}:{e.where or ''}".rstrip(":")
                         .replace(":line ", ":")) from e
    out: list[ParsedQA] = []
    for qa in pairs:
        if not qa.question:
            raise InputError("question text is empty", where=f"{source}:{qa.line}")
        if not qa.answer or is_placeholder(qa.answer):
            if skip_unanswered:
                continue
            raise InputError(f"question {qa.question[:60]!r} has no answer "
                             "(add one, or remove the question)", where=f"{source}:{qa.line}")
        out.append(qa)
    return out
