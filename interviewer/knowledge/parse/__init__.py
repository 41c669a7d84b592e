"""Turn interview-question files (Markdown, or HTML tables) into (question, answer) pairs.

The file is read once with markdown-it-py (`document.py`): its token tree tells code from
text, real headings (and their levels) from lines that only look like them, and finds tables.
Question/answer tables, Markdown or HTML, give pairs wherever they are (`tables.py`); the rest
of the file is read with the rules of its shape (`shapes.py`: labelled Q/A, `<details>`
answers, numbered or bold questions, question headings with sub-headed answers). Section
headings set the topic of the questions under them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from interviewer.errors import InputError
from interviewer.knowledge.parse.document import Document, read_document
from interviewer.knowledge.parse.shapes import SHAPES, ParsedQA, detect_shape, topic_of
from interviewer.knowledge.parse.text import clean_answer, clean_question, is_placeholder

__all__ = ["ParsedQA", "Skipped", "parse_markdown", "parse_pairs", "read_document"]


@dataclass(frozen=True)
class Skipped:
    """A question left out of a file's pairs, with its line and why."""

    line: int
    question: str
    reason: str


def _topics_by_line(doc: Document, default: str) -> list[str]:
    """The topic in force at each line (index = line - 1)."""
    out, topic = [], default
    for ln in doc.lines:
        out.append(topic)
        topic = topic_of(doc, ln) or topic
    return out


def _pairs(doc: Document, default_topic: str, source: str) -> list[ParsedQA]:
    topics = _topics_by_line(doc, default_topic)
    out = [ParsedQA(clean_question(p.question), clean_answer(p.answer.splitlines()),
                    topics[p.line - 1] if p.line <= len(topics) else default_topic, p.line)
           for p in doc.table_pairs]
    shape = detect_shape(doc)
    if shape is not None:
        try:
            out += list(SHAPES[shape](doc, default_topic))
        except InputError as e:
            raise InputError(str(e).split(": ", 1)[-1],
                             where=f"{source}:{e.where or ''}".rstrip(":")
                             .replace(":line ", ":")) from e
    if not out:
        raise InputError(
            "no questions found; expected one of the supported shapes "
            "(**Q1: ...** / **A:** ..., ### Q: headings, question headings, <details> answers, "
            "numbered lists, whole-line bold questions, Question | Answer tables)", where=source)
    return sorted(out, key=lambda qa: qa.line)


def parse_pairs(text: str, source: str = "<text>") -> tuple[list[ParsedQA], list[Skipped]]:
    """The pairs of a Q&A file (Markdown, or HTML with Q&A tables), and the questions left
    out because their answer is empty or a placeholder ("Answer here"). Errors (no pairs, an
    empty question, an unclosed block) name `source` and the line."""
    doc = read_document(text)
    default_topic = doc.title or (Path(source).stem if source != "<text>" else "General")
    out: list[ParsedQA] = []
    skipped: list[Skipped] = []
    for qa in _pairs(doc, default_topic, source):
        if not qa.question:
            raise InputError("question text is empty", where=f"{source}:{qa.line}")
        if not qa.answer or is_placeholder(qa.answer):
            reason = "has no answer" if not qa.answer else f"has only {qa.answer.strip()!r}"
            skipped.append(Skipped(qa.line, qa.question, reason))
        else:
            out.append(qa)
    return out, skipped


def parse_markdown(text: str, source: str = "<text>", *,
                   skip_unanswered: bool = False) -> list[ParsedQA]:
    """Parse a Q&A file. A question whose answer is empty, or only a placeholder, is an error
    naming its line unless `skip_unanswered` is set, in which case it is left out."""
    pairs, skipped = parse_pairs(text, source)
    if skipped and not skip_unanswered:
        first = skipped[0]
        raise InputError(f"question {first.question[:60]!r} has no answer "
                         "(add one, or remove the question)", where=f"{source}:{first.line}")
    return pairs
