"""Engine events and engine data in words for the page: chat messages (the
``{"role", "content", "metadata"}`` dicts Gradio's Chatbot takes) and Markdown panels.

Pure functions of what the engine hands out; no Gradio import, no interview logic. Every
text that came from outside is shown as text, never as markup: the candidate's code, a run's
output and its messages go in a code fence, and the candidate's answers (and graders'
feedback, which may quote them) are escaped (`plain`).
"""

from __future__ import annotations

import html
import re
from typing import Any

from interviewer.engine.events import (EVENT_KINDS, CodeResult, Event, ExerciseOffered,
                                       FollowUpAsked, GradeReady, HintGiven, Notice,
                                       QuestionAsked, ReferenceShown, ReportReady)

OUTPUT_CHARS = 4000  # stdout / stderr shown per run; the rest is cut with a note
DIFFICULTY = {1: "easy", 2: "medium", 3: "hard"}
RUN_STATUS = {
    "passed": "✅ All checks passed",
    "failed": "❌ Some checks failed",
    "ok": "✅ Ran without errors",
    "error": "💥 Your code raised an error",
    "timeout": "⏱️ Time limit reached: the run was stopped",
    "memory": "🧱 Memory limit reached: the run was stopped",
    "output_limit": "📜 Too much output: the run was stopped",
    "crashed": "💥 The run crashed",
    "refused": "🚫 The sandbox refused to run this code",
}
Message = dict[str, Any]


def fence(text: str, lang: str = "") -> str:
    """`text` in a code fence longer than any backtick run inside it."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{lang}\n{text.rstrip()}\n{ticks}"


MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]#|~])")
MARKDOWN_LINE_START = re.compile(r"^(\s*)([-+]|\d+[.)])(?=\s)", re.MULTILINE)


def plain(text: str) -> str:
    """`text` exactly as written: HTML tags and Markdown syntax (emphasis, links, code,
    headings, tables, list markers) are escaped; line breaks are kept."""
    escaped = MARKDOWN_INLINE.sub(r"\\\1", html.escape(text, quote=False))
    escaped = MARKDOWN_LINE_START.sub(  # "\-" for a bullet, "12\." for a numbered item
        lambda m: m[1] + m[2][:-1] + "\\" + m[2][-1], escaped)
    return escaped.replace("\n", "  \n")


def bullets(items: list[str]) -> str:
    return "\n".join(f"- {item}" for item in items)


def candidate(text: str, *, ours: bool = False) -> Message:
    """A line on the candidate's side: what they wrote, shown as plain text, or (`ours`) a
    note the page writes for them in Markdown ("*Hint*", "Ran my code")."""
    return {"role": "user", "content": text if ours else plain(text)}


def interviewer(text: str, title: str | None = None) -> Message:
    message: Message = {"role": "assistant", "content": text}
    if title:
        message["metadata"] = {"title": title}
    return message


def messages_for(event: Event) -> list[Message]:
    """The chat lines for one final engine event (deltas are handled by the caller)."""
    render = _RENDERERS.get(type(event))
    return [render(event)] if render else []


def notice_text(e: Notice) -> str:
    return f"⚠️ **{e.text}**" if e.level == "warning" else f"ℹ️ {e.text}"


def _notice(e: Notice) -> Message:
    return interviewer(notice_text(e))


def _question(e: QuestionAsked) -> Message:
    return interviewer(f"{e.text}\n\n<sub>{e.topic_name} · "
                       f"{DIFFICULTY.get(e.difficulty, e.difficulty)}</sub>")


def _follow_up(e: FollowUpAsked) -> Message:
    return interviewer(f"**Follow-up:** {e.text}")


def grade_markdown(e: GradeReady) -> str:
    head = f"**Score: {e.score:.1f} / {e.max_score:.0f}**"
    if e.follow_up:
        head += " (follow-up)"
    if e.penalty:
        head += f" · hint penalty −{e.penalty:g}"
    parts = [head]
    if e.covered:
        parts.append("✅ **Covered**\n" + bullets(e.covered))
    if e.partial:
        parts.append("➖ **Partly there**\n" + bullets(e.partial))
    if e.missing:
        parts.append("❌ **Missing**\n" + bullets(e.missing))
    if e.misconceptions:
        parts.append("⚠️ **Misconceptions**\n" + bullets(e.misconceptions))
    if e.feedback:
        parts.append(f"💬 {plain(e.feedback)}")
    return "\n\n".join(parts)


def _grade(e: GradeReady) -> Message:
    return interviewer(grade_markdown(e))


def _hint(e: HintGiven) -> Message:
    return interviewer(f"💡 {e.text}")


def reference_markdown(e: ReferenceShown) -> str:
    title = f" ({e.question_id}: {plain(e.question)})" if e.question else ""
    text = f"📖 **Reference answer**{title}\n\n{e.text}"
    if e.key_points:
        text += "\n\n**Key points**\n" + bullets(e.key_points)
    return text


def _reference(e: ReferenceShown) -> Message:
    return interviewer(reference_markdown(e))


def exercise_markdown(e: ExerciseOffered) -> str:
    topic = e.topic_name or e.topic.replace("-", " ").capitalize()
    return (f"### 🧪 Exercise {e.number} of {e.total}: {e.title}\n"
            f"<sub>{topic} · {DIFFICULTY.get(e.difficulty, e.difficulty)}</sub>\n\n{e.text}")


def _exercise(e: ExerciseOffered) -> Message:
    return interviewer(exercise_markdown(e) + "\n\n*Write your solution in the code panel "
                       "below the chat and press **Run code**.*")


def _clip(text: str) -> str:
    if len(text) <= OUTPUT_CHARS:
        return text
    return text[:OUTPUT_CHARS] + f"\n… ({len(text) - OUTPUT_CHARS} more characters not shown)"


def checks_markdown(checks: list[dict[str, Any]]) -> str:
    lines = []
    for c in checks:
        mark = "✅" if c.get("passed") else "❌"
        lines.append(f"{mark} **{c.get('name', 'check')}**")
        if not c.get("passed") and c.get("message"):
            lines.append(fence(str(c["message"])))
    return "\n\n".join(lines)


def code_result_markdown(e: CodeResult) -> str:
    d = e.details or {}
    head = RUN_STATUS.get(e.status, f"Status: {e.status}")
    parts = [f"**{head}** · checks {e.passed}/{e.total} · score {e.score:.1f}/5"]
    if d.get("message"):
        parts.append(fence(str(d["message"])))
    if d.get("checks"):
        parts.append(checks_markdown(d["checks"]))
    for name in ("traceback", "stdout", "stderr"):
        if d.get(name):
            parts.append(f"**{name}**\n\n" + fence(_clip(str(d[name]))))
    if d.get("truncated"):
        parts.append("*Output was truncated at the sandbox's limit.*")
    return "\n\n".join(parts)


def _code_result(e: CodeResult) -> Message:
    return interviewer(code_result_markdown(e),
                       title=f"▶️ Code run: {e.passed}/{e.total} checks passed ({e.status})")


def _report(e: ReportReady) -> Message:
    overall = (e.report or {}).get("overall", {})
    score = f" Overall **{overall['score']:.1f} / {overall.get('max_score', 5):.0f}**." \
        if "score" in overall else ""
    return interviewer(f"🏁 **The interview is over.**{score} Your full report is in the "
                       "**Report** panel, with Markdown and JSON downloads.")


_RENDERERS = {Notice: _notice, QuestionAsked: _question, FollowUpAsked: _follow_up,
              GradeReady: _grade, HintGiven: _hint, ReferenceShown: _reference,
              ExerciseOffered: _exercise, CodeResult: _code_result, ReportReady: _report}


# ------------------------------------------------------------------ panels from engine data
def progress_markdown(report: dict[str, Any]) -> str:
    """Questions done / left and the average so far, from the engine's report data."""
    overall = report.get("overall", {})
    total = int(report.get("plan", {}).get("questions", 0))
    done = int(overall.get("answered", 0)) + int(overall.get("skipped", 0))
    state = "finished" if report.get("status") == "finished" else f"{max(0, total - done)} left"
    avg = f" · average **{overall['score']:.1f}/5**" if overall.get("answered") else ""
    return f"**{done} of {total} done** · {state}{avg}"


