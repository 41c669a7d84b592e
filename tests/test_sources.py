"""Sources: a user's bank never touches the built-in one (real Chroma store, real MiniLM)."""

from __future__ import annotations

import argparse
import json

import pytest

from interviewer.errors import InputError
from interviewer.knowledge import KnowledgeStore, commands, load_questions
from interviewer.knowledge.sources import BUILTIN, canonical_id, source_for, split_id
from interviewer.knowledge.store import SCHEMA
from interviewer.settings import Settings

from conftest import REPO

PYTHON_BANK = "\n".join(
    f"**Q{i}: {q}**\n**A:** {a}\n" for i, (q, a) in enumerate([
        ("What is the difference between copy() and deepcopy()?",
         "copy makes a shallow copy; deepcopy copies nested objects recursively."),
        ("What is a Python decorator?", "A callable that wraps another function."),
        ("What does the GIL do?", "It lets one thread run Python bytecode at a time."),
        ("What is a list comprehension?", "An expression that builds a list from an iterable."),
        ("How do generators save memory?", "They yield items lazily instead of building a list."),
    ], start=1))
PROBES = ["difference between view and reshape", "my gradients explode, how do I cap them?",
          "how do I save a model for inference"]


def builtin_state(store: KnowledgeStore):
    got = store.collection.get(where={"source": BUILTIN}, include=["documents", "metadatas"])
    rows = sorted(zip(got["ids"], got["documents"], (m["qid"] for m in got["metadatas"])))
    hits = [[(h.id, h.score) for h in hits]
            for hits in store.with_sources([BUILTIN]).search(PROBES, k=3)]
    return rows, hits


@pytest.fixture
def both(tmp_path, settings, embedder, knowledge_questions):
    store = KnowledgeStore(settings, embedder=embedder)
    store.ingest(knowledge_questions)
    before = builtin_state(store)
    bank = tmp_path / "python-notes.md"
    bank.write_text(PYTHON_BANK)
    summary = store.ingest(load_questions([bank]), source="python-notes", origin=str(bank))
    return store, before, bank, summary


def test_user_bank_with_colliding_ids_leaves_builtin_untouched(both):
    store, before, _, summary = both
    assert summary.added == [f"python-notes/Q{i}" for i in range(1, 6)] and not summary.removed
    assert builtin_state(store) == before  # same ids, same text, same search results
    assert store.count() == 105
    top = store.search(["difference between view and reshape"], k=1)[0][0]
    assert (top.id, top.source) == ("Q17", BUILTIN)
    mine = store.with_sources(["python-notes"]).search(["shallow vs deep copy"], k=1)[0][0]
    assert (mine.id, mine.source) == ("python-notes/Q1", "python-notes")
    assert store.get_question("python-notes/Q1").question.startswith("What is the difference")
    assert store.get_question("pytorch/Q17").id == store.get_question("Q17").id == "Q17"


def test_reingest_and_remove_stay_within_the_source(both):
    store, before, bank, _ = both
    bank.write_text(PYTHON_BANK.split("**Q5:")[0])  # Q5 deleted from the file
    again = store.ingest(load_questions([bank]), source="python-notes")
    assert again.removed == ["python-notes/Q5"] and again.embedded_texts == 0
    assert [(s.name, s.questions, s.builtin) for s in store.list_sources()] == \
        [(BUILTIN, 100, True), ("python-notes", 4, False)]
    assert store.remove_source("python-notes") == 4
    assert [s.name for s in store.list_sources()] == [BUILTIN]
    assert builtin_state(store) == before
    with pytest.raises(InputError, match="no source named 'python-notes'"):
        store.remove_source("python-notes")


