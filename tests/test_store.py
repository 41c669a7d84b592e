"""The knowledge base in a real Chroma store: incremental ingest, all-or-nothing, search."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from interviewer.errors import InputError
from interviewer.knowledge import KnowledgeStore, load_questions
from interviewer.settings import Settings


def write_topic(path: Path, questions: list[dict], topic: str = "Tensors") -> Path:
    path.write_text(yaml.safe_dump({"topic": topic, "questions": questions}, sort_keys=False))
    return path


def q(i: int, **over) -> dict:
    base = {
        "id": f"Q{i}", "question": f"Question number {i} about tensors?",
        "reference": f"Reference answer {i}: tensors hold numbers.",
        "key_points": [f"point {i}a", f"point {i}b"], "misconceptions": [f"wrong {i}"],
        "difficulty": 1 + i % 3, "symbols": ["torch.Tensor"], "follow_ups": [f"deeper {i}?"],
    }
    return {**base, **over}


@pytest.fixture
def store(settings, embedder):
    return KnowledgeStore(settings, embedder=embedder)


def test_ingest_is_idempotent_and_incremental(tmp_path, store, embedder):
    f = write_topic(tmp_path / "t.yaml", [q(1), q(2), q(3)])
    first = store.ingest(load_questions([f]))
    assert (sorted(first.added), first.embedded_texts) == (["Q1", "Q2", "Q3"], 3)

    before = embedder.texts_encoded
    again = store.ingest(load_questions([f]))
    assert again.counts()["unchanged"] == 3 and again.embedded_texts == 0
    assert embedder.texts_encoded == before  # nothing embedded for unchanged data

    write_topic(f, [q(1), q(2, reference="A corrected reference for two."), q(4)])
    changed = store.ingest(load_questions([f]))
    assert (changed.added, changed.updated, changed.removed, changed.unchanged) == \
        (["Q4"], ["Q2"], ["Q3"], ["Q1"])
    assert changed.embedded_texts == 2
    assert store.count() == 3
    hits = store.search(["corrected reference for two"], k=1)[0]
    assert hits[0].id == "Q2"


def test_bad_file_writes_nothing(tmp_path, store):
    good = write_topic(tmp_path / "a.yaml", [q(1)])
    store.ingest(load_questions([good]))
    bad = write_topic(tmp_path / "b.yaml", [q(2, reference="  ")])
    with pytest.raises(InputError, match=r"b\.yaml:\d+: questions\.0\.reference"):
        store.ingest(load_questions([good, bad]))
    assert store.count() == 1


@pytest.mark.parametrize("content, message", [
    ("topic: T\nquestions:\n  - id: Q1\n    question: [unclosed\n", r"t\.yaml:\d+: not valid YAML"),
    ("topic: T\nquestions:\n  - id: Q1\n    question: Why?\n    reference: Because.\n"
     "    key_points: [a, b]\n    misconceptions: [c]\n    follow_ups: [d]\n    colour: red\n",
     r"t\.yaml:9: questions\.0\.colour: Extra inputs are not permitted"),
    ("topic: T\nquestions:\n  - id: Q1\n    question: Why?\n    reference: Because.\n"
     "    key_points: [only one]\n    misconceptions: [c]\n    follow_ups: [d]\n",
     r"t\.yaml:6: questions\.0\.key_points: List should have at least 2 items"),
])
def test_malformed_yaml_names_file_and_line(tmp_path, content, message):
    (tmp_path / "t.yaml").write_text(content)
    with pytest.raises(InputError, match=message):
        load_questions([tmp_path / "t.yaml"])


def test_duplicate_ids_across_files(tmp_path):
    a = write_topic(tmp_path / "a.yaml", [q(1)])
    b = write_topic(tmp_path / "b.yaml", [q(1, question="Another?")])
    with pytest.raises(InputError, match=r"b\.yaml:3: duplicate question id 'Q1' \(first defined at .*a\.yaml:3\)"):
        load_questions([a, b])


def test_markdown_files_ingest_in_generic_mode(tmp_path, store):
    (tmp_path / "bank.md").write_text("## Misc\n**Q1: What is a GPU?**\n**A:** A parallel processor.\n")
    (qs,) = [load_questions([tmp_path / "bank.md"])]
    assert qs[0].id == "Q1" and not qs[0].curated and qs[0].topic == "Misc"
    assert store.ingest(qs).added == ["Q1"]


def test_knowledge_base_is_complete(knowledge_questions):
    ids = [x.id for x in knowledge_questions]
    assert ids == sorted(ids, key=lambda s: int(s[1:])) and ids == [f"Q{i}" for i in range(1, 101)]
    assert len({x.topic for x in knowledge_questions}) == 9
    assert all(x.curated and 2 <= len(x.key_points) <= 6 for x in knowledge_questions)


def test_search_by_meaning_and_topic(ingested_store):
    hits = ingested_store.search(["my gradients explode, how do I cap their norm?"], k=3)[0]
    assert hits[0].id == "Q78"
    assert hits[0].score >= hits[1].score >= hits[2].score
    only = ingested_store.search(["attention"], k=5, topic="recurrent-neural-networks")[0]
    assert only and {h.topic for h in only} == {"Recurrent Neural Networks"}
    with pytest.raises(InputError, match="unknown topic 'astronomy'; choose one of"):
        ingested_store.search(["x"], topic="astronomy")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    """A real Chroma server: the one CI started (TEST_CHROMA_URL), else one of our own."""
    if os.environ.get("TEST_CHROMA_URL"):
        yield os.environ["TEST_CHROMA_URL"]
        return
    chroma = Path(sys.executable).with_name("chroma")
    if not chroma.exists():
        pytest.skip("the chroma command is not installed")
    port = _free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen([str(chroma), "run", "--path", str(path), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1)
                break
            except OSError:
                time.sleep(0.25)
        else:
            pytest.fail("chroma server did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_chroma_server_mode(tmp_path, chroma_url, embedder):
    settings = Settings(home=tmp_path / "h", chroma_url=chroma_url,
                        collection=f"test-{os.getpid()}-{time.time_ns()}")
    store = KnowledgeStore(settings, embedder=embedder)
    f = write_topic(tmp_path / "t.yaml", [q(1), q(2, question="How do I move a tensor to the GPU?")])
    assert len(store.ingest(load_questions([f])).added) == 2
    assert store.ingest(load_questions([f])).embedded_texts == 0
    assert store.search(["send data to cuda device"], k=1)[0][0].id == "Q2"
    mine = tmp_path / "mine.md"
    mine.write_text("**Q2: How do I move a tensor to the GPU?**\n**A:** Call .to('cuda').\n")
    assert store.ingest(load_questions([mine]), source="mine").added == ["mine/Q2"]
    assert [(s.name, s.questions) for s in store.list_sources()] == [("pytorch", 2), ("mine", 1)]
    hits = store.with_sources(["mine", "pytorch"]).search(["send data to cuda device"], k=3)[0]
    assert {h.id for h in hits} == {"Q2", "mine/Q2", "Q1"} and hits[0].is_match
    assert not (tmp_path / "h" / "chroma").exists()  # nothing was written locally


def test_errata_file_is_current(knowledge_questions):
    from interviewer.knowledge.errata import render_errata

    from conftest import REPO

    committed = (REPO / "knowledge" / "ERRATA.md").read_text()
    assert committed == render_errata(knowledge_questions), \
        "regenerate: python -m interviewer.knowledge.errata > knowledge/ERRATA.md"
    assert "nn.SiLU" in committed and "torch.ao.quantization" in committed


@pytest.mark.parametrize("short, slug", [
    ("cnn", "convolutional-neural-networks"), ("rnn", "recurrent-neural-networks"),
    ("tensor-ops", "tensor-operations-manipulation"), ("Autograd", "autograd-gradients"),
    ("losses-optim", "loss-functions-optimization"), ("deployment", "model-saving-loading-deployment"),
    ("Data Loading & Processing", "data-loading-processing"), ("nn-layers", "neural-networks-layers"),
])
def test_topic_short_forms(ingested_store, short, slug):
    assert ingested_store.resolve_topic(short) == slug


def test_ambiguous_topic_is_an_error(ingested_store):
    with pytest.raises(InputError, match="unknown topic 'networks'"):
        ingested_store.resolve_topic("networks")


def test_relevance_is_calibrated_and_off_topic_is_no_match(ingested_store):
    """Scores lie in [0, 1]; a paraphrase is a match, questions from other fields are not."""
    from interviewer.knowledge.relevance import MATCH_THRESHOLD, relevance, strip_frame

    queries = ["what's the difference between view and reshape?",
               "How do you make a roux for a sauce?", "Who painted the Sistine Chapel ceiling?"]
    every = ingested_store.search(queries, k=5)
    assert all(0.0 <= h.score <= 1.0 for hits in every for h in hits)
    assert every[0][0].id == "Q17" and every[0][0].is_match
    assert not every[1][0].is_match and not every[2][0].is_match
    kept = ingested_store.search(queries, k=5, min_relevance=MATCH_THRESHOLD)
    assert kept[1] == kept[2] == [] and kept[0][0].id == "Q17"
    assert relevance(-1.0) == 0.0 and relevance(3.0) == 1.0
    assert relevance(0.3) < relevance(0.5) < relevance(0.9)
    assert strip_frame("What is the difference between view and reshape?") == "view and reshape?"
