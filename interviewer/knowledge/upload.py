"""A question bank uploaded by one user (e.g. from the web page): checked, parsed and
ingested as that user's own private source, with a summary of what was found and skipped.

Nothing is written unless the whole file parses: a bad file (too large, not UTF-8, an
unsupported type, no question/answer pairs) is an `InputError` that says what to fix.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interviewer.errors import InputError
from interviewer.knowledge.corpus import load_markdown_text
from interviewer.knowledge.sources import slugify_source

MAX_UPLOAD_BYTES = 1_000_000
UPLOAD_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm")


@dataclass
class UploadResult:
    source: str  # the private source's name (pass it in a plan's "sources")
    filename: str
    found: int  # question/answer pairs ingested
    skipped: list[str] = field(default_factory=list)  # "file:line: question '...' why"

    def markdown(self) -> str:
        """What the page shows after an upload."""
        pairs = "pair" if self.found == 1 else "pairs"
        lines = [f"✅ **{self.filename}**: {self.found} question/answer {pairs} found, "
                 f"{len(self.skipped)} skipped. They are your private bank "
                 f"**{self.source}**: press **Start interview** to be asked from it."]
        lines += [f"- skipped {s}" for s in self.skipped]
        return "\n".join(lines)


def upload_source_name(filename: str, user_id: str) -> str:
    """A source name of the file's stem, made unique to the user (so two users may upload
    files of the same name; the same user re-uploading a file replaces its questions)."""
    stem = slugify_source(Path(filename).name) or "bank"
    tag = hashlib.sha256(user_id.encode()).hexdigest()[:6]
    return f"{stem[:36].strip('-_')}-{tag}"


def read_upload(filename: str, data: bytes) -> str:
    """The uploaded file's text, or an `InputError` naming the file and what to fix."""
    if Path(filename).suffix.lower() not in UPLOAD_SUFFIXES:
        raise InputError("unsupported file type; upload a .md, .txt or .html file",
                         where=filename)
    if len(data) > MAX_UPLOAD_BYTES:
        raise InputError(f"the file is {len(data):,} bytes; the limit is "
                         f"{MAX_UPLOAD_BYTES:,} (1 MB): split it into smaller files",
                         where=filename)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"not UTF-8 text ({e.reason}); save the file as UTF-8",
                         where=filename) from e


def ingest_upload(store: Any, user_id: str, filename: str, data: bytes) -> UploadResult:
    """Parse an uploaded Q&A file and make it `user_id`'s private source."""
    if not user_id:
        raise InputError("uploading a bank needs a user id")
    filename = Path(filename).name
    text = read_upload(filename, data)
    skipped: list[str] = []
    loaded = load_markdown_text(text, filename, skip_unanswered=True, skipped=skipped)
    if not loaded:
        raise InputError("no question with an answer found", where=filename)
    source = upload_source_name(filename, user_id)
    store.ingest([item.question for item in loaded], source=source,
                 origin=f"upload:{filename}", owner=user_id)
    return UploadResult(source, filename, len(loaded), skipped)
