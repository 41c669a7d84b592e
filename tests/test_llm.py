"""The llm package: provider registry, prompt loading/rendering, token counting."""

from __future__ import annotations

import pytest

from interviewer.errors import ConfigError
from interviewer.llm import (count_tokens, fit_tokens, make_chat_model, parse_llm, prompt_names,
                             register_provider, render)
from interviewer.llm.prompts import _templates
from interviewer.settings import Settings
from openai_server import OpenAIServer, Reply, openai_server  # noqa: F401  (fixture)


def test_offline_means_no_model():
    assert make_chat_model(Settings.from_env({})) is None
    assert parse_llm("offline") is None
    assert parse_llm("openai:gpt-4o-mini") == ("openai", "gpt-4o-mini")


def test_bad_llm_string_names_the_variable():
    with pytest.raises(ConfigError, match="INTERVIEWER_LLM"):
        make_chat_model(Settings.from_env({"INTERVIEWER_LLM": "gpt-4o"}))


def test_openai_without_key_or_base_url_names_the_variable():
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        make_chat_model(Settings.from_env({"INTERVIEWER_LLM": "openai:gpt-4o-mini"}))


def test_registered_provider_is_chosen_by_name():
    seen = {}
    register_provider("scripted", lambda model, s: seen.setdefault("m", (model, s.llm_timeout_s)))
    make_chat_model(Settings.from_env({"INTERVIEWER_LLM": "scripted:x",
                                       "INTERVIEWER_LLM_TIMEOUT": "3"}))
    assert seen["m"] == ("x", 3.0)


def test_openai_model_talks_to_the_configured_server(openai_server):
    env = {"INTERVIEWER_LLM": "openai:test-model", "OPENAI_BASE_URL": openai_server.url,
           "OPENAI_API_KEY": "sk-test", "INTERVIEWER_LLM_MAX_RETRIES": "0"}
    model = make_chat_model(Settings.from_env(env))
    openai_server.enqueue("hello", "one two three")
    assert model.invoke("hi").content == "hello"
    assert "".join(c.content for c in model.stream("hi")) == "one two three"
    sent = openai_server.requests[0]
    assert sent["json"]["model"] == "test-model"
    assert sent["headers"].get("Authorization", sent["headers"].get("authorization")) == \
        "Bearer sk-test"


def test_timeout_and_retries_come_from_settings(openai_server):
    env = {"INTERVIEWER_LLM": "openai:m", "OPENAI_BASE_URL": openai_server.url,
           "OPENAI_API_KEY": "k", "INTERVIEWER_LLM_MAX_RETRIES": "1"}
    model = make_chat_model(Settings.from_env(env))
    openai_server.enqueue(Reply(status=500), Reply(status=500))
    with pytest.raises(Exception):
        model.invoke("hi")
    assert len(openai_server.requests) == 2  # one try + one bounded retry


def test_every_shipped_prompt_parses():
    names = prompt_names()
    assert "grade_answer" in names and "repair_json" in names
    for name in names:
        assert _templates(name)


def test_render_is_strict():
    with pytest.raises(ConfigError, match="undefined"):
        render("grade_answer", question="q")
    p = render("repair_json", error="bad")
    assert p.messages() == [("user", p.user)] and "bad" in p.user


def test_token_counting_is_offline_and_exact():
    assert count_tokens("hello world") == 2
    assert count_tokens("<|endoftext|>") > 1  # special tokens count as text
    text = "word " * 100
    cut = fit_tokens(text, 10)
    assert count_tokens(cut) <= 10 and cut.endswith("[...]")
    assert fit_tokens("short", 10) == "short"
