"""The interviewer's voice: offline templates, prompt files rendered strictly, the token
budget (history trimmed first, the reference never), reply checks, usage and cost."""

from __future__ import annotations

import pytest

from interviewer.engine.brain import (AskContext, Exchange, FollowUpContext, HintContext,
                                      OfflineBrain, check_reply, fit_prompt, keywords)
from interviewer.engine.candidate_input import extract_code, parse_command
from interviewer.engine.followups import FollowUpPlan, plan_follow_up
from interviewer.errors import ConfigError, ServiceError
from interviewer.grading.base import Grade, MisconceptionHit, PointVerdict
from interviewer.knowledge.models import Question
from interviewer.llm import usage
from interviewer.llm.prompts import prompt_names, render
from interviewer.llm.tokens import count_tokens

Q = Question(id="Q26", topic="Autograd & Gradients", question="What is autograd?",
             reference="Autograd records operations and applies the chain rule backwards.",
             key_points=["Autograd records operations on tensors that require grad.",
                         "Backward uses reverse-mode differentiation via the chain rule."],
             misconceptions=["Autograd uses finite differences."],
             follow_ups=["Why is reverse mode preferred for training?"])


def grade(verdicts, hits=(), score=2.0):
    return Grade(score=score, points=tuple(PointVerdict(p, v) for p, v in verdicts),
                 misconceptions=tuple(MisconceptionHit(h) for h in hits), feedback="fb",
                 grader="t")


def test_every_interview_prompt_renders_and_is_strict():
    names = [n for n in prompt_names() if n.startswith("interview_")]
    assert {"interview_ask", "interview_follow_up", "interview_hint",
            "interview_offline_ask", "interview_offline_follow_up",
            "interview_offline_hint", "interview_welcome"} <= set(names)
    with pytest.raises(ConfigError):
        render("interview_ask", question="q")


@pytest.mark.parametrize("plan,nudge,expect", [
    (FollowUpPlan("misconception", (Q.key_points[1],), misconception=Q.misconceptions[0],
                  span="it uses finite differences"), "", '"it uses finite differences"'),
    (FollowUpPlan("misconception", (Q.key_points[1],), misconception=Q.misconceptions[0]), "",
     "doesn't sound right"),
    (FollowUpPlan("missing", (Q.key_points[1],), curated=Q.follow_ups[0]), "", Q.follow_ups[0]),
    (FollowUpPlan("missing", (Q.key_points[1],)), "Think about the chain rule.",
     "Think about the chain rule."),
    (FollowUpPlan("missing", ()), "", "expand"),
    (FollowUpPlan("deeper", (), curated=Q.follow_ups[0]), "", "deeper"),
])
def test_offline_follow_up_wording(plan, nudge, expect):
    ctx = FollowUpContext(question=Q, answer="a", grade=grade([]), plan=plan, nudge=nudge)
    text = "".join(OfflineBrain().follow_up(ctx))
    assert expect in text and "{" not in text
    assert Q.misconceptions[0].lower().rstrip(".") not in text.lower()  # never the label


def test_deeper_praise_follows_the_score():
    plan = FollowUpPlan("deeper", (), curated=Q.follow_ups[0])
    def said(score):
        ctx = FollowUpContext(question=Q, answer="a", grade=grade([], score=score), plan=plan)
        return "".join(OfflineBrain().follow_up(ctx))
    assert said(4.5).startswith("Good answer.")
    assert not said(2.0).startswith(("Good", "Thanks"))


def test_offline_ask_and_hint():
    brain = OfflineBrain()
    ask = "".join(brain.ask(AskContext(Q, "Autograd", 2, 5, 3, previous_score=4.5)))
    assert ask.startswith("Good.") and "Question 2 of 5" in ask and Q.question in ask
    hint = "".join(brain.hint(HintContext(Q, 1, 1.0, Q.key_points[1])))
    assert hint.startswith("Hint 1") and "differentiation" in hint
    assert Q.key_points[1] not in hint and hint.rstrip().endswith(".")
    curated = "".join(brain.hint(HintContext(Q, 2, 1.0, Q.key_points[1],
                                             nudge="Which direction does backward go?")))
    assert curated.endswith("Which direction does backward go?")
    verbatim = "".join(brain.hint(HintContext(Q, 1, 0.0, "Use torch.arange.", verbatim=True)))
    assert verbatim.endswith("Use torch.arange.")


