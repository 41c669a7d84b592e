"""Follow-up rubrics and curated hints: `knowledge/followups/<topic file>.yaml`.

Each curated follow-up of a main question (its `follow_ups` strings) has a record with its own
reference, key points and misconceptions, so a follow-up answer is graded against what the
follow-up asked. A topic whose followups file does not exist yet simply has ungraded
follow-ups (asked as conversation); once the file exists it must be complete. Every error
names the file and line, like the question loader's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from interviewer.errors import InputError
from interviewer.knowledge.corpus import load_yaml_file, validated_yaml
from interviewer.knowledge.models import FollowUpFile, FollowUpRecord, Question


@dataclass(frozen=True)
class FollowUpBook:
    """Follow-up records by (parent id, exact follow-up text), and curated hints by id (main
    question ids and follow-up record ids alike)."""

    records: dict[tuple[str, str], FollowUpRecord] = field(default_factory=dict)
    hints: dict[str, tuple[str, ...]] = field(default_factory=dict)
    files: tuple[str, ...] = ()  # the followups files read

    def record(self, parent_id: str, text: str) -> FollowUpRecord | None:
        return self.records.get((parent_id, text))

    def hints_for(self, qid: str) -> tuple[str, ...]:
        return self.hints.get(qid, ())

    def __len__(self) -> int:
        return len(self.records)


def load_followups(followups_dir: Path, questions_dir: Path) -> FollowUpBook:
    """Read every `followups_dir/*.yaml`, each checked against the topic file of the same name
    in `questions_dir`. A missing folder is an empty book."""
    if not followups_dir.is_dir():
        return FollowUpBook()
    records: dict[tuple[str, str], FollowUpRecord] = {}
    hints: dict[str, tuple[str, ...]] = {}
    files = sorted(f for f in followups_dir.iterdir() if f.suffix in (".yaml", ".yml"))
    for path in files:
        topic_file = questions_dir / path.name
        if not topic_file.is_file():
            raise InputError(f"no topic file {topic_file.name} in {questions_dir} for these "
                             "follow-ups; name the file after its topic file", where=str(path))
        questions = [lq.question for lq in load_yaml_file(topic_file)]
        book = load_followups_file(path, questions)
        records.update(book.records)
        hints.update(book.hints)
    return FollowUpBook(records, hints, tuple(f.name for f in files))


def load_followups_file(path: Path, questions: Sequence[Question]) -> FollowUpBook:
    """One followups file, validated against the questions of its topic file."""
    root, parsed = _parse(path)
    by_id = {q.id: q for q in questions}
    nodes = _items(root, "follow_ups")
    seen: dict[str, FollowUpRecord] = {}
    for i, rec in enumerate(parsed.follow_ups):
        where = _where(path, nodes[i] if i < len(nodes) else root)
        _check_record(rec, by_id, seen, where)
        seen[rec.id] = rec
    _check_complete(questions, seen, path, root)
    hints = _check_hints(parsed.hints, by_id, path, root)
    hints.update({r.id: tuple(r.hints) for r in seen.values() if r.hints})
    records = {(r.parent, r.question): r for r in seen.values()}
    return FollowUpBook(records, hints, (path.name,))


def _parse(path: Path) -> tuple[yaml.Node | None, FollowUpFile]:
    return validated_yaml(path, FollowUpFile)


def _check_record(rec: FollowUpRecord, by_id: dict[str, Question],
                  seen: dict[str, FollowUpRecord], where: str) -> None:
    if rec.id in seen:
        raise InputError(f"duplicate follow-up id {rec.id!r}", where=where)
    parent = by_id.get(rec.parent)
    if parent is None:
        raise InputError(f"parent {rec.parent!r} is not a question of this topic file",
                         where=where)
    if rec.position > len(parent.follow_ups):
        raise InputError(f"{rec.id}: {rec.parent} has only {len(parent.follow_ups)} "
                         "follow-ups", where=where)
    expected = parent.follow_ups[rec.position - 1]
    if rec.question != expected:
        raise InputError(f"{rec.id}: question must be exactly the parent's follow-up "
                         f"{rec.position}: {expected!r}", where=where)


def _check_complete(questions: Iterable[Question], seen: dict[str, FollowUpRecord],
                    path: Path, root: yaml.Node | None) -> None:
    for q in questions:
        for n, text in enumerate(q.follow_ups, start=1):
            if f"{q.id}.{n}" not in seen:
                raise InputError(f"no record for follow-up {q.id}.{n} ({text!r}); every "
                                 "follow-up of this topic file needs one", where=_where(path, root))


def _check_hints(hints: dict[str, list[str]], by_id: dict[str, Question], path: Path,
                 root: yaml.Node | None) -> dict[str, tuple[str, ...]]:
    out = {}
    for qid, items in hints.items():
        where = _where(path, _key_node(root, qid) or root)
        q = by_id.get(qid)
        if q is None:
            raise InputError(f"hints.{qid}: not a question of this topic file", where=where)
        if len(items) != len(q.key_points):
            raise InputError(f"hints.{qid}: {len(items)} hints for {len(q.key_points)} key "
                             "points; write one per key point, in the same order", where=where)
        out[qid] = tuple(items)
    return out


def _items(root: yaml.Node | None, key: str) -> list[yaml.Node]:
    if not isinstance(root, yaml.MappingNode):
        return []
    node = next((v for k, v in root.value if k.value == key), None)
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _key_node(root: yaml.Node | None, qid: str) -> yaml.Node | None:
    """The node of key `qid` under `hints:` (its own line, not its list's)."""
    if not isinstance(root, yaml.MappingNode):
        return None
    hints = next((v for k, v in root.value if k.value == "hints"), None)
    if not isinstance(hints, yaml.MappingNode):
        return None
    return next((k for k, _ in hints.value if k.value == qid), None)


def _where(path: Path, node: yaml.Node | None) -> str:
    return f"{path}:{node.start_mark.line + 1}" if node is not None else str(path)
