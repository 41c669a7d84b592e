"""The LLM brain against a real OpenAI-compatible HTTP server on 127.0.0.1 (tests/
openai_server.py): streamed wording grounded in the reference, usage accounting, token
budgets, and falling back to the offline brain on errors, timeouts and malformed output."""

from __future__ import annotations

import pytest

from interviewer.engine import LLMBrain, make_brain
from interviewer.llm.tokens import count_tokens
from interviewer.settings import Settings
from openai_server import Reply, openai_server  # noqa: F401
from test_engine_support import TopicGrader, first, kinds, make_engine


def llm_settings(home, server, **over) -> Settings:
    env = {"INTERVIEWER_HOME": str(home), "INTERVIEWER_LLM": "openai:test-model",
           "OPENAI_BASE_URL": server.url, "OPENAI_API_KEY": "sk-test",
           "INTERVIEWER_LLM_TIMEOUT": "1.5", "INTERVIEWER_LLM_MAX_RETRIES": "0", **over}
    return Settings.from_env(env)


@pytest.fixture
def llm_engine(home, openai_server, ingested_store, knowledge_questions):
    def build(**over):
        settings = llm_settings(home, openai_server, **over)
        brain = make_brain(settings)
        assert isinstance(brain, LLMBrain)
        return make_engine(settings, ingested_store, knowledge_questions, TopicGrader(),
                           brain=brain)
    return build


def user_prompt(request) -> str:
    return "\n".join(m["content"] for m in request["json"]["messages"])


def test_streamed_question_grounded_in_reference(llm_engine, openai_server,
                                                 knowledge_questions):
    engine = llm_engine()
    openai_server.enqueue("Let's start with autograd: what does it record, and why?")
    sid, stream = engine.start_stream("u", {"questions": 2, "seed": 1, "follow_ups": 0})
    events = list(stream)
    deltas = [e.text for e in events if e.kind == "delta"]
    question = first(events, "question")
    assert len(deltas) > 3 and "".join(deltas) == question.text
    request = openai_server.requests[0]
    assert request["json"]["stream"] is True
    reference = next(q for q in knowledge_questions if q.id == question.question_id).reference
    assert reference.strip()[:200] in user_prompt(request)


def test_llm_written_follow_up_is_graded_on_its_own_key_points(llm_engine, openai_server):
    from interviewer.knowledge.followups import FollowUpBook

    engine = llm_engine()
    engine._followups = FollowUpBook()  # no curated record fits: the model writes its own
    points = ["The graph's saved tensors are freed after backward.",
              "retain_graph=True keeps them for a second backward."]
    written = ('{"question": "Which part of the graph is freed, and when?", "key_points": '
               f'["{points[0]}", "{points[1]}"], "reference": "Saved tensors go."}}')
    openai_server.enqueue("First question?", written)
    sid, events = engine.start("u", {"questions": 2, "seed": 2})
    events = engine.handle("u", sid, "2: half an answer")
    follow = first(events, "follow_up")
    assert follow.text == "Which part of the graph is freed, and when?"
    assert not any(p in str(e.to_dict()) for e in events for p in points)  # never shown
    prompt = user_prompt(openai_server.requests[1])
    assert "2.0/5" in prompt and "2: half an answer" in prompt
    assert openai_server.requests[1]["json"].get("stream") is not True
    engine.handle("u", sid, "4: the saved tensors are freed")
    question, graded_points, _ = engine.grader.calls[-1]
    assert question == follow.text and graded_points == points


def test_llm_follow_up_without_key_points_is_conversation(llm_engine, openai_server):
    from interviewer.knowledge.followups import FollowUpBook

    engine = llm_engine()
    engine._followups = FollowUpBook()
    openai_server.enqueue("First question?", "Which part of the graph is freed, and when?",
                          "Next question?")
    sid, _ = engine.start("u", {"questions": 2, "seed": 2})
    follow = first(engine.handle("u", sid, "2: half an answer"), "follow_up")
    assert follow.text == "Which part of the graph is freed, and when?"
    calls = len(engine.grader.calls)
    events = engine.handle("u", sid, "the saved tensors, after backward")
    assert kinds(events)[:2] == ["notice", "question"] and "grade" not in kinds(events)
    assert "isn't scored" in events[0].text and len(engine.grader.calls) == calls


@pytest.mark.parametrize("failure", [Reply(status=500), Reply(content="x", delay=3.0),
                                     Reply(content=""), Reply(content='{"question": 1}')],
                         ids=["http-500", "timeout", "empty", "json"])
def test_failure_falls_back_to_offline_once(llm_engine, openai_server, failure):
    engine = llm_engine()
    openai_server.enqueue("First question?", failure)
    sid, _ = engine.start("u", {"questions": 3, "seed": 3})
    events = engine.handle("u", sid, "1: weak answer")
    assert kinds(events) == ["grade", "notice", "follow_up"]
    assert events[1].level == "warning"
    assert first(events, "follow_up").text  # worded offline
    calls = len(openai_server.requests)
    events = engine.handle("u", sid, "1: still weak")
    assert "notice" not in kinds(events) and len(openai_server.requests) == calls
    said = [t.text for t in engine.transcript("u", sid) if t.role == "candidate"]
    assert said == ["1: weak answer", "1: still weak"]
    assert engine.report("u", sid).data["usage"]["llm_failed"] is True


def test_usage_and_cost_are_recorded(llm_engine, openai_server):
    engine = llm_engine(INTERVIEWER_LLM_PRICE="1.0,2.0")
    openai_server.enqueue("Question one?", "Question two?")
    sid, _ = engine.start("u", {"questions": 2, "seed": 4, "follow_ups": 0})
    events = engine.handle("u", sid, "3")
    events = engine.handle("u", sid, "/end")
    usage = first(events, "report").report["usage"]
    assert usage["calls"] == 2 and usage["prompt_tokens"] > 100
    assert usage["completion_tokens"] >= 4
    expected = (usage["prompt_tokens"] * 1.0 + usage["completion_tokens"] * 2.0) / 1e6
    assert usage["cost_usd"] == pytest.approx(expected, rel=1e-3)
    assert "LLM usage" in first(events, "report").markdown


def test_prompt_budget_trims_history_never_the_reference(llm_engine, openai_server,
                                                         knowledge_questions):
    engine = llm_engine(INTERVIEWER_PROMPT_TOKEN_BUDGET="700")
    long_answer = "3: " + "tensors and gradients flow through the graph " * 60
    openai_server.enqueue(*[f"Question {i}?" for i in range(6)])
    sid, events = engine.start("u", {"questions": 6, "seed": 5, "follow_ups": 0})
    for _ in range(4):
        events = engine.handle("u", sid, long_answer)
    request = openai_server.requests[-1]
    prompt = user_prompt(request)
    q = next(q for q in knowledge_questions if q.id == first(events, "question").question_id)
    assert q.reference.strip() in prompt
    assert count_tokens(prompt) <= 700 or prompt.count(long_answer[:40]) == 0
    assert prompt.count(long_answer[:40]) < 4  # older history was dropped


def test_offline_setting_gives_offline_brain(home):
    assert make_brain(Settings(home=home)).name == "offline"
