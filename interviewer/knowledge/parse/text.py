"""Line patterns and text cleaners shared by the shape readers."""

from __future__ import annotations

import re
import textwrap

FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
Q_MARK = re.compile(
    r"^\s*(?:#{1,6}\s+)?(?:\*\*|__)?\s*(?:Q(?:uestion)?\s*(\d+(?:\.\d+)*|)(?:\*\*|__)?\s*[:.)]"
    r"|Q(\d+(?:\.\d+)*)\b)"
    r"(?:\s*(?:\*\*|__)(?=\s))?\s*(.*)$",
    re.IGNORECASE,
)
A_MARK = re.compile(r"^\s*(?:#{1,6}\s+)?(?:\*\*|__)?\s*A(?:nswer)?(?:\*\*|__)?\s*[:.)]"
                    r"\s*(?:\*\*|__)?\s*(.*)$", re.IGNORECASE)
# "12. **question**", also with escaped asterisks ("12. \\*\\*question\\*\\*"), as editors save it.
NUMBERED_BOLD = re.compile(r"^\s{0,3}(\d+)[.)]\s+\\?\*\\?\*(.+?)\\?\*\\?\*:?\s*$")
BOLD_LINE = re.compile(r"^\*\*(.+)\*\*\s*$")
NUMBERED = re.compile(r"^(\d+)[.)]\s+(\S.*)$")
NUMBER_PREFIX = re.compile(r"^(?:Q(?:uestion)?\s*)?(\d+)\s*[.):]\s+", re.IGNORECASE)
BULLET = re.compile(r"^\s*[-*+]\s+")
DETAILS_OPEN = re.compile(r"^\s*(?:[-*+]\s+|\d+[.)]\s+)?<details\b", re.IGNORECASE)
DETAILS_CLOSE = re.compile(r"</details>", re.IGNORECASE)
SUMMARY = re.compile(r"<summary>(.*?)</summary>", re.IGNORECASE | re.DOTALL)
SEPARATOR = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,}|<br\s*/?>)\s*$", re.IGNORECASE)
TAG = re.compile(r"<[^>]+>")
LEVEL_WORDS = {"basic", "basics", "beginner", "easy", "intermediate", "medium", "advanced", "hard",
               "expert"}
# Answers that only hold a place ("Answer here", "_[To be filled]_", "*solution*", "..."),
# compared after dropping markup and punctuation.
PLACEHOLDERS = {"", "answer here", "your answer here", "write your answer here", "answer",
                "solution", "todo", "to do", "tbd", "tba", "coming soon", "to be filled", "wip"}
# A label that opens an answer ("**Answer:**", "A:"); the reader keeps the text after it.
ANSWER_LABEL = re.compile(r"^\s*(?:\*\*|__)?\s*(?:answer|a)(?:\*\*|__)?\s*:\s*(?:\*\*|__)?\s*(.*)$",
                          re.IGNORECASE)
# Headings that only number a question ("## Question 7") name no topic.
NUMBER_HEADING = re.compile(r"^(?:q|question|problem|exercise|task)\s*\d+[.:)]?$", re.IGNORECASE)
# Difficulty markers some collections append to questions (👶 ⭐️ 🚀), with their joiners.
TRAILING_MARKS = re.compile(r"[\s\u200d\ufe0f\u2b50\U0001F476\U0001F680]+$")


def strip_md(s: str) -> str:
    s = s.strip()
    s = re.sub(r"^(\*\*|__)(.*)(\*\*|__)$", r"\2", s).strip()
    return s


def clean_topic(heading: str) -> str:
    """'**1. Basics of PyTorch (Questions 1-15)**' -> 'Basics of PyTorch'."""
    t = strip_md(heading)
    t = re.sub(r"^\d+[.)]\s*", "", t)
    t = re.sub(r"\s*\((?:questions?|q)\s*\d+\s*[-–]\s*\d+\)\s*$", "", t, flags=re.IGNORECASE)
    return strip_md(t) or heading.strip()


def clean_question(text: str) -> str:
    q = BULLET.sub("", strip_md(re.sub(r"^\s*#{1,6}\s+", "", text)))
    m = Q_MARK.match(q)
    if m:
        q = m.group(3)
    q = re.sub(r"^\d+[.)]\s+", "", q)
    q = strip_md(q)
    q = TRAILING_MARKS.sub("", q)
    q = re.sub(r"\*\*$", "", q).strip()
    return q


def clean_answer(lines: list[str]) -> str:
    kept = [ln for ln in lines if not SEPARATOR.match(ln)]
    first = next((i for i, ln in enumerate(kept) if ln.strip()), None)
    label = ANSWER_LABEL.match(kept[first]) if first is not None else None
    if label:
        kept[first] = " " * (len(kept[first]) - len(kept[first].lstrip())) + label.group(1)
    body = textwrap.dedent("\n".join(kept)).strip("\n")
    body = re.sub(r"\n{3,}", "\n\n", body)
    return body.strip()


def is_placeholder(answer: str) -> bool:
    return re.sub(r"[\s*_\[\]().:!…-]+", " ", answer).strip().lower() in PLACEHOLDERS


def is_question_like(text: str) -> bool:
    """A heading or cell that reads as a question: ends with '?' or carries a number/Q label."""
    t = strip_md(text)
    return t.rstrip("*_ ").endswith("?") or bool(NUMBER_PREFIX.match(t))
