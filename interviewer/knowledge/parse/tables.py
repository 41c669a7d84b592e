"""Question/answer tables, in Markdown (from markdown-it's table tokens) and in HTML (read
with the standard library's HTMLParser).

Which column holds questions and which answers is found by the header (Question / Q / Prompt;
Answer / A / Solution / Explanation / Response), else by content: the question column is the
one whose cells mostly end in '?', the answer column the one with the longest text among the
rest. A table with neither (a comparison table inside an answer, a notice box) is not a Q&A
table and stays part of the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

Q_HEADER = re.compile(r"^\W*(?:q|questions?|prompts?|interview questions?)\W*$", re.IGNORECASE)
A_HEADER = re.compile(r"^\W*(?:a|answers?|solutions?|explanations?|responses?|model answers?)\W*$",
                      re.IGNORECASE)
HTML_TABLE = re.compile(r"<table\b.*?</table\s*>", re.IGNORECASE | re.DOTALL)


@dataclass
class Table:
    first_line: int  # 1-based, inclusive
    last_line: int
    rows: list[tuple[int, list[str]]] = field(default_factory=list)  # (line, cells)
    header: list[str] | None = None


@dataclass(frozen=True)
class TablePair:
    question: str
    answer: str
    line: int


def qa_columns(table: Table) -> tuple[int, int] | None:
    """(question column, answer column), or None when this is not a Q&A table."""
    if table.header:
        q = next((i for i, h in enumerate(table.header) if Q_HEADER.match(h)), None)
        a = next((i for i, h in enumerate(table.header) if A_HEADER.match(h)), None)
        if q is not None and a is not None and q != a:
            return q, a
    rows = [cells for _, cells in table.rows if any(c.strip() for c in cells)]
    width = max((len(c) for c in rows), default=0)
    if width < 2 or not rows:
        return None
    asks = [sum(_cell(r, i).rstrip("*_ ").endswith("?") for r in rows) for i in range(width)]
    q = max(range(width), key=lambda i: asks[i])
    if asks[q] * 2 < len(rows):
        return None
    rest = [i for i in range(width) if i != q]
    a = max(rest, key=lambda i: sum(len(_cell(r, i)) for r in rows))
    return q, a


def _cell(row: list[str], i: int) -> str:
    return row[i].strip() if i < len(row) else ""


def table_pairs(table: Table) -> list[TablePair] | None:
    cols = qa_columns(table)
    if cols is None:
        return None
    q, a = cols
    return [TablePair(_cell(cells, q), _cell(cells, a), line) for line, cells in table.rows
            if _cell(cells, q)]


# ------------------------------------------------------------------ Markdown tables


def markdown_tables(tokens) -> list[Table]:
    """Tables from markdown-it tokens (the `table` rule enabled)."""
    out: list[Table] = []
    current: Table | None = None
    row: list[str] | None = None
    in_head = False
    for tok in tokens:
        if tok.type == "table_open":
            current = Table(tok.map[0] + 1, tok.map[1])
        elif tok.type == "thead_open":
            in_head = True
        elif tok.type == "thead_close":
            in_head = False
        elif tok.type == "tr_open" and current is not None:
            row, row_line = [], tok.map[0] + 1
        elif tok.type == "inline" and row is not None and current is not None:
            row.append(re.sub(r"\s*<br\s*/?>\s*", "\n", tok.content, flags=re.IGNORECASE))
        elif tok.type == "tr_close" and current is not None and row is not None:
            if in_head:
                current.header = row
            else:
                current.rows.append((row_line, row))
            row = None
        elif tok.type == "table_close" and current is not None:
            out.append(current)
            current = None
    return out


# ------------------------------------------------------------------ HTML tables


class _TableReader(HTMLParser):
    """Rows of one HTML table as text: <br>, <p>, <li> break lines, <code> keeps backticks,
    <pre> becomes a fenced block."""

    BREAKS = {"br", "p", "li", "div", "tr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[tuple[int, list[str], bool]] = []  # (line offset, cells, is header)
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._header_row = False
        self._line = 0
        self._pre = 0

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self._row, self._header_row, self._line = [], True, self.getpos()[0]
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
            self._header_row = self._header_row and tag == "th"  # a header row is all <th>
        elif self._cell is not None:
            self._open_inline(tag)

    def _open_inline(self, tag: str) -> None:
        if tag == "pre":
            self._pre += 1
            self._cell.append("\n```\n")
        elif tag == "code" and not self._pre:
            self._cell.append("`")
        elif tag == "li":
            self._cell.append("\n- ")
        elif tag in self.BREAKS:
            self._cell.append("\n")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append((self._line, self._row, self._header_row))
            self._row = None
        elif self._cell is not None:
            if tag == "pre":
                self._pre -= 1
                self._cell.append("\n```\n")
            elif tag == "code" and not self._pre:
                self._cell.append("`")
            elif tag in ("p", "div"):
                self._cell.append("\n")

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data if self._pre else re.sub(r"[ \t\r\n]+", " ", data))


def _tidy(cell: str) -> str:
    lines = [ln.rstrip() for ln in cell.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(ln.strip() if "```" not in ln else ln
                                               for ln in lines)).strip()


def html_tables(text: str) -> list[Table]:
    """Every <table> in `text` (nested tables are read as part of their outer cell)."""
    out: list[Table] = []
    for m in HTML_TABLE.finditer(text):
        first = text.count("\n", 0, m.start()) + 1
        reader = _TableReader()
        reader.feed(m.group(0))
        reader.close()
        table = Table(first, first + m.group(0).count("\n"))
        for offset, cells, is_header in reader.rows:
            cells = [_tidy(c) for c in cells]
            if is_header and table.header is None and not table.rows:
                table.header = cells
            else:
                table.rows.append((first + offset - 1, cells))
        out.append(table)
    return out
