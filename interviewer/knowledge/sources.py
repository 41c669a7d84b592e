"""Sources: every question belongs to one, and its id is namespaced by it.

The built-in bank (``knowledge/questions/``) is the source ``pytorch``; a file or folder a
user ingests is a source named after it (``my-notes.md`` -> ``my-notes``) or by ``--source``.
A question's public id is ``<source>/<local id>`` (``my-notes/Q17``); the built-in bank keeps
its bare ids (``Q17``), so sessions, evals and exercises that name ``Q17`` keep working, and
``pytorch/Q17`` means the same question.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from interviewer.errors import InputError

BUILTIN = "pytorch"
SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")


def slugify_source(text: str) -> str:
    """'My Notes (2024).md' -> 'my-notes-2024'."""
    stem = Path(text).stem if Path(text).suffix else Path(text).name
    return re.sub(r"[^a-z0-9_]+", "-", stem.lower()).strip("-_")[:48].strip("-_")


def check_source_name(name: str) -> str:
    if not SOURCE_NAME.match(name):
        raise InputError(f"bad source name {name!r}: use lower-case letters, digits, '-' or '_' "
                         "(at most 48 characters, starting with a letter or digit)")
    return name


def qualify(source: str, local_id: str) -> str:
    """The public id of a question: bare for the built-in bank, else ``source/local``."""
    return local_id if source == BUILTIN else f"{source}/{local_id}"


def split_id(qid: str) -> tuple[str, str]:
    """'my-notes/Q17' -> ('my-notes', 'Q17'); 'Q17' and 'pytorch/Q17' -> ('pytorch', 'Q17')."""
    source, sep, local = qid.partition("/")
    return (source, local) if sep else (BUILTIN, qid)


def canonical_id(qid: str) -> str:
    """The id the store keeps for `qid` ('pytorch/Q17' -> 'Q17')."""
    return qualify(*split_id(qid))


def source_for(paths: Sequence[Path], builtin_dir: Path, name: str | None = None) -> str:
    """The source an ingest of `paths` manages: `name` when given, the built-in bank for
    its own folder (or no paths), else the single file's or folder's name."""
    resolved = [p.resolve() for p in paths]
    builtin = not resolved or resolved == [builtin_dir.resolve()]
    if name:
        if name == BUILTIN and not builtin:
            raise InputError(f"{BUILTIN!r} is the built-in bank (knowledge/questions/); "
                             "name your source something else")
        return check_source_name(name)
    if builtin:
        return BUILTIN
    if len(resolved) > 1:
        raise InputError("several paths make one source: name it with --source NAME")
    slug = slugify_source(resolved[0].name)
    if not slug:
        raise InputError("cannot name a source after this path; pass --source NAME",
                         where=str(paths[0]))
    if slug == BUILTIN:
        raise InputError(f"{BUILTIN!r} is the built-in bank's source name; pass --source NAME "
                         "to ingest this file as a source of its own", where=str(paths[0]))
    return check_source_name(slug)
