"""Engine events as Slack messages: `{"text": fallback, "blocks": [...]}` dicts ready for
`chat.postMessage`. Pure functions of the events; nothing here decides anything about the
interview. Text is escaped for Slack's mrkdwn and cut to Slack's block limits."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from interviewer.engine.events import (CodeResult, Event, ExerciseOffered, FollowUpAsked,
                                       GradeReady, HintGiven, Notice, QuestionAsked,
                                       ReferenceShown, ReportReady)

Message = dict[str, Any]
REVEAL_ACTION = "reveal_reference"
SECTION_LIMIT = 2900
COMMANDS_TIP = "Reply in this thread · `hint` · `skip` · `repeat` · `end`"
CODE_TIP = "Send your solution in a ``` code block · `hint` · `skip` · `end`"
STATUS_EMOJI = {"passed": ":white_check_mark:", "failed": ":x:", "error": ":boom:",
                "timeout": ":hourglass:", "memory": ":floppy_disk:", "refused": ":no_entry:"}


def escape(text: str) -> str:
    """Slack mrkdwn control characters, and markdown bold turned into Slack's."""
    text = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"\*\*(.+?)\*\*", r"*\1*", text)


def cut(text: str, limit: int = SECTION_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text)}}


def context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": cut(text)}]}


def code(text: str) -> str:
    return "```" + escape(text).rstrip() + "```"


def message(fallback: str, blocks: Sequence[dict]) -> Message:
    return {"text": cut(fallback, 3000), "blocks": list(blocks)[:50]}


def bullets(items: Iterable[str], mark: str = "•") -> str:
    return "\n".join(f"{mark} {escape(i)}" for i in items)


# ----------------------------------------------------------------------- events
def render_events(events: Iterable[Event], user: str) -> list[Message]:
    """One message per event worth showing (streamed `delta` pieces are not)."""
    out = []
    for event in events:
        renderer = RENDERERS.get(type(event))
        if renderer is not None:
            out.append(renderer(event, user))
    return out


def render_notice(e: Notice, user: str) -> Message:
    icon = ":warning: " if e.level == "warning" else ""
    return message(e.text, [section(icon + slack_commands(escape(e.text)))])


def slack_commands(text: str) -> str:
    """"/hint" would be taken by Slack as a slash command: in a thread it is a plain word."""
    return re.sub(r"(?<![\w`/])/(hint|skip|repeat|end|idk)\b", r"`\1`", text)


def render_question(e: QuestionAsked, user: str) -> Message:
    return message(f"Question {e.number}/{e.total}: {e.text}", [
        section(f"<@{user}> {escape(e.text)}"),
        context(f"*Question {e.number}/{e.total}* · {escape(e.topic_name)} · difficulty "
                f"{e.difficulty} · {COMMANDS_TIP}")])


def render_follow_up(e: FollowUpAsked, user: str) -> Message:
    return message(f"Follow-up: {e.text}", [
        section(f"<@{user}> *Follow-up*\n{escape(e.text)}"), context(COMMANDS_TIP)])


def render_grade(e: GradeReady, user: str) -> Message:
    title = "Follow-up score" if e.follow_up else "Score"
    head = f"*{title}: {e.score:.1f}/{e.max_score:.0f}*"
    if e.penalty:
        head += f"  _(−{e.penalty:g} for hints)_"
    blocks = [section(head)]
    fields = []
    if e.covered:
        fields.append("*Covered*\n" + bullets(e.covered, ":white_check_mark:"))
    if e.partial:
        fields.append("*Partly there*\n" + bullets(e.partial, ":small_orange_diamond:"))
    if e.missing:
        fields.append("*Missing*\n" + bullets(e.missing, ":heavy_minus_sign:"))
    blocks += [section(f) for f in fields]
    if e.misconceptions:
        blocks.append(section("*Misconceptions*\n" + bullets(e.misconceptions, ":x:")))
    if e.feedback:
        blocks.append(section(escape(e.feedback)))
    blocks.append(reveal_button(e.question_id))
    return message(f"{title}: {e.score:.1f}/{e.max_score:.0f}. {e.feedback}", blocks)


def reveal_button(question_id: str) -> dict:
    return {"type": "actions", "elements": [{
        "type": "button", "action_id": REVEAL_ACTION, "value": question_id,
        "text": {"type": "plain_text", "text": "Show the reference answer"}}]}


def render_hint(e: HintGiven, user: str) -> Message:
    return message(e.text, [section(f":bulb: {escape(e.text)}")])


def render_reference(e: ReferenceShown, user: str = "") -> Message:
    title = f"{escape(e.question_id)}: {escape(e.question)}" if e.question else \
        escape(e.question_id)
    blocks = [section(f"*Reference answer* ({title})\n{escape(e.text)}")]
    if e.key_points:
        blocks.append(section("*Key points*\n" + bullets(e.key_points)))
    return message(f"Reference answer: {e.text}", blocks)


