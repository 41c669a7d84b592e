"""The exercise set: well-formed, covering the topics, and graded the way an interviewer
would: every reference passes, every known-wrong answer fails."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from interviewer.errors import InputError
from interviewer.executor import Executor, load_exercises
from interviewer.executor.exercises import TOPICS, load_exercise

needs_bwrap = pytest.mark.skipif(not os.path.exists("/usr/bin/bwrap"),
                                 reason="bubblewrap not installed")
EXERCISES = load_exercises()


def test_at_least_thirty_covering_every_topic():
    assert len(EXERCISES) >= 30
    topics = Counter(e.topic for e in EXERCISES)
    assert set(topics) == set(TOPICS)
    assert {e.difficulty for e in EXERCISES} == {1, 2, 3}


def test_records_have_what_the_engine_needs():
    for e in EXERCISES:
        pub = e.public()
        assert pub["prompt"].strip() and pub["starter"].strip() and pub["hints"]
        assert all(q.startswith("Q") for q in pub["related"])
        assert "solution" not in pub and "probe" not in pub
        assert e.solution not in repr(e)


def test_unknown_keys_are_rejected(tmp_path: Path):
    bad = tmp_path / "x.yaml"
    text = (Path(EXERCISES[0].path).read_text() + "\nsurprise: 1\n")
    bad.write_text(text)
    with pytest.raises(InputError, match="surprise"):
        load_exercise(bad)


def test_topic_filter():
    assert {e.topic for e in load_exercises(topic="rnn")} == {"Recurrent Neural Networks"}
    assert {e.topic for e in load_exercises(topic="data-loading")} == {"Data Loading & Processing"}


@pytest.fixture(scope="module")
def ex():
    with Executor(wall_s=20, concurrency=2) as e:
        yield e


@needs_bwrap
@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_reference_passes_and_wrong_answers_fail(ex, exercise):
    r = ex.run(exercise.solution, exercise)
    assert r.status == "passed", [c for c in r.checks if not c.passed] or r.message
    for wrong in exercise.wrong:
        rw = ex.run(wrong.code, exercise)
        assert rw.status == "failed", f"known-wrong answer passed: {wrong.why}"
        failing = [c for c in rw.checks if not c.passed]
        assert failing and all(c.message for c in failing)


@needs_bwrap
def test_failure_shows_input_and_difference_not_reference(ex):
    e = next(x for x in EXERCISES if x.id == "tensor-pairwise-distances")
    r = ex.run(e.wrong[0].code, e)
    msg = "\n".join(c.message for c in r.checks if not c.passed)
    assert "input:" in msg and "max abs difference" in msg
    assert "x[:, None, :] - y[None, :, :]" not in msg + r.stdout + r.stderr


@needs_bwrap
def test_starter_code_does_not_pass(ex):
    for e in EXERCISES[::6]:
        r = ex.run(e.starter, e)
        assert r.status in ("failed", "error"), e.id


@needs_bwrap
def test_claiming_success_does_not_pass(ex):
    e = next(x for x in EXERCISES if x.id == "tensor-gather-scores")
    forged = ("import os, json\n"
              "print('all checks passed')\n"
              "os.write(3, json.dumps({'error': None, 'cases': [{'values': {}}] * 9, "
              "'passed': True}).encode())\n"
              "os._exit(0)\n")
    r = ex.run(forged, e)
    assert r.status != "passed"
    assert r.status in ("failed", "crashed", "error")


@needs_bwrap
def test_hidden_inputs_change_every_run(ex):
    e = next(x for x in EXERCISES if x.id == "tensor-gather-scores")
    names = [c.name for c in ex.run(e.solution, e).checks]
    names2 = [c.name for c in ex.run(e.solution, e).checks]
    assert [n for n in names if "seed" in n] != [n for n in names2 if "seed" in n]


@needs_bwrap
def test_error_in_candidate_function_is_a_failed_check_with_traceback(ex):
    e = next(x for x in EXERCISES if x.id == "tensor-gather-scores")
    r = ex.run("def pick(scores, index):\n    return scores[index, index, index]\n", e)
    assert r.status == "failed"
    assert "IndexError" in r.checks[0].message and "<candidate>" in r.checks[0].message
