"""Rough edges a candidate met, each pinned by a test: the report's code and topic rows,
exercise topics named like search topics, a bad setting in one line, the offline brain
never streaming."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from interviewer.errors import ConfigError, InputError
from interviewer.executor import load_exercises
from interviewer.settings import Settings
from interviewer.topics import resolve_topic, topic_slug
from test_engine_support import FakeRunner, first, make_engine

REPO = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------ topic names
@pytest.mark.parametrize("short, topic", [
    ("tensor-ops", "Tensor Operations & Manipulation"),
    ("losses-optim", "Loss Functions & Optimization"),
    ("nn-layers", "Neural Networks & Layers"),
    ("cnn", "Convolutional Neural Networks"),
    ("autograd", "Autograd & Gradients"),
])
def test_exercises_accept_the_topic_names_search_accepts(short, topic):
    found = load_exercises(topic=short)
    assert found and {e.topic for e in found} == {topic}


def test_one_topic_rule_for_search_and_exercises(ingested_store):
    """The store and the exercises resolve a short form the same way, through one function."""
    from interviewer.executor.exercises import TOPICS

    for short in ("tensor-ops", "losses-optim", "nn-layers", "cnn", "data", "rnn"):
        stored = ingested_store.resolve_topic(short)
        assert stored == resolve_topic(short, {topic_slug(t): t for t in TOPICS})


def test_an_unknown_exercise_topic_names_the_choices():
    with pytest.raises(InputError, match="choose one of: .*tensor-operations"):
        load_exercises(topic="quantum-gravity")


def test_attention_exercises_are_not_labelled_convolutional():
    by_id = {e.id: e for e in load_exercises()}
    assert by_id["cnn-scaled-dot-product-attention"].topic == "Neural Networks & Layers"
    assert by_id["cnn-mha-block"].topic == "Neural Networks & Layers"
    assert all("attention" not in e.title.lower()
               for e in load_exercises(topic="cnn"))


# ------------------------------------------------------------------ settings
def test_a_bad_setting_is_one_line_naming_the_variable():
    with pytest.raises(ConfigError) as e:
        Settings.from_env({"INTERVIEWER_EXECUTOR_WALL_S": "-1"})
    assert str(e.value) == ("INTERVIEWER_EXECUTOR_WALL_S='-1': Input should be greater "
                            "than 0")
    with pytest.raises(ConfigError, match="^INTERVIEWER_EXECUTOR_DEVICE='tpu': "):
        Settings.from_env({"INTERVIEWER_EXECUTOR_DEVICE": "tpu"})


def test_the_cli_prints_a_bad_setting_as_one_line(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "HF_HUB_OFFLINE": "1",
           "INTERVIEWER_HOME": str(tmp_path / "home"), "INTERVIEWER_FOLLOW_UPS": "9"}
    done = subprocess.run([sys.executable, "-m", "interviewer", "sessions"], cwd=REPO,
                          env=env, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: INTERVIEWER_FOLLOW_UPS='9': Input should be less than or equal to 5"]


# ------------------------------------------------------------------ the report
def test_report_fences_code_and_lists_only_topics_with_questions(settings, ingested_store,
                                                                 knowledge_questions):
    engine = make_engine(settings, ingested_store, knowledge_questions,
                         executor=FakeRunner())
    sid, events = engine.start("u", {"questions": 1, "mode": "coding", "seed": 17})
    assert first(events, "exercise")
    code = "def f(x):\n    y = x * 2\n    return PASS\n"
    engine.submit_code("u", sid, code)
    md = engine.report("u", sid).markdown()
    assert "```python\n" + code.rstrip() + "\n```" in md
    rows = [line for line in md.splitlines() if line.startswith("| ")][2:]
    assert len(rows) == 1 and "| 0 |" not in md and "| 0 | –" not in md


def test_the_offline_brain_never_streams(settings, ingested_store):
    """Deltas are for an LLM's words; the offline brain's come in one piece (a terminal
    printed them twice, and each web turn repainted the page once more)."""
    from interviewer.engine import make_interviewer

    engine = make_interviewer(settings, store=ingested_store)
    _, events = engine.start_stream("u", {"questions": 1, "seed": 3})
    assert [e.kind for e in events] == ["notice", "question"]
    engine.close()
