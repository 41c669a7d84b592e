"""The interview engine over a real Chroma store (the shipped knowledge base), a scripted
grader behind the Grader protocol, and a SQLite session store in a temp folder."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from interviewer.engine import Plan
from interviewer.errors import InputError, ServiceError
from test_engine_support import (FakeRunner, ScriptedBrain, TopicGrader, first, kinds,
                                 make_engine)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def engine(settings, ingested_store, knowledge_questions):
    return make_engine(settings, ingested_store, knowledge_questions)


def run_answers(engine, sid, answers, user="u"):
    out = []
    for a in answers:
        out.append(engine.handle(user, sid, a))
    return out


def test_start_asks_first_question_and_events_are_json(engine):
    sid, events = engine.start("u", {"questions": 3, "seed": 1})
    assert kinds(events) == ["notice", "question"]
    q = first(events, "question")
    assert q.number == 1 and q.total == 3 and q.question_id.startswith("Q")
    json.dumps([e.to_dict() for e in events])
    assert engine.list_sessions("u")[0].id == sid


def test_weak_answer_gets_follow_up_on_missed_points_graded_against_them(
        settings, ingested_store, knowledge_questions):
    # no curated follow-up has a record: the missed points are probed (a record that fits
    # them is graded on its own points, test_curated_follow_up_is_graded_only_on_its_own_rubric)
    engine = make_engine(settings, ingested_store, knowledge_questions,
                         followups=book_for([]))
    sid, _ = engine.start("u", {"questions": 2, "seed": 2})
    events = engine.handle("u", sid, "1.5: partial answer")
    assert kinds(events) == ["grade", "follow_up"]
    grade, follow = events
    assert grade.missing and follow.focus == "missing"
    events = engine.handle("u", sid, "4: the follow-up answer")
    assert kinds(events) == ["grade", "question"] and events[0].follow_up
    _, points, _ = engine.grader.calls[-1]
    assert points and set(points) <= set(grade.missing) and len(points) <= 2
    assert events[1].number == 2


@pytest.mark.parametrize("probe, expected", [("0: still nothing", 4.0), ("5: got it", 4.33)])
def test_a_probe_of_missed_points_counts_only_when_it_raises_the_score(
        settings, ingested_store, knowledge_questions, probe, expected):
    """The main answer already lost the probed points: not recovering them must not take
    them again (it once turned 4.3/5 into 2.9), recovering them adds credit. (No curated
    follow-up has a record here, so the missed points are probed.)"""
    engine = make_engine(settings, ingested_store, knowledge_questions,
                         followups=book_for([]))
    sid, _ = engine.start("u", {"questions": 1, "seed": 2})
    follow = first(engine.handle("u", sid, "4: good but incomplete"), "follow_up")
    assert follow.focus == "missing"
    engine.handle("u", sid, probe)
    item = engine.report("u", sid).to_dict()["transcript"][0]
    assert item["attempts"][1]["rubric"].endswith(":probe")
    assert item["score"] == expected


def test_misconception_is_challenged_first(engine):
    sid, _ = engine.start("u", {"questions": 1, "seed": 3})
    events = engine.handle("u", sid, "3: something WRONG")
    assert first(events, "follow_up").focus == "misconception"


def test_complete_answer_goes_deeper_with_curated_follow_up(engine, knowledge_questions):
    sid, events = engine.start("u", {"questions": 1, "seed": 4})
    qid = first(events, "question").question_id
    curated = next(q for q in knowledge_questions if q.id == qid).follow_ups
    events = engine.handle("u", sid, "5: perfect")
    follow = first(events, "follow_up")
    assert follow.focus == "deeper" and any(c in follow.text for c in curated)


def test_follow_up_count_is_configurable(settings, ingested_store, knowledge_questions):
    engine = make_engine(settings, ingested_store, knowledge_questions)
    sid, _ = engine.start("u", {"questions": 2, "seed": 5, "follow_ups": 0})
    assert kinds(engine.handle("u", sid, "1: weak")) == ["grade", "question"]
    sid, _ = engine.start("u", {"questions": 2, "seed": 5, "follow_ups": 2})
    assert kinds(engine.handle("u", sid, "1: weak")) == ["grade", "follow_up"]
    assert kinds(engine.handle("u", sid, "1: still weak")) == ["grade", "follow_up"]
    assert kinds(engine.handle("u", sid, "1: weak again")) == ["grade", "question"]


def test_commands_hint_repeat_skip_idk_end(engine):
    sid, events = engine.start("u", {"questions": 3, "seed": 6, "follow_ups": 0})
    question = first(events, "question")
    hint = engine.handle("u", sid, "/hint")
    assert kinds(hint) == ["hint"] and hint[0].penalty == 1.0
    assert engine.handle("u", sid, "/repeat")[0].text == question.text
    graded = engine.handle("u", sid, "4: good")
    assert first(graded, "grade").score == 3.0 and first(graded, "grade").penalty == 1.0
    skipped = engine.handle("u", sid, "/skip")
    assert kinds(skipped) == ["notice", "question"]
    idk = engine.handle("u", sid, "I don't know.")
    assert kinds(idk) == ["reference", "grade", "report"]
    assert first(idk, "grade").score == 0 and first(idk, "reference").text
    report = first(idk, "report").report
    assert report["overall"]["skipped"] == 1 and report["overall"]["hints"] == 1
    assert engine.handle("u", sid, "more")[0].kind == "notice"  # the interview is over


def test_end_early_gives_report_with_transcript(engine):
    sid, _ = engine.start("u", {"questions": 5, "seed": 7, "follow_ups": 0})
    engine.handle("u", sid, "2: meh")
    events = engine.handle("u", sid, "/end")
    assert kinds(events) == ["notice", "report"]
    report = events[-1].report
    assert report["status"] == "finished" and len(report["transcript"]) == 2
    first_item = report["transcript"][0]
    assert first_item["attempts"][0]["answer"] == "2: meh"
    assert first_item["attempts"][0]["grade"]["score"] == 2.0
    assert "## By topic" in events[-1].markdown
    assert "| topic | questions | score |" in events[-1].markdown


def test_a_report_with_nothing_answered_says_so_instead_of_an_empty_table(engine):
    sid, _ = engine.start("u", {"questions": 2, "seed": 7, "follow_ups": 0})
    engine.handle("u", sid, "/skip")
    markdown = engine.handle("u", sid, "/end")[-1].markdown
    assert "No question was answered" in markdown
    assert "| topic | questions | score |" not in markdown


def test_never_repeats_and_covers_topics(engine, ingested_store):
    n_topics = len(ingested_store.topics())
    sid, events = engine.start("u", {"questions": n_topics + 3, "seed": 8, "follow_ups": 0})
    asked = [first(events, "question")]
    for _ in range(n_topics + 2):
        asked.append(first(engine.handle("u", sid, "3: ok"), "question"))
    ids = [q.question_id for q in asked]
    assert len(ids) == len(set(ids))
    assert {q.topic for q in asked[:n_topics]} == set(ingested_store.topics())


def test_weak_topic_gets_more_questions(settings, ingested_store, knowledge_questions):
    weak = "autograd-gradients"
    grader = TopicGrader({weak: 0.5}, default=4.5)
    engine = make_engine(settings, ingested_store, knowledge_questions, grader)
    sid, events = engine.start("u", {"questions": 14, "seed": 9, "follow_ups": 0})
    topics = [first(events, "question").topic]
    while True:
        events = engine.handle("u", sid, "an answer")
        if events[-1].kind == "report":
            break
        topics.append(first(events, "question").topic)
    counts = Counter(topics)
    assert counts[weak] == max(counts.values()) and counts[weak] >= 3
    report = events[-1].report
    assert report["weakest_topic"] == weak
    assert report["next_session"]["topics"][0] == weak
    assert report["study"] and report["study"][0]["topic"] == weak


def test_difficulty_adapts(engine):
    sid, events = engine.start("u", {"questions": 8, "seed": 10, "follow_ups": 0})
    levels, asked = [], []
    for answer in ["5", "5", "5", "0", "0", "0"]:
        asked.append(first(engine.handle("u", sid, answer), "question").difficulty)
        levels.append(engine.sessions.load(sid, "u").state["level"])
    assert levels == [3, 3, 3, 2, 1, 1]
    assert sum(asked[:3]) > sum(asked[3:])


def test_fixed_difficulty_and_topics(engine):
    sid, events = engine.start("u", {"questions": 3, "seed": 11, "follow_ups": 0,
                                     "difficulty": 1, "topics": ["autograd"]})
    asked = [first(events, "question")]
    asked += [first(engine.handle("u", sid, "5"), "question") for _ in range(2)]
    assert {q.topic for q in asked} == {"autograd-gradients"}
    assert {q.difficulty for q in asked} == {1}


def test_same_seed_same_interview(engine):
    def interview(seed):
        sid, events = engine.start("u", {"questions": 5, "seed": seed, "follow_ups": 0})
        ids = [first(events, "question").question_id]
        for a in ["4", "1", "3", "2"]:
            ids.append(first(engine.handle("u", sid, a), "question").question_id)
        return ids

    assert interview(12) == interview(12)
    assert interview(12) != interview(13)


def test_sessions_belong_to_their_user(engine):
    sid, _ = engine.start("alice", {"questions": 2, "seed": 14})
    for call in (lambda: engine.handle("bob", sid, "hi"), lambda: engine.resume("bob", sid),
                 lambda: engine.report("bob", sid)):
        with pytest.raises(InputError):
            call()
    assert engine.list_sessions("bob") == []
    assert [s.id for s in engine.list_sessions("alice")] == [sid]


def test_invalid_plan_and_user(engine):
    with pytest.raises(InputError):
        engine.start("u", {"questions": 0})
    with pytest.raises(InputError):
        engine.start("u", {"bogus": 1})
    with pytest.raises(InputError):
        engine.start("", {})
    with pytest.raises(InputError):
        engine.start("u", {"topics": ["no-such-topic"]})


def test_resume_processes_a_message_received_before_a_crash(settings, ingested_store,
                                                            knowledge_questions):
    engine = make_engine(settings, ingested_store, knowledge_questions)
    sid, _ = engine.start("u", {"questions": 3, "seed": 15, "follow_ups": 0})
    record = engine.sessions.load(sid, "u")
    # The message is committed, then the process dies before replying.
    engine.sessions.set_pending(sid, "u", version=record.version, text="4: my answer")
    fresh = make_engine(settings, ingested_store, knowledge_questions)
    events = fresh.resume("u", sid)
    assert kinds(events) == ["notice", "grade", "question"]
    transcript = fresh.transcript("u", sid)
    assert any(t.role == "candidate" and t.text == "4: my answer" for t in transcript)
    again = fresh.resume("u", sid)
    assert kinds(again) == ["notice", "question"]
    assert again[-1].question_id == events[-1].question_id


def test_stale_writer_is_refused(engine):
    sid, _ = engine.start("u", {"questions": 3, "seed": 16})
    record = engine.sessions.load(sid, "u")
    engine.handle("u", sid, "3")
    with pytest.raises(ServiceError):
        engine.sessions.save(sid, "u", version=record.version, state=record.state,
                             status="active")


def test_coding_mode_with_runner(settings, ingested_store, knowledge_questions):
    runner = FakeRunner()
    engine = make_engine(settings, ingested_store, knowledge_questions, executor=runner)
    sid, events = engine.start("u", {"questions": 2, "mode": "coding", "seed": 17})
    offered = first(events, "exercise")
    assert offered.starter
    assert kinds(engine.handle("u", sid, "just words")) == ["notice"]
    events = engine.submit_code("u", sid, "def f():\n    return 1\n")
    assert kinds(events) == ["code_result", "notice"] and events[0].passed == 1
    assert kinds(engine.handle("u", sid, "/hint")) == ["hint"]
    events = engine.handle("u", sid, "```python\nPASS = 1\n```")
    assert first(events, "code_result").score == 4.0  # 5 minus one hint
    assert first(events, "exercise").exercise_id != offered.exercise_id
    assert runner.runs[-1] == ("PASS = 1\n", offered.exercise_id)


def test_mixed_mode_without_runner_falls_back_to_questions(engine):
    sid, events = engine.start("u", {"questions": 3, "mode": "mixed", "seed": 18})
    assert kinds(events) == ["notice", "notice", "question"]
    assert events[1].level == "warning"


def test_streaming_yields_deltas_before_final_events(settings, ingested_store,
                                                     knowledge_questions):
    engine = make_engine(settings, ingested_store, knowledge_questions, brain=ScriptedBrain())
    sid, stream = engine.start_stream("u", {"questions": 2, "seed": 19, "follow_ups": 0})
    events = list(stream)
    deltas = [e for e in events if e.kind == "delta"]
    question = first(events, "question")
    assert "".join(d.text for d in deltas).strip() == question.text
    assert events.index(deltas[-1]) < events.index(question)
    events = list(engine.handle_stream("u", sid, "3"))
    assert kinds(events)[0] == "delta" and kinds(events)[-1] == "question"
    assert engine.report("u", sid).data["usage"]["calls"] == 2


def test_llm_failure_switches_to_offline_once_and_keeps_answers(settings, ingested_store,
                                                                knowledge_questions):
    brain = ScriptedBrain(fail_after=1)
    engine = make_engine(settings, ingested_store, knowledge_questions, brain=brain)
    sid, events = engine.start("u", {"questions": 3, "seed": 20})
    assert first(events, "question").text.startswith("LLM asks")
    events = engine.handle("u", sid, "1: weak")
    notices = [e for e in events if e.kind == "notice"]
    assert len(notices) == 1 and notices[0].level == "warning"
    assert first(events, "follow_up").text and "LLM" not in first(events, "follow_up").text
    events = engine.handle("u", sid, "2: follow-up answer")
    assert "notice" not in kinds(events) and brain.calls == 2  # offline from now on
    transcript = engine.transcript("u", sid)
    assert [t.text for t in transcript if t.role == "candidate"] == ["1: weak",
                                                                     "2: follow-up answer"]
    assert engine.report("u", sid).data["usage"]["llm_failed"]


def test_plan_model_rejects_unknown_fields():
    with pytest.raises(ValueError):
        Plan.model_validate({"questions": 3, "colour": "red"})


@pytest.mark.slow
def test_real_sandbox_runs_an_exercise_solution(settings, ingested_store, knowledge_questions):
    from interviewer.engine.exercises import SandboxRunner
    from interviewer.executor import load_exercises

    runner = SandboxRunner(settings)
    engine = make_engine(settings, ingested_store, knowledge_questions, executor=runner)
    try:
        sid, events = engine.start("u", {"questions": 1, "mode": "coding", "seed": 21,
                                         "topics": ["tensor operations"]})
        offered = first(events, "exercise")
        solution = next(e.solution for e in load_exercises(settings.knowledge_dir / "exercises")
                        if e.id == offered.exercise_id)
        result = first(engine.submit_code("u", sid, solution), "code_result")
        if result.status == "refused":
            pytest.skip(f"sandbox unavailable here: {result.text}")
        assert result.status == "passed" and result.passed == result.total > 0
        assert result.score == 5.0
    finally:
        engine.close()


def test_reference_only_for_finished_questions_of_own_session(engine):
    sid, events = engine.start("alice", {"questions": 2, "seed": 3, "follow_ups": 0})
    asked = next(e for e in events if e.kind == "question")
    (early,) = engine.reference("alice", sid)
    assert early.kind == "notice" and "once you have finished" in early.text
    engine.handle("alice", sid, "/skip")
    (shown,) = engine.reference("alice", sid)
    assert shown.kind == "reference" and shown.question_id == asked.question_id
    assert shown.text == engine.bank.get(asked.question_id).reference
    with pytest.raises(InputError):
        engine.reference("mallory", sid)


def test_over_long_answer_is_refused_with_a_notice_and_nothing_recorded(engine):
    sid, _ = engine.start("alice", {"questions": 1, "seed": 5, "follow_ups": 0})
    turns = len(engine.transcript("alice", sid))
    (notice,) = engine.handle("alice", sid, "word " * 5000)
    assert notice.kind == "notice" and "the limit is 20,000" in notice.text
    assert len(engine.transcript("alice", sid)) == turns
    events = engine.handle("alice", sid, "/skip")  # the session goes on normally
    assert any(e.kind == "report" for e in events)


def test_code_that_fails_before_the_checks_can_be_fixed(settings, ingested_store,
                                                        knowledge_questions):
    engine = make_engine(settings, ingested_store, knowledge_questions, executor=FakeRunner())
    sid, _ = engine.start("u", {"questions": 1, "mode": "coding", "seed": 17})
    events = engine.submit_code("u", sid, "def f(:  # SYNTAX")
    assert kinds(events) == ["code_result", "notice"]
    assert "did not run to the checks (error)" in events[-1].text and "2 tries left" in events[-1].text
    events = engine.submit_code("u", sid, "# REFUSED")
    assert "did not count as a try" in events[-1].text
    events = engine.submit_code("u", sid, "# PASS")
    assert first(events, "code_result").score == 5.0 and "report" in kinds(events)


def test_llm_grading_tokens_count_in_the_session_report(settings, ingested_store,
                                                        knowledge_questions):
    class MeteredGrader(TopicGrader):
        def grade(self, question, answer):
            g = super().grade(question, answer)
            g.details["usage"] = {"calls": 2, "input_tokens": 900, "output_tokens": 100}
            return g

    s = settings.model_copy(update={"llm_price_per_mtok": (1.0, 2.0)})
    engine = make_engine(s, ingested_store, knowledge_questions, grader=MeteredGrader())
    sid, _ = engine.start("u", {"questions": 1, "seed": 4, "follow_ups": 0})
    engine.handle("u", sid, "4 an answer")
    usage = engine.report("u", sid).data["usage"]
    assert (usage["calls"], usage["prompt_tokens"], usage["completion_tokens"]) == (2, 900, 100)
    assert usage["cost_usd"] == pytest.approx((900 * 1.0 + 100 * 2.0) / 1e6)


# ------------------------------------------------------------------ follow-up rubrics
def book_for(questions, skip=()):
    """Records for every curated follow-up (except those of `skip` question ids)."""
    from interviewer.knowledge.followups import FollowUpBook
    from interviewer.knowledge.models import FollowUpRecord

    records = {}
    for q in questions:
        for i, text in enumerate(q.follow_ups, 1):
            if q.id not in skip:
                records[(q.id, text)] = FollowUpRecord(
                    id=f"{q.id}.{i}", parent=q.id, question=text,
                    reference=f"The reference of {q.id}.{i}.",
                    key_points=[f"Own point {q.id}.{i} a.", f"Own point {q.id}.{i} b."])
    return FollowUpBook(records)


def test_curated_follow_up_is_graded_only_on_its_own_rubric(settings, ingested_store,
                                                            knowledge_questions):
    engine = make_engine(settings, ingested_store, knowledge_questions,
                         followups=book_for(knowledge_questions))
    sid, events = engine.start("u", {"questions": 1, "seed": 4})
    qid = first(events, "question").question_id
    follow = first(engine.handle("u", sid, "5: perfect"), "follow_up")
    assert follow.focus == "deeper"
    events = engine.handle("u", sid, "4: a good follow-up answer")
    asked, points, _ = engine.grader.calls[-1]
    assert asked in follow.text and points == [f"Own point {qid}.1 a.", f"Own point {qid}.1 b."]
    grade = first(events, "grade")
    assert grade.follow_up and set(grade.covered + grade.missing) == set(points)
    transcript = engine.report("u", sid).to_dict()["transcript"][0]["attempts"]
    assert transcript[1]["rubric"] == f"{qid}.1" and transcript[0]["rubric"] == qid
    ref = engine.reference("u", sid)[0]
    assert ref.kind == "reference" and ref.question_id == f"{qid}.1"
    assert ref.question == asked and ref.text == f"The reference of {qid}.1."
    main = engine.reference("u", sid, qid)[0]
    assert main.question_id == qid and main.question and main.text != ref.text


def test_follow_up_without_a_record_is_conversation_not_scored(settings, ingested_store,
                                                               knowledge_questions):
    engine = make_engine(settings, ingested_store, knowledge_questions,
                         followups=book_for([]))
    sid, _ = engine.start("u", {"questions": 2, "seed": 4})
    assert first(engine.handle("u", sid, "5: perfect"), "follow_up").focus == "deeper"
    calls = len(engine.grader.calls)
    events = engine.handle("u", sid, "some thoughts")
    assert kinds(events) == ["notice", "question"] and "isn't scored" in events[0].text
    assert len(engine.grader.calls) == calls
    item = engine.report("u", sid).to_dict()["transcript"][0]
    assert item["score"] == 5.0 and item["attempts"][1]["outcome"] == "conversation"


def test_reference_is_refused_while_a_follow_up_is_open(engine):
    sid, _ = engine.start("u", {"questions": 2, "seed": 2})
    engine.handle("u", sid, "1.5: partial answer")
    events = engine.reference("u", sid)
    assert kinds(events) == ["notice"] and "follow-up" in events[0].text


def test_grade_feedback_agrees_with_the_score_and_shows_no_labels(settings, ingested_store,
                                                                  knowledge_questions):
    from interviewer.grading.base import Grade, MisconceptionHit, PointVerdict, Span

    class ReversingGrader(TopicGrader):
        def grade(self, question, answer):
            g = super().grade(question, answer)
            hit = MisconceptionHit(f"Reverses: {question.key_points[0]}", Span(0, 4, "said"))
            return Grade(g.score, g.points, (hit,), g.feedback, g.grader)

    engine = make_engine(settings, ingested_store, knowledge_questions, ReversingGrader())
    sid, _ = engine.start("u", {"questions": 2, "seed": 4})
    events = engine.handle("u", sid, "5: perfect")  # point 0 judged covered: no challenge
    grade, follow = first(events, "grade"), first(events, "follow_up")
    assert follow.focus == "deeper" and grade.feedback.startswith(("Excellent", "Good"))
    assert "reverses" not in str([e.to_dict() for e in events]).lower()
    sid, _ = engine.start("u", {"questions": 2, "seed": 5})
    events = engine.handle("u", sid, "0: weak")  # point 0 judged missing: challenged
    grade = first(events, "grade")
    assert not any(w in grade.feedback for w in ("Good", "Excellent", "Great", "fair"))
    assert "reverses" not in str([e.to_dict() for e in events]).lower()
    assert first(events, "follow_up").focus == "misconception"
    for p in grade.missing:
        assert grade.feedback.count(p.rstrip(".")[:60]) <= 1


def test_asking_for_the_answer_keeps_the_question_open_and_shows_nothing(engine):
    sid, events = engine.start("u", {"questions": 2, "seed": 6})
    qid = first(events, "question").question_id
    for ask in ("Can you just tell me the answer?", "what's the answer here"):
        events = engine.handle("u", sid, ask)
        assert kinds(events) == ["notice"] and "still open" in events[0].text
    assert kinds(engine.reference("u", sid)) == ["notice"]
    assert first(engine.handle("u", sid, "/repeat"), "question").question_id == qid


def test_an_answer_with_nothing_in_it_gets_no_follow_up(engine):
    sid, _ = engine.start("u", {"questions": 2, "seed": 6})
    assert kinds(engine.handle("u", sid, "0: asdf qwer")) == ["grade", "question"]


def test_repeating_the_question_is_not_taken_as_an_answer(engine):
    sid, events = engine.start("u", {"questions": 2, "seed": 6})
    asked = first(events, "question")
    question = engine.bank.get(asked.question_id).question
    calls = len(engine.grader.calls)
    events = engine.handle("u", sid, question)
    assert kinds(events) == ["notice"] and "question itself" in events[0].text
    assert len(engine.grader.calls) == calls
    assert kinds(engine.handle("u", sid, "3: my own answer"))[0] == "grade"


def test_an_answer_to_another_question_is_pointed_out_once(settings, ingested_store,
                                                          knowledge_questions):
    engine = make_engine(settings.model_copy(update={"answer_check": True}), ingested_store,
                         knowledge_questions)
    sid, events = engine.start("u", {"questions": 2, "seed": 6})
    asked_id = first(events, "question").question_id
    asked = next(q for q in knowledge_questions if q.id == asked_id)
    other = next(q for q in knowledge_questions if q.topic != asked.topic)
    events = engine.handle("u", sid, other.reference)
    assert kinds(events) == ["notice"]
    assert other.question in events[0].text and asked.question in events[0].text
    assert engine.handle("u", sid, other.reference)[0].kind == "grade"  # insisting: graded
    assert engine.report("u", sid).data["transcript"][0]["attempts"][0]["answer"] == \
        other.reference


def test_an_answer_to_the_asked_question_is_graded_at_once(settings, ingested_store,
                                                           knowledge_questions):
    for check in (True, False):
        engine = make_engine(settings.model_copy(update={"answer_check": check}),
                             ingested_store, knowledge_questions)
        sid, events = engine.start("u", {"questions": 2, "seed": 6})
        asked = next(q for q in knowledge_questions
                     if q.id == first(events, "question").question_id)
        other = next(q for q in knowledge_questions if q.topic != asked.topic)
        assert engine.handle("u", sid, asked.reference)[0].kind == "grade"
        if not check:
            sid, _ = engine.start("u", {"questions": 2, "seed": 6})
            assert engine.handle("u", sid, other.reference)[0].kind == "grade"


@pytest.mark.slow
def test_prepare_bank_leaves_only_the_answer_to_grade(settings, ingested_store,
                                                      knowledge_questions, monkeypatch):
    """After `prepare_bank`, grading a question or its curated follow-up runs no
    answer-independent work (rubric, misconception baseline), and choosing a follow-up
    encodes nothing new. The web page and Slack do this in the background at start-up."""
    from interviewer.grading import features, offline
    from interviewer.grading.offline import OfflineGrader
    from interviewer.knowledge.followups import load_followups

    book = load_followups(REPO / "knowledge" / "followups", REPO / "knowledge" / "questions")
    bank = [q for q in knowledge_questions if q.id in ("Q16", "Q38")]
    engine = make_engine(settings, ingested_store, bank, grader=OfflineGrader(),
                         followups=book)
    assert engine.prepare_bank() == 2
    baselines = []
    for module in (features, offline):
        monkeypatch.setattr(module, "misconception_baseline",
                            lambda *a: baselines.append(a) or [0.0])
    record = next(r for r in book.records.values() if r.parent == "Q38")
    for rubric in (bank[0], record.as_question(bank[1].topic, bank[1].difficulty)):
        assert engine.grader.grade(rubric, "Some answer about it.").points
    assert baselines == []
    encoded = ingested_store.embedder.texts_encoded
    engine._similar()([*bank[0].key_points], [*bank[0].follow_ups])
    assert ingested_store.embedder.texts_encoded == encoded


def test_a_first_question_needs_no_model(settings, ingested_store, knowledge_questions):
    """A session's first question comes from the store's metadata, not from a search, so
    the web page can ask it while the models still load after start-up."""
    from interviewer.knowledge.embeddings import Embedder
    from interviewer.knowledge.store import KnowledgeStore

    fresh = KnowledgeStore(ingested_store.settings, embedder=Embedder())
    engine = make_engine(settings, fresh, knowledge_questions)
    engine._prefetch = lambda question: None  # the background warm-up would load it
    sid, events = engine.start("u", {"questions": 3, "seed": 5})
    assert first(events, "question").question_id and fresh.embedder._model is None
    engine.handle("u", sid, "1: a weak answer")  # later picks may search what was missed
    assert kinds(engine.handle("u", sid, "/skip"))[-1] == "question"