def test_a_reversed_point_is_challenged_only_when_not_judged_covered():
    from interviewer.grading.base import Span

    said = Span(0, 20, "backward goes forward")
    hit = MisconceptionHit(f"Reverses: {Q.key_points[1]}", said)
    judged_covered = Grade(score=4.9, points=tuple(PointVerdict(p, "covered")
                                                   for p in Q.key_points),
                           misconceptions=(hit,), feedback="", grader="t")
    assert plan_follow_up(Q, judged_covered, [], None).focus == "deeper"
    judged_missing = Grade(score=2.0, points=(PointVerdict(Q.key_points[0], "covered"),
                                              PointVerdict(Q.key_points[1], "missing")),
                           misconceptions=(hit,), feedback="", grader="t")
    plan = plan_follow_up(Q, judged_missing, [], None)
    assert plan.focus == "misconception" and plan.span == "backward goes forward"
    text = "".join(OfflineBrain().follow_up(FollowUpContext(Q, "a", judged_missing, plan)))
    assert "reverses" not in text.lower() and "backward goes forward" in text


def test_keywords_prefer_code_symbols():
    assert keywords("Clear them with optimizer.zero_grad() or model.zero_grad().")[:2] == [
        "optimizer.zero_grad", "model.zero_grad"]


def test_follow_up_plans():
    missing = grade([(Q.key_points[0], "covered"), (Q.key_points[1], "missing")])
    plan = plan_follow_up(Q, missing, [], None)
    assert plan.focus == "missing" and plan.points == (Q.key_points[1],)
    wrong = grade([(Q.key_points[0], "covered"), (Q.key_points[1], "missing")],
                  hits=[Q.misconceptions[0]])
    challenge = plan_follow_up(Q, wrong, [], None)
    assert challenge.focus == "misconception" and challenge.points == (Q.key_points[1],)
    # a misconception hit on an answer whose points are all covered is not challenged
    covered = grade([(p, "covered") for p in Q.key_points], hits=[Q.misconceptions[0]])
    assert plan_follow_up(Q, covered, [], None).focus == "deeper"
    complete = grade([(p, "covered") for p in Q.key_points], score=5.0)
    assert plan_follow_up(Q, complete, [], None).curated == Q.follow_ups[0]
    assert plan_follow_up(Q, complete, Q.follow_ups, None) is None


def test_fit_prompt_trims_history_first_then_answer_never_reference():
    history = [Exchange("candidate", f"old answer {i} " + "word " * 80) for i in range(10)]
    variables = dict(question=Q.question, reference=Q.reference * 20, key_points=Q.key_points,
                     answer="long " * 2000, score=2.0, covered=[], missing=Q.key_points,
                     focus="missing", points=Q.key_points, curated=None, misconception="")
    roomy = fit_prompt("interview_follow_up", history, variables, 100_000)
    assert "old answer 0" in roomy.user
    tight = fit_prompt("interview_follow_up", history, variables, 1200)
    assert "old answer" not in tight.user and Q.reference * 20 in tight.user
    assert count_tokens(tight.system) + count_tokens(tight.user) <= 1200
    mid = fit_prompt("interview_follow_up", history, {**variables, "answer": "short"}, 800)
    assert "old answer 9" in mid.user and "old answer 0" not in mid.user


@pytest.mark.parametrize("bad", ["", "   ", "{\"q\": 1}", "x" * 2000])
def test_check_reply_rejects_malformed(bad):
    with pytest.raises(ServiceError):
        check_reply(bad)


def test_usage_prices_and_estimates():
    assert usage.price_for("openai:gpt-4o-mini") == (0.15, 0.60)
    assert usage.price_for("openai:gpt-4o-2024-08-06") == (2.50, 10.00)
    assert usage.price_for("openai:llama3.1:8b") == (0.0, 0.0)
    assert usage.price_for("openai:gpt-4o", (1.0, 1.0)) == (1.0, 1.0)
    call = usage.CallUsage(1_000_000, 500_000)
    assert usage.cost_usd(call, (0.15, 0.60)) == pytest.approx(0.45)
    assert usage.from_metadata({"input_tokens": 3, "output_tokens": 4}) == usage.CallUsage(3, 4)
    est = usage.estimate(["hello world"], "hi")
    assert est.estimated and est.prompt_tokens > 2 and est.completion_tokens == 1


def test_candidate_commands():
    assert parse_command("/hint") == "hint" and parse_command(" SKIP ") == "skip"
    assert parse_command("I don't know.") == "idk" and parse_command("idk") == "idk"
    assert parse_command("I don't know why, but grads accumulate") is None
    assert parse_command("/end") == "end"
    assert extract_code("```python\nx = 1\n```") == "x = 1\n"
    assert extract_code("one line") is None