def test_old_store_is_migrated_on_open(settings, embedder, knowledge_questions):
    """A schema-1 store (ids '<hash>:qa', no source) opens with the same ids and answers."""
    old = KnowledgeStore(settings, embedder=embedder)
    col = old.collection
    questions = knowledge_questions[:3]
    docs = [f"{q.question}\n{q.reference}" for q in questions]
    col.delete(ids=col.get()["ids"] or ["none"])
    col.add(ids=[f"{q.content_hash()}:qa" for q in questions], documents=docs,
            embeddings=list(embedder.encode(docs)),
            metadatas=[{"qid": q.id, "content_hash": q.content_hash(), "facet": "qa",
                        "topic": q.topic, "topic_slug": q.topic_slug, "difficulty": q.difficulty,
                        "question": q.question, "keywords": " ".join(q.key_points)}
                       for q in questions])
    col.modify(metadata={"interviewer_schema": 1})
    reopened = KnowledgeStore(settings, embedder=embedder)  # migrated when it opens
    got = reopened.collection.get(include=["metadatas"])
    assert sorted(got["ids"]) == sorted(f"{BUILTIN}/{q.content_hash()}:qa" for q in questions)
    assert {(m["source"], m["owner"]) for m in got["metadatas"]} == {(BUILTIN, "")}
    assert reopened.collection.metadata["interviewer_schema"] == SCHEMA
    assert reopened.search([questions[1].question], k=1)[0][0].id == questions[1].id
    before = embedder.texts_encoded
    assert reopened.ingest(questions).counts()["unchanged"] == 3  # nothing re-embedded
    assert embedder.texts_encoded == before


def test_id_and_source_naming(tmp_path):
    assert split_id("my-notes/Q17") == ("my-notes", "Q17")
    assert split_id("Q17") == (BUILTIN, "Q17") and canonical_id("pytorch/Q17") == "Q17"
    builtin = tmp_path / "questions"
    builtin.mkdir()
    assert source_for([], builtin) == source_for([builtin], builtin) == BUILTIN
    assert source_for([tmp_path / "My Notes (2024).md"], builtin) == "my-notes-2024"
    with pytest.raises(InputError, match="built-in bank"):
        source_for([tmp_path / "pytorch.md"], builtin)
    with pytest.raises(InputError, match="built-in bank"):
        source_for([tmp_path / "x.md"], builtin, "pytorch")
    with pytest.raises(InputError, match="name it with --source"):
        source_for([tmp_path / "a.md", tmp_path / "b.md"], builtin)


def run_cli(capsys, *argv: str):
    """Our subcommands through their own parser (the full CLI also imports every other
    area's commands, which this test does not exercise)."""
    parser = argparse.ArgumentParser(prog="interviewer")
    commands.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    code = args.handler(args, Settings.from_env())
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_ingest_sources_and_remove(tmp_path, home, capsys, monkeypatch):
    monkeypatch.setenv("INTERVIEWER_TORCH_THREADS", "1")
    bank = tmp_path / "notes.md"
    bank.write_text(PYTHON_BANK)
    yaml_dir = tmp_path / "questions"
    yaml_dir.mkdir()
    (yaml_dir / "t.yaml").write_text((REPO / "knowledge/questions").joinpath(
        sorted(p.name for p in (REPO / "knowledge/questions").glob("*.yaml"))[0]).read_text())
    monkeypatch.setenv("INTERVIEWER_KNOWLEDGE", str(tmp_path))
    code, out, _ = run_cli(capsys, "ingest", "--json")
    assert code == 0 and json.loads(out)["source"] == BUILTIN
    code, out, _ = run_cli(capsys, "ingest", str(bank), "--json")
    doc = json.loads(out)
    assert (doc["source"], doc["counts"]["added"]) == ("notes", 5)
    code, out, _ = run_cli(capsys, "sources", "--json")
    listed = {s["name"]: s for s in json.loads(out)}
    assert listed["notes"]["questions"] == 5 and listed[BUILTIN]["builtin"]
    code, out, _ = run_cli(capsys, "sources", "remove", "notes")
    assert code == 0 and "removed source notes: 5 questions" in out
    with pytest.raises(InputError, match="no source named 'notes'"):
        run_cli(capsys, "sources", "remove", "notes")
    code, out, _ = run_cli(capsys, "sources", "--json")
    assert [s["name"] for s in json.loads(out)] == [BUILTIN]


def test_cli_search_says_no_match(both, capsys, monkeypatch):
    code, out, _ = run_cli(capsys, "search", "Who wrote One Hundred Years of Solitude?",
                           "view versus reshape", "--json")
    off, on = json.loads(out)
    assert off == [] and on[0]["id"] == "Q17" and 0.5 <= on[0]["score"] <= 1.0
    code, out, _ = run_cli(capsys, "search", "Who wrote One Hundred Years of Solitude?")
    assert "no match" in out
    code, out, _ = run_cli(capsys, "search", "deep copy of a list", "--source", "python-notes",
                           "--json")
    assert {h["source"] for h in json.loads(out)[0]} == {"python-notes"}


