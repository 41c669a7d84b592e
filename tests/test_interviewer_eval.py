"""The interviewer eval's parts (evals/interviewer/): held-out answers only, the scripted
candidate types, and each failure detector on a case it must catch and one it must pass;
then whole interviews through the real engine with a scripted grader."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from evals.interviewer.candidates import TYPES, Candidate, load_rows
from evals.interviewer.checks import Tally, _rubric_check, stated
from interviewer.engine.events import FollowUpAsked, GradeReady, QuestionAsked, ReferenceShown
from interviewer.engine.state import Attempt
from interviewer.knowledge.followups import FollowUpBook
from interviewer.knowledge.models import FollowUpRecord
from test_engine_support import make_engine

REPO = Path(__file__).resolve().parents[1]
DEV = [REPO / "evals" / "data" / "dev.jsonl", REPO / "evals" / "data" / "extra" /
       "ordinary-dev.jsonl"]


def test_training_answers_are_refused():
    with pytest.raises(ValueError, match="held-out"):
        load_rows([REPO / "evals" / "data" / "train.jsonl"])


def test_stated_means_nearly_word_for_word():
    point = "reshape returns a view when the strides allow it, otherwise a copy"
    assert stated(point, "I know reshape returns a view when strides allow it, otherwise a copy.")
    assert not stated(point, "reshape might copy sometimes")


def grade(score, missing=(), feedback="This answer misses most of what matters here."):
    return GradeReady("Q1", score, 5.0, False, [], list(missing), [], feedback)


def test_praise_after_a_low_score_is_caught_and_fair_words_pass():
    tally = Tally()
    tally.message([grade(1.0), QuestionAsked("Q2", "t", "T", 2, 2, 5, "Good. Question 2")],
                  {}, "an answer", command=False)
    tally.message([grade(1.0), QuestionAsked("Q3", "t", "T", 2, 3, 5, "Let's keep going.")],
                  {}, "an answer", command=False)
    assert tally.counts["praise_on_low_score"] == 1


def test_leaks_are_caught():
    tally = Tally()
    ref = "The reference answer of question one, long enough to be recognised in any text."
    tally.message([FollowUpAsked("Q1", 1, "missing", f"Consider: {ref}")], {"Q1": ref}, "a",
                  command=False)
    tally.reference_probe([ReferenceShown("Q1", ref)], {"Q1"})
    tally.reference_probe([ReferenceShown("Q0", ref)], {"Q1"})  # a finished one: fine
    assert tally.counts["reference_leak"] == 2


def test_a_curated_follow_up_graded_on_the_main_points_is_the_wrong_rubric(knowledge_questions):
    q = knowledge_questions[0]
    rec = FollowUpRecord(id=f"{q.id}.1", parent=q.id, question=q.follow_ups[0],
                         reference="r", key_points=["a one", "b two"])
    bank, records = {q.id: q}, {rec.id: rec}
    good = Attempt("follow_up", q.follow_ups[0], "x", score=4.0, points=["a one", "b two"],
                   rubric=rec.id)
    wrong = Attempt("follow_up", q.follow_ups[0], "x", score=1.0, points=list(q.key_points),
                    rubric=f"{q.id}:probe")
    tally = Tally()
    _rubric_check(tally, q.id, good, records, set(q.key_points), bank)
    assert not tally.counts
    _rubric_check(tally, q.id, wrong, records, set(q.key_points), bank)
    assert tally.counts["wrong_rubric"] == 1


@pytest.fixture(scope="module")
def rows():
    return load_rows(DEV)


def test_candidate_types_behave_as_named(knowledge_questions, rows):
    bank = {q.id: q for q in knowledge_questions}
    q = bank["Q3"]

    def say(kind):
        cand = Candidate(kind, q.topic_slug, bank, rows, FollowUpBook(), random.Random(1))
        return cand.answer("Q3", q.question)

    assert say("empty") == "" and say("repeats_question") == q.question
    strong = {r["answer"] for r in rows["Q3"] if r["score"] >= 4}
    assert say("strong") not in strong  # "strong" is merely ordinary on its weak topic
    assert say("honest_weak") in {r["answer"] for r in rows["Q3"]}
    assert "?" in say("asks_for_answer") or "please" in say("asks_for_answer")
    other = Candidate("empty", "another-topic", bank, rows, FollowUpBook(), random.Random(1))
    assert other.answer("Q3", q.question) in strong


def test_an_injector_is_never_strong_on_its_weak_topic(knowledge_questions, rows):
    """Q46 has no injection row: the injector says a weak answer of its own plus another
    question's injection (a strong answer once stood in for it)."""
    bank = {q.id: q for q in knowledge_questions}
    assert not [r for r in rows["Q46"] if r.get("category") == "injection"]
    cand = Candidate("prompt_injector", bank["Q46"].topic_slug, bank, rows, FollowUpBook(),
                     random.Random(1))
    said = cand.answer("Q46", bank["Q46"].question)
    weak = [r["answer"] for r in rows["Q46"] if r["score"] <= 3.5]
    injections = [r["answer"] for q in rows.values() for r in q if r.get("category") ==
                  "injection"]
    assert any(said.startswith(w) for w in weak) and any(said.endswith(i) for i in injections)


