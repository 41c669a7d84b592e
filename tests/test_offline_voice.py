"""The offline interviewer speaks in sentences: every offline template, rendered in every
branch with the real knowledge base (nudges for every key point, the curated hints, feedback
at every score), and no message is a bare list of words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from interviewer.engine.brain import (AskContext, FollowUpContext, HintContext, OfflineBrain,
                                      nudge_sentence)
from interviewer.engine.followups import FollowUpPlan
from interviewer.grading.base import Grade, MisconceptionHit, PointVerdict, Span
from interviewer.grading.feedback import explain, write_feedback
from interviewer.llm.prompts import render

REPO = Path(__file__).resolve().parents[1]
FUNCTION_WORDS = set("""a an the is are was be to of in on for and or but not what why how
when which that this it you your can does do with about where there one part think i we
me my at by as if so then than from into""".split())


def bare_word_list(text: str) -> bool:
    """True for a sentence that is only a list: three or more comma-separated items of one or
    two words with no "and"/"or" before the last ("Think about PyTorch, dependency,
    training."), or a sentence with no function word at all ("tensor dtype device cuda").
    Code (backticks, calls, shapes, /commands) is not counted as words."""
    code = re.sub(r"`[^`]*`|\([^()]*\)|\[[^\]]*\]|/\w+", "X", text)  # shapes, code
    for sentence in re.split(r"(?<=[.?!])\s+", code.strip()):
        words = re.findall(r"[\w`'.()-]+", sentence)
        parts = [p.strip() for p in sentence.split(",")]
        short = [p for p in parts if 0 < len(p.split()) <= 2 and p.strip(".") != "X"]
        joined = re.match(r"(and|or)\b", parts[-1]) is not None
        if len(parts) >= 3 and len(short) >= len(parts) - 1 and not joined:
            return True
        if len(words) >= 4 and not {w.lower().strip(".,`") for w in words} & FUNCTION_WORDS:
            return True
    return False


def test_the_detector_catches_the_old_keyword_voice():
    assert bare_word_list("Think about PyTorch, dependency, training.")
    assert bare_word_list("Hint 1: think about automatically, parameters, Modules.")
    assert bare_word_list("tensor dtype device cuda numpy")
    assert not bare_word_list("Think about what t() does to the strides rather than the data.")


def grade(verdicts, score, hits=()):
    return Grade(score=score, points=tuple(PointVerdict(p, v) for p, v in verdicts),
                 misconceptions=tuple(hits), feedback="", grader="t")


def offline_messages(q) -> list[str]:
    brain, out = OfflineBrain(), []
    for prev in (None, 1.0, 3.0, 4.5):
        out.append("".join(brain.ask(AskContext(q, q.topic, 1, 5, q.difficulty, prev))))
    half = [(p, "covered" if i % 2 else "missing") for i, p in enumerate(q.key_points)]
    hit = MisconceptionHit(q.misconceptions[0], Span(0, 9, "it copies"))
    plans = [FollowUpPlan("misconception", (q.key_points[0],), misconception=hit.misconception,
                          span="it copies"),
             FollowUpPlan("misconception", (q.key_points[0],), misconception="x"),
             FollowUpPlan("missing", (q.key_points[0],), curated=q.follow_ups[0]),
             FollowUpPlan("missing", (q.key_points[0],)), FollowUpPlan("missing", ()),
             FollowUpPlan("deeper", (), curated=q.follow_ups[0])]
    for plan in plans:
        for score in (1.0, 3.0, 4.8):
            ctx = FollowUpContext(q, "an answer", grade(half, score), plan,
                                  nudge=nudge_sentence(q.key_points[0], q.question))
            out.append("".join(brain.follow_up(ctx)))
    for n, p in enumerate(q.key_points, 1):
        out.append("".join(brain.hint(HintContext(q, n, 1.0, p))))
    for score in (0.0, 0.8, 2.0, 3.0, 4.0, 5.0):
        out.append(explain(grade(half, score, [hit]), score))
    out.append(write_feedback(grade(half, 2.0).points, [hit]))
    return out


def test_no_offline_message_is_a_bare_list_of_words(knowledge_questions):
    welcome = render("interview_welcome", total=3, mode="mixed", topics=["Autograd"],
                     all_topics=False, follow_ups=1, hint_penalty=1.0).user
    bad = [m for m in [welcome] if bare_word_list(m)]
    for q in knowledge_questions:
        bad += [f"{q.id}: {m}" for m in offline_messages(q) if bare_word_list(m)]
        assert not any("{" in m or "Reverses" in m for m in offline_messages(q)[:1])
    assert not bad, "\n".join(bad[:10])


@pytest.mark.skipif(not (REPO / "knowledge" / "followups").is_dir(),
                    reason="no curated hints shipped yet")
def test_curated_hints_are_sentences_not_keyword_lists():
    from interviewer.knowledge.followups import load_followups

    book = load_followups(REPO / "knowledge" / "followups", REPO / "knowledge" / "questions")
    hints = [(qid, h) for qid, hs in book.hints.items() for h in hs]
    assert hints
    bad = [f"{qid}: {h}" for qid, h in hints if bare_word_list(h)]
    assert not bad, "\n".join(bad[:10])
