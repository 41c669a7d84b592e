"""Shared fixtures. Tests are offline, single-threaded, and keep all state in a temp folder."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
# Scripted sessions answer whatever question comes with fixed text; the check that an answer
# fits another question is tested on its own (test_engine.py), with it on.
os.environ.setdefault("INTERVIEWER_ANSWER_CHECK", "off")
# Apps and bots built by tests would each prepare the whole bank in the background (seconds
# of CPU on shared cores); its own test turns it on.
os.environ.setdefault("INTERVIEWER_PREPARE_BANK", "off")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def cli_runner(monkeypatch, capsys):
    """Run `interviewer ARGS` in this process with `stdin` as its input; its stdout back.
    The command must succeed."""
    import io
    import sys

    from interviewer import cli

    def run(args: list[str], stdin: str = "") -> str:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        assert cli.main(args) == 0
        return capsys.readouterr().out

    return run


MODEL_FIXTURES = {"embedder", "ingested_store", "cli_home"}


def pytest_collection_modifyitems(items):
    """Tests that load a model (through the shared fixtures) are marked `model`, so the fast
    tier (`make test-fast`: not slow, not model) runs without loading one."""
    for item in items:
        if MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.model)


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    import torch

    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def embedder():
    """The real MiniLM embedder, loaded once for the whole test session."""
    from interviewer.knowledge.embeddings import Embedder

    emb = Embedder()
    emb.load()
    return emb


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    h = tmp_path / "home"
    monkeypatch.setenv("INTERVIEWER_HOME", str(h))
    monkeypatch.delenv("CHROMA_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return h


@pytest.fixture
def settings(home):
    from interviewer.settings import Settings

    return Settings.from_env({"INTERVIEWER_HOME": str(home), **{
        var: os.environ[var] for var in ("INTERVIEWER_ANSWER_CHECK", "INTERVIEWER_PREPARE_BANK")}})


@pytest.fixture(scope="session")
def knowledge_questions():
    """The curated knowledge base, as shipped in knowledge/questions/."""
    from interviewer.knowledge import load_questions

    return load_questions([REPO / "knowledge" / "questions"])


@pytest.fixture(scope="session")
def ingested_store(tmp_path_factory, embedder, knowledge_questions):
    """A real Chroma store in a temp folder holding the whole knowledge base (read-only use)."""
    from interviewer.knowledge import KnowledgeStore
    from interviewer.settings import Settings

    home = tmp_path_factory.mktemp("kb-home")
    store = KnowledgeStore(Settings(home=home), embedder=embedder)
    store.ingest(knowledge_questions)
    return store