def test_follow_ups_are_answered_with_held_out_follow_up_answers(knowledge_questions):
    from interviewer.knowledge.followups import load_followups

    knowledge = REPO / "knowledge"
    book = load_followups(knowledge / "followups", knowledge / "questions")
    bank = {q.id: q for q in knowledge_questions}
    rows = load_rows(DEV + [REPO / "evals" / "data" / "extra" / "followup-heldout.jsonl"])
    record = next(r for r in book.records.values() if r.parent == "Q3")
    by_cat = {c: {r["answer"] for r in rows[record.id] if r["category"] == c}
              for c in ("followup_correct", "followup_partial", "followup_wrong")}
    for kind, cat in (("confidently_wrong", "followup_wrong"),
                      ("honest_weak", "followup_partial")):
        cand = Candidate(kind, bank["Q3"].topic_slug, bank, rows, book, random.Random(1))
        assert cand.follow_up("Q3", f"Follow-up: {record.question}") in by_cat[cat]
    other = Candidate("honest_weak", "another-topic", bank, rows, book, random.Random(1))
    assert other.follow_up("Q3", record.question) in by_cat["followup_correct"]


def test_web_interview_reads_the_points_a_grade_names():
    from evals.interviewer.web import feedback_points, summarise

    grade = ("Score: 4.2 / 5 (follow-up)\n✅ Covered\nFirst point.\nSecond point.\n"
             "❌ Missing\nThird point.\n⚠️ Misconceptions\nA wrong idea.\n💬 Good.")
    assert feedback_points(grade) == ["First point.", "Second point.", "Third point."]
    rows = [{"category": "followup_correct", "score": 4.2, "points_named": 3,
             "own_points_named": 3, "follow_up_flag": True},
            {"category": "followup_wrong", "score": 2.0, "points_named": 1,
             "own_points_named": 0, "follow_up_flag": True}]
    doc = summarise(rows)
    assert doc["followup_correct"]["share_fair"] == 1.0
    assert doc["followup_wrong"]["share_fair"] == 0.0
    assert doc["feedback_names_only_own_points"] is False


def test_whole_interviews_have_no_gated_failure(settings, ingested_store, knowledge_questions,
                                                rows):
    from evals.interviewer.__main__ import GATED, interview

    dev = [q for q in knowledge_questions if q.id in rows]
    engine = make_engine(settings, ingested_store, knowledge_questions)
    refs = {q.id: q.reference for q in knowledge_questions}
    bank = {q.id: q for q in knowledge_questions}
    for i, kind in enumerate(TYPES):
        cand = Candidate(kind, dev[i].topic_slug, bank, rows, engine.followups,
                         random.Random(i))
        run = interview(engine, cand, 3, seed=i, refs=refs)
        assert run["named"] is not None
        assert not {f: n for f, n in run["failures"].items() if f in GATED}, run["examples"]
