"""A Q&A file read once into what the shape readers need, with markdown-it-py's token tree
deciding the structure: which lines are code (fenced or indented blocks, wherever they sit,
e.g. inside list items), which are real headings and at what level, and which tables hold
questions and answers. Front matter is set aside (its `title`/`topic` names the default topic).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml
from markdown_it import MarkdownIt

from interviewer.knowledge.parse.tables import Table, TablePair, html_tables, markdown_tables, \
    table_pairs
from interviewer.knowledge.parse.text import FENCE

# A one-line HTML heading; the closing tag is often forgotten.
HTML_HEADING = re.compile(r"^\s*(?:\*\*)?<h([1-6])\b[^>]*>(.*?)(?:</h\1>)?(?:\*\*)?\s*$",
                          re.IGNORECASE)
FRONT_MATTER = re.compile(r"\A(?:\ufeff)?---[ \t]*\n(.*?\n)(?:---|\.\.\.)[ \t]*(?:\n|\Z)",
                          re.DOTALL)


@dataclass(frozen=True)
class Line:
    no: int
    text: str
    fenced: bool  # inside (or opening/closing) a code block


@dataclass
class Document:
    lines: list[Line]
    headings: dict[int, tuple[int, str]]  # line -> (level, text) of each real heading
    table_pairs: list[TablePair] = field(default_factory=list)
    title: str | None = None  # from front matter


def _front_matter(text: str) -> tuple[str, str | None]:
    """The text with its YAML front matter blanked (line numbers kept), and its title."""
    m = FRONT_MATTER.match(text)
    if not m:
        return text, None
    try:
        meta = yaml.safe_load(m.group(1))
    except yaml.YAMLError:
        return text, None  # a '---' rule followed by prose, not front matter
    if not isinstance(meta, dict):
        return text, None
    title = meta.get("topic") or meta.get("title")
    return "\n" * m.group(0).count("\n") + text[m.end():], str(title) if title else None


def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


def _code_lines(text: str, tokens) -> set[int]:
    """1-based lines that are code: markdown-it's fence/code_block tokens, plus fences the
    line scan sees (a fence badly indented inside a list is still code to a reader)."""
    code: set[int] = set()
    for tok in tokens:
        if tok.type in ("fence", "code_block") and tok.map:
            code.update(range(tok.map[0] + 1, tok.map[1] + 1))
    in_fence = False
    for no, raw in enumerate(text.splitlines(), start=1):
        is_fence = bool(FENCE.match(raw))
        if in_fence or is_fence:
            code.add(no)
        if is_fence:
            in_fence = not in_fence
    return code


def _headings(tokens, lines: list[str], code: set[int]) -> dict[int, tuple[int, str]]:
    """Markdown ATX headings from the token tree, plus one-line HTML headings (<h3>...</h3>,
    which markdown-it leaves as raw HTML)."""
    out: dict[int, tuple[int, str]] = {}
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.map and tok.markup.startswith("#"):
            line = tok.map[0] + 1
            if line not in code:
                out[line] = (int(tok.tag[1]), tokens[i + 1].content.strip())
    for no, text in enumerate(lines, start=1):
        m = None if no in code else HTML_HEADING.match(text)
        if m:
            out[no] = (int(m.group(1)), re.sub(r"<[^>]+>", "", m.group(2)).strip())
    return out


def read_document(text: str) -> Document:
    text, title = _front_matter(text)
    raw_lines = text.splitlines()
    tokens = _markdown().parse(text)
    code = _code_lines(text, tokens)
    blanked = "\n".join("" if no in code else ln for no, ln in enumerate(raw_lines, start=1))
    tables: list[Table] = markdown_tables(tokens) + html_tables(blanked)
    pairs: list[TablePair] = []
    consumed: set[int] = set()
    for table in tables:
        found = table_pairs(table)
        if found is not None:
            pairs.extend(found)
            consumed.update(range(table.first_line, table.last_line + 1))
    lines = [Line(no, "" if no in consumed else raw.rstrip(), no in code)
             for no, raw in enumerate(raw_lines, start=1)]
    return Document(lines, _headings(tokens, raw_lines, code),
                    sorted(pairs, key=lambda p: p.line), title)