def topic_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Per-topic mean scores for the chart (topics without a score yet are left out)."""
    return [{"topic": r.get("name") or r.get("topic"), "score": float(r["score"])}
            for r in report.get("topics", []) if r.get("score") is not None]


def session_label(s: Any) -> str:
    when = (s.started or "")[:16].replace("T", " ")
    return f"{s.title} · {s.status} · {when}"


def brain_markdown(brain: str, failed: bool = False) -> str:
    if brain == "offline":
        return "🧠 **Interviewer brain:** offline (built-in; works without any LLM)"
    if failed:
        return (f"🧠 **Interviewer brain:** `{brain}` is unavailable, so the offline brain "
                "took over")
    return f"🧠 **Interviewer brain:** LLM `{brain}` (the offline brain takes over if it fails)"


def transcript_messages(records: list[Any]) -> list[Message]:
    """A stored session's transcript (the engine's TurnRecords) as chat lines."""
    out: list[Message] = []
    for r in records:
        if r.role == "candidate":
            out.append(candidate(code_note(r.text), ours=True) if r.kind == "code"
                       else candidate(r.text))
        elif r.role == "interviewer":
            event = _event_from(r.kind, r.data or {})
            out += messages_for(event) if event else [interviewer(r.text)]
    return out


def code_note(code: str) -> str:
    return f"▶️ *Ran my code ({len(code.splitlines())} lines)*"


def _event_from(kind: str, data: dict[str, Any]) -> Event | None:
    if kind == "report":
        return ReportReady(session_id=data.get("session_id", ""), report={},
                           markdown=data.get("markdown", ""))
    cls = EVENT_KINDS.get(kind)
    if cls is None:
        return None
    try:
        return cls(**{k: v for k, v in data.items() if k != "kind"})
    except TypeError:  # a record written by an older engine: fall back to its text
        return None
