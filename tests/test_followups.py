"""Follow-up rubrics and curated hints (knowledge/followups/*.yaml): strict validation with
errors that name file:line, completeness once a topic's file exists, and the shipped files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from interviewer.errors import InputError
from interviewer.knowledge.followups import load_followups

REPO = Path(__file__).resolve().parents[1]
TOPIC = """\
topic: Tensor Operations & Manipulation
questions:
  - id: Q17
    question: "view or reshape?"
    reference: "view needs compatible strides; reshape copies when needed."
    key_points: ["view never copies.", "reshape copies only when it must."]
    misconceptions: ["view always copies."]
    follow_ups: ["Why does x.t().view(-1) fail?", "Can reshape return a view?"]
"""


def record(n: int, question: str, **over) -> dict:
    return {"id": f"Q17.{n}", "parent": "Q17", "question": question,
            "reference": "A short reference.", "key_points": ["Point one.", "Point two."],
            "hints": ["Nudge one.", "Nudge two."], **over}


def good() -> dict:
    return {"follow_ups": [record(1, "Why does x.t().view(-1) fail?"),
                           record(2, "Can reshape return a view?")],
            "hints": {"Q17": ["What does view need?", "When must reshape copy?"]}}


def write(tmp_path: Path, data: dict | str) -> tuple[Path, Path]:
    (tmp_path / "questions").mkdir(exist_ok=True)
    (tmp_path / "followups").mkdir(exist_ok=True)
    (tmp_path / "questions" / "02-ops.yaml").write_text(TOPIC)
    text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
    (tmp_path / "followups" / "02-ops.yaml").write_text(text)
    return tmp_path / "followups", tmp_path / "questions"


def test_a_valid_file_gives_records_and_hints(tmp_path):
    book = load_followups(*write(tmp_path, good()))
    rec = book.record("Q17", "Can reshape return a view?")
    assert rec.id == "Q17.2" and rec.key_points == ["Point one.", "Point two."]
    q = rec.as_question("Tensor Operations")
    assert q.id == "Q17.2" and q.question == rec.question and q.reference == rec.reference
    assert book.hints_for("Q17") == ("What does view need?", "When must reshape copy?")
    assert book.hints_for("Q17.1") == ("Nudge one.", "Nudge two.")


def test_missing_folder_is_an_empty_book(tmp_path):
    book = load_followups(tmp_path / "nope", tmp_path)
    assert len(book) == 0 and book.record("Q17", "x") is None


def line_of(text: str, needle: str) -> int:
    return next(i for i, ln in enumerate(text.splitlines(), 1) if needle in ln)


@pytest.mark.parametrize("change,message,needle", [
    (lambda d: d["follow_ups"][1].update(extra="x"), "Extra inputs", "extra: x"),
    (lambda d: d["follow_ups"][1].update(question="Can reshape give a view?"),
     "exactly the parent's follow-up 2", "id: Q17.2"),
    (lambda d: d["follow_ups"].pop(), "no record for follow-up Q17.2", None),
    (lambda d: d["follow_ups"][0].update(hints=["only one"]), "one hint per key point",
     "id: Q17.1"),
    (lambda d: d["follow_ups"][0].update(parent="Q99", id="Q99.1"), "not a question of",
     "id: Q99.1"),
    (lambda d: d["follow_ups"][0].update(key_points=["just one"]), "at least 2", "just one"),
    (lambda d: d["hints"].update(Q17=["one"]), "1 hints for 2 key points", "Q17:"),
    (lambda d: d["follow_ups"][0].update(id="Q17.1x"), "pattern", "Q17.1x"),
])
def test_errors_name_the_file_and_line(tmp_path, change, message, needle):
    data = good()
    change(data)
    folder, questions = write(tmp_path, data)
    text = (folder / "02-ops.yaml").read_text()
    with pytest.raises(InputError) as err:
        load_followups(folder, questions)
    assert message in str(err.value) and "02-ops.yaml" in str(err.value)
    if needle:
        assert f"02-ops.yaml:{line_of(text, needle)}" in str(err.value)


def test_a_file_without_a_topic_file_is_refused(tmp_path):
    folder, questions = write(tmp_path, good())
    (folder / "99-other.yaml").write_text("follow_ups: []\n")
    with pytest.raises(InputError, match="no topic file 99-other.yaml"):
        load_followups(folder, questions)


def test_bad_yaml_names_the_line(tmp_path):
    with pytest.raises(InputError, match=r"02-ops.yaml:\d+"):
        load_followups(*write(tmp_path, "follow_ups:\n  - id: [unclosed\n"))


@pytest.mark.skipif(not (REPO / "knowledge" / "followups").is_dir(),
                    reason="no follow-up rubrics shipped yet")
def test_shipped_followups_are_valid_and_complete(knowledge_questions):
    book = load_followups(REPO / "knowledge" / "followups", REPO / "knowledge" / "questions")
    by_id = {q.id: q for q in knowledge_questions}
    assert book.files and len(book) > 0
    for (parent, text), rec in book.records.items():
        assert by_id[parent].follow_ups[rec.position - 1] == text
        assert len(rec.hints) in (0, len(rec.key_points))
