"""Load knowledge from files: curated YAML topic files and plain Q&A files (Markdown, text,
or HTML with question/answer tables).

Every error names the file and line. Loading is pure (no store is touched), so a bad file
stops an ingest before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from interviewer.errors import InputError
from interviewer.knowledge.models import Question, TopicFile
from interviewer.knowledge.parse import ParsedQA, parse_pairs

M = TypeVar("M", bound=BaseModel)

YAML_SUFFIXES = {".yaml", ".yml"}
MARKDOWN_SUFFIXES = {".md", ".markdown", ".txt", ".html", ".htm"}  # read by parse/
# In a folder only these are read (a LICENSE.txt or an index.html is not a question bank).
FOLDER_SUFFIXES = YAML_SUFFIXES | {".md", ".markdown"}


@dataclass(frozen=True)
class LoadedQuestion:
    question: Question
    where: str  # "path:line"


def _yaml_line(node: yaml.Node | None, loc: Sequence[object]) -> int | None:
    """Follow a pydantic error location through the YAML node tree to a line number."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            nxt = node.value[key]
        else:
            nxt = None
        if nxt is None:
            break
        node, line = nxt, nxt.start_mark.line + 1
    return line


def _compose_and_load(text: str) -> tuple[yaml.Node | None, object]:
    """The node tree (with line marks) and the data it makes, from one parse: libyaml's
    safe loader when PyYAML has it (11x faster than the pure-Python one on knowledge/,
    which the app reads on its way to the first question), same nodes and data."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


def validated_yaml(path: Path, model: type[M]) -> tuple[yaml.Node | None, M]:
    """`path` parsed as YAML and validated by `model`; any error names file:line."""
    text = path.read_text(encoding="utf-8")
    try:
        root, data = _compose_and_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise InputError(f"not valid YAML: {getattr(e, 'problem', e)}", where=where) from e
    try:
        return root, model.model_validate(data if data is not None else {})
    except ValidationError as e:
        err = e.errors()[0]
        line = _yaml_line(root, err["loc"])
        field = ".".join(str(p) for p in err["loc"]) or "file"
        where = f"{path}:{line}" if line else str(path)
        raise InputError(f"{field}: {err['msg']}", where=where) from e


def load_yaml_file(path: Path) -> list[LoadedQuestion]:
    root, topic_file = validated_yaml(path, TopicFile)
    seq = root.value if isinstance(root, yaml.MappingNode) else []
    qnodes = next((v.value for k, v in seq if k.value == "questions"), [])
    return [LoadedQuestion(q, f"{path}:{qnodes[i].start_mark.line + 1}")
            for i, q in enumerate(topic_file.questions)]


def _local_ids(path: Path, pairs: Sequence[ParsedQA]) -> list[str]:
    """Q<n> when the file numbers its questions (each number once), else <file>-<i>."""
    numbers = [qa.number for qa in pairs if qa.number]
    unique = len(numbers) == len(set(numbers))
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", path.stem).strip("-.")[:48] or "q"
    return [f"Q{qa.number}" if qa.number and unique else f"{stem}-{i}"
            for i, qa in enumerate(pairs, start=1)]


def load_markdown_file(path: Path, *, skip_unanswered: bool = False,
                       skipped: list[str] | None = None) -> list[LoadedQuestion]:
    """The questions of a Q&A file; with `skip_unanswered`, unanswered ones are left out and
    described in `skipped` ("path:line: question '...' has no answer")."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"not UTF-8 text ({e.reason}); save the file as UTF-8",
                         where=str(path)) from e
    return load_markdown_text(text, path, skip_unanswered=skip_unanswered, skipped=skipped)


def load_markdown_text(text: str, name: Path | str, *, skip_unanswered: bool = False,
                       skipped: list[str] | None = None) -> list[LoadedQuestion]:
    """The questions of Q&A text (e.g. an uploaded file); `name` appears in errors and ids."""
    path = Path(name)
    pairs, left_out = parse_pairs(text, str(path))
    if left_out and not skip_unanswered:
        first = left_out[0]
        raise InputError(f"question {first.question[:60]!r} has no answer "
                         "(add one, or remove the question)", where=f"{path}:{first.line}")
    if skipped is not None:
        skipped += [f"{path}:{s.line}: question {s.question[:60]!r} {s.reason}" for s in left_out]
    out = []
    for qid, qa in zip(_local_ids(path, pairs), pairs):
        try:
            q = Question(id=qid, topic=qa.topic, question=qa.question, reference=qa.answer)
        except ValidationError as e:
            raise InputError(e.errors()[0]["msg"], where=f"{path}:{qa.line}") from e
        out.append(LoadedQuestion(q, f"{path}:{qa.line}"))
    return out


# Folders of the knowledge tree that hold other things than question files, and files that
# are not questions (the LLM grader's graded examples, the errata list).
NOT_QUESTIONS = {"exercises", "followups", "graded-examples.jsonl", "ERRATA.md"}


def _files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files.extend(sorted(f for f in p.rglob("*")
                                if f.suffix.lower() in FOLDER_SUFFIXES
                                and f.is_file() and f.name.lower() != "readme.md"
                                and not NOT_QUESTIONS & set(f.relative_to(p).parts)))
        elif p.is_file():
            files.append(p)
        else:
            raise InputError("no such file or folder", where=str(p))
    return files


def load_questions(paths: Iterable[Path | str], *, skip_unanswered: bool = False,
                   skipped: list[str] | None = None) -> list[Question]:
    """Load every question under `paths`. Duplicate ids across all files are an error. With
    `skip_unanswered`, questions without an answer are left out and listed in `skipped`."""
    paths = [Path(p) for p in paths]
    seen: dict[str, str] = {}
    out: list[Question] = []
    files = _files(paths)
    for f in files:
        suffix = f.suffix.lower()
        if suffix in YAML_SUFFIXES:
            loaded = load_yaml_file(f)
        elif suffix in MARKDOWN_SUFFIXES:
            loaded = load_markdown_file(f, skip_unanswered=skip_unanswered, skipped=skipped)
        else:
            raise InputError("unsupported file type; use .yaml/.yml, .md, .txt or .html",
                             where=str(f))
        for item in loaded:
            qid = item.question.id
            if qid in seen:
                raise InputError(f"duplicate question id {qid!r} (first defined at {seen[qid]})",
                                 where=item.where)
            seen[qid] = item.where
            out.append(item.question)
    if not out:
        raise InputError("no questions found", where=", ".join(str(p) for p in paths) or "(none)")
    return out
