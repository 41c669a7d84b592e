"""The `interviewer` command: --json prints exactly one JSON document on stdout."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import REPO


def run_cli(*args: str, env_home, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(env_home), "INTERVIEWER_HOME": str(env_home),
           "HF_HUB_OFFLINE": "1", "INTERVIEWER_TORCH_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "interviewer", *args], cwd=REPO, env=env,
                          input=stdin, capture_output=True, text=True, timeout=240)


@pytest.fixture(scope="module")
def cli_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("cli-home")
    out = run_cli("ingest", "--json", env_home=home)
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["counts"]["added"] == 100 and summary["counts"]["embedded_texts"] == 100
    return home


def test_reingest_embeds_nothing(cli_home):
    out = run_cli("ingest", "--json", env_home=cli_home)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["counts"] == {
        "added": 0, "updated": 0, "removed": 0, "unchanged": 100, "embedded_texts": 0,
        "seconds": json.loads(out.stdout)["counts"]["seconds"]}


def test_search_json_shape(cli_home, tmp_path):
    qfile = tmp_path / "q.txt"
    qfile.write_text("difference between view and reshape\n\nsave a training checkpoint\n")
    out = run_cli("search", "autograd engine", "--file", str(qfile), "-k", "2", "--json",
                  env_home=cli_home)
    assert out.returncode == 0, out.stderr
    results = json.loads(out.stdout)
    assert len(results) == 3 and all(len(hits) == 2 for hits in results)
    assert set(results[0][0]) == {"id", "score", "topic", "question", "source"}
    assert results[1][0]["id"] == "Q17" and results[2][0]["id"] == "Q93"


def test_search_topic_and_errors(cli_home):
    out = run_cli("search", "pooling", "--topic", "Convolutional Neural Networks", "--json",
                  env_home=cli_home)
    assert {h["topic"] for h in json.loads(out.stdout)[0]} == {"Convolutional Neural Networks"}
    bad = run_cli("search", "--json", env_home=cli_home)
    assert bad.returncode == 2 and "give at least one QUERY" in bad.stderr and bad.stdout == ""


def test_ingest_bad_file_is_a_clear_error(tmp_path):
    (tmp_path / "bad.md").write_text("## T\n**Q1: What?**\n**A:**\n")
    out = run_cli("ingest", str(tmp_path / "bad.md"), env_home=tmp_path / "h")
    assert out.returncode == 2
    assert "bad.md:2: question 'What?' has no answer" in out.stderr
    assert "Traceback" not in out.stderr


def test_search_file_that_cannot_be_read(cli_home, tmp_path):
    out = run_cli("search", "--file", str(tmp_path / "missing.txt"), env_home=cli_home)
    assert out.returncode == 2 and "missing.txt: cannot read queries" in out.stderr
    assert "Traceback" not in out.stderr


def test_offline_is_case_insensitive():
    from interviewer.settings import Settings

    assert Settings.from_env({"INTERVIEWER_LLM": " Offline "}).llm == "offline"


def test_answer_check_setting_reads_on_and_off_and_names_a_bad_value():
    from interviewer.errors import ConfigError
    from interviewer.settings import Settings

    assert Settings.from_env({}).answer_check is True
    assert Settings.from_env({"INTERVIEWER_ANSWER_CHECK": "Off"}).answer_check is False
    with pytest.raises(ConfigError, match="INTERVIEWER_ANSWER_CHECK='maybe': use on or off"):
        Settings.from_env({"INTERVIEWER_ANSWER_CHECK": "maybe"})