def test_interview_on_a_chosen_source(both, settings, knowledge_questions):
    """An interview limited to the user's bank asks only its questions and grades them."""
    from test_engine_support import TopicGrader, first, make_engine

    store = both[0]
    grader = TopicGrader()
    engine = make_engine(settings, store, knowledge_questions, grader=grader)
    sid, events = engine.start("u", {"sources": ["python-notes"], "questions": 2, "seed": 3,
                                     "follow_ups": 0})
    asked = first(events, "question").question_id
    assert asked.startswith("python-notes/Q")
    events = engine.handle("u", sid, "4: copy is shallow, deepcopy recurses")
    assert first(events, "grade").score == 4.0
    assert first(events, "question").question_id.startswith("python-notes/")
    assert grader.calls[0][1] == []  # a user's question has no curated key points
    with pytest.raises(InputError, match="unknown source 'nope'; choose one of: python-notes, "
                                         "pytorch"):
        engine.start("u", {"sources": ["nope"]})


def test_slack_interview_takes_a_source():
    from interviewer.slack.parse import parse_slash

    cmd = parse_slash("autograd n=3 source=python-notes")
    assert cmd.plan() == {"questions": 3, "sources": ["python-notes"], "topics": ["autograd"]}


def test_private_sources_are_seen_only_by_their_owner(both, settings, knowledge_questions,
                                                      tmp_path):
    from test_engine_support import TopicGrader, first, make_engine

    store = both[0]
    mine = tmp_path / "mine.md"
    mine.write_text("**Q1: What is a Python wheel?**\n**A:** A built package archive.\n")
    store.ingest(load_questions([mine]), source="ann-bank", owner="ann")
    with pytest.raises(InputError, match="source name 'ann-bank' is taken"):
        store.ingest(load_questions([mine]), source="ann-bank", owner="bob")
    assert "ann-bank" in [s.name for s in store.list_sources("ann")]
    assert "ann-bank" not in [s.name for s in store.list_sources("bob")]
    engine = make_engine(settings, store, knowledge_questions, grader=TopicGrader())
    _, events = engine.start("ann", {"sources": ["ann-bank"], "questions": 1})
    assert first(events, "question").question_id == "ann-bank/Q1"
    with pytest.raises(InputError, match="unknown source 'ann-bank'"):
        engine.start("bob", {"sources": ["ann-bank"]})
    public = store.with_sources([], viewer="bob")
    assert "ann-bank/Q1" not in {m["qid"] for m in public.snapshot()["metadatas"]}
    assert store.with_sources([], viewer="bob").count() == 105  # built-in + python-notes


def test_grade_command_finds_namespaced_questions(both, settings):
    from interviewer.grading.commands import _question

    def ask(qid: str):
        return _question(argparse.Namespace(question_id=qid, question=None, reference=None),
                         settings)

    assert ask("pytorch/Q17").id == ask("Q17").id == "Q17" and ask("Q17").key_points
    mine = ask("python-notes/Q2")
    assert (mine.id, mine.question, mine.key_points) == \
        ("python-notes/Q2", "What is a Python decorator?", [])
    with pytest.raises(InputError, match="no question 'python-notes/Q9'"):
        ask("python-notes/Q9")


def test_engine_lists_sources_and_topics_per_user(both, settings, knowledge_questions, tmp_path):
    from test_engine_support import make_engine

    store = both[0]
    mine = tmp_path / "mine.md"
    mine.write_text("## Packaging\n**Q1: What is a wheel?**\n**A:** A built package archive.\n")
    store.ingest(load_questions([mine]), source="ann-bank", owner="ann")
    engine = make_engine(settings, store, knowledge_questions)
    assert "packaging" not in engine.topics() and "packaging" not in engine.topics("bob")
    assert engine.topics("ann", ["ann-bank"]) == {"packaging": "Packaging"}
    assert [s.name for s in engine.sources("ann")] == [BUILTIN, "ann-bank", "python-notes"]
    assert [s.name for s in engine.sources("bob")] == [BUILTIN, "python-notes"]