def render_exercise(e: ExerciseOffered, user: str) -> Message:
    head = (f"<@{user}> *Exercise {e.number}/{e.total}: {escape(e.title)}* · "
            f"difficulty {e.difficulty}")
    blocks = [section(head), section(escape(e.text))]
    if e.starter:
        blocks.append(section("*Starter code*\n" + code(e.starter)))
    blocks.append(context(f"{CODE_TIP} · exercise `{e.exercise_id}`"))
    return message(f"Exercise {e.number}/{e.total}: {e.title}", blocks)


def render_code_result(e: CodeResult, user: str) -> Message:
    icon = STATUS_EMOJI.get(e.status, ":grey_question:")
    head = (f"{icon} *{escape(e.status)}*: {e.passed}/{e.total} checks passed · "
            f"score {e.score:.1f}/5")
    blocks = [section(head)]
    if e.text:
        blocks.append(section(escape(e.text)))
    failing = [c for c in e.details.get("checks", []) if not c.get("passed")][:5]
    if failing:
        blocks.append(section("*Failing checks*\n" + bullets(
            f"{c.get('name')}: {cut(str(c.get('message', '')), 300)}" for c in failing)))
    trace = e.details.get("traceback") or (e.details.get("stderr") or "").strip()
    if trace and e.status not in ("passed",):
        blocks.append(section(code(trace[-1500:])))
    return message(f"Code {e.status}: {e.passed}/{e.total} checks passed", blocks)


def render_report_event(e: ReportReady, user: str) -> Message:
    return render_report(e.report, user)


RENDERERS: dict[type, Callable[[Any, str], Message]] = {
    Notice: render_notice, QuestionAsked: render_question, FollowUpAsked: render_follow_up,
    GradeReady: render_grade, HintGiven: render_hint, ReferenceShown: render_reference,
    ExerciseOffered: render_exercise, CodeResult: render_code_result,
    ReportReady: render_report_event,
}


# ----------------------------------------------------------------------- reports
def render_report(report: dict, user: str) -> Message:
    """The end-of-interview report in mrkdwn (Slack renders no markdown tables)."""
    o = report["overall"]
    head = (f"<@{user}> *Interview report* · {report['status']}\n*Overall: {o['score']:.1f}/5 "
            f"({o['percent']}%)* over {o['answered']} answered, {o['skipped']} skipped, "
            f"{o['hints']} hint(s)")
    blocks = [section(head)]
    topics = [f"{t['name']}: {t['score']:.1f}/5 ({t['questions']})" for t in report["topics"]
              if t["score"] is not None]
    if topics:
        blocks.append(section("*By topic*\n" + bullets(topics)))
    study = [f"{s['question_id']}: {s['question']} — missed: {'; '.join(s['points'])}"
             for s in report.get("study", [])]
    if study:
        blocks.append(section("*What to study*\n" + bullets(study)))
    blocks.append(context(_next_session(report.get("next_session") or {}) +
                          f" · session `{report['session_id']}`"))
    return message(f"Interview report: {o['score']:.1f}/5 ({o['percent']}%)", blocks)


def _next_session(nxt: dict) -> str:
    if not nxt:
        return "Start another with `/interview`"
    args = " ".join(nxt.get("topics", []))
    line = f"/interview {args} difficulty={nxt.get('difficulty', 2)}".replace("  ", " ")
    return f"Next: {escape(nxt.get('why', ''))} Try `{line}`"


def render_history(sessions: Sequence[Any]) -> Message:
    if not sessions:
        return message("No interviews yet.", [section("No interviews yet. Start one with "
                                                      "`/interview`.")])
    lines = [f"`{s.id[:8]}` {escape(s.title)} · {s.status} · {s.turns} answer(s) · "
             f"{s.started[:16].replace('T', ' ')}" for s in sessions[:20]]
    return message("Your interviews", [section("*Your interviews* (newest first)\n" +
                                               "\n".join(lines)),
                                       context("`/interview report ID` shows one report")])


def render_progress(p: Any) -> Message:
    """An `engine.progress.Progress`: topics weakest first, the key points missed most, and
    the command that practises the weak spots."""
    if not p.topics:
        return render_text("No scored answers yet: finish a few questions and your progress "
                           "shows here.")
    topics = [f"• *{escape(t.name)}*: {t.recent:.1f}/5 recently over {t.questions} "
              f"question(s) (first session {t.first:.1f} → last {t.last:.1f})"
              for t in p.topics[:9]]
    blocks = [section(f"*Your progress* ({p.sessions} interviews, weakest first)\n" +
                      "\n".join(topics))]
    if p.missed:
        blocks.append(section("*Key points missed most often*\n" + "\n".join(
            f"• {escape(m['point'])} ({escape(m['name'])}, {m['times']}×)" for m in p.missed)))
    plan = p.practice_plan()
    blocks.append(context(f"Practise your weak spots: `/interview {' '.join(plan['topics'])}`"))
    return message("Your progress", blocks)


def render_text(text: str) -> Message:
    return message(text, [section(text)])
