"""The end-of-interview report: overall and per-topic scores, strengths, the weakest key
points with their reference answers, a suggested next session, LLM usage, and the whole
transcript. `Report.data` is the JSON form; `Report.markdown()` renders
`interviewer/prompts/interview_report.md.j2`."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import jinja2

from interviewer.engine.scoring import COMBINE_RULE
from interviewer.engine.selection import topic_scores
from interviewer.engine.state import MAX_SCORE, SessionState, plain

STRONG = 3.5
STUDY_LIMIT = 4


@dataclass(frozen=True)
class Report:
    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return self.data

    def markdown(self) -> str:
        return _template().render(r=self.data).strip() + "\n"


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    text = resources.files("interviewer.prompts").joinpath("interview_report.md.j2").read_text(
        encoding="utf-8")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True, autoescape=False)
    env.filters["fence"] = fence
    return env.from_string(text)


def fence(text: str, lang: str = "") -> str:
    """`text` in a Markdown code fence longer than any backtick run inside it."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{lang}\n{text.rstrip()}\n{ticks}"


def _mean(xs: list[float]) -> float | None:
    return round(sum(xs) / len(xs), 2) if xs else None


def topic_table(state: SessionState) -> list[dict[str, Any]]:
    rows = [{"topic": t, "name": state.topic_names.get(t, t), "questions": len(s),
             "score": _mean(s)} for t, s in topic_scores(state).items()]
    return sorted(rows, key=lambda r: (r["score"] is None, r["score"] or 0, r["topic"]))


def weakest_topic(state: SessionState) -> str | None:
    """The topic with the lowest mean score (most questions breaks a tie)."""
    scored = [r for r in topic_table(state) if r["score"] is not None]
    return min(scored, key=lambda r: (r["score"], -r["questions"], r["topic"]))["topic"] \
        if scored else None


def _overall(state: SessionState) -> dict[str, Any]:
    scores = [i.score for i in state.items if i.status == "done" and i.score is not None]
    mean = _mean(scores) or 0.0
    return {"score": mean, "max_score": MAX_SCORE, "percent": round(100 * mean / MAX_SCORE),
            "answered": len(scores), "skipped": sum(i.status == "skipped" for i in state.items),
            "hints": sum(len(i.hints) for i in state.items)}


def _study(state: SessionState, bank) -> list[dict[str, Any]]:
    """The questions with points still missed (after follow-ups that recovered some), weakest
    first, with their reference answers; a curated follow-up's own missed points come under
    that follow-up, with its own reference."""
    weak = sorted((i for i in state.items if i.kind == "question"
                   and (i.weak_points or i.misconceptions or i.follow_up_gaps)),
                  key=lambda i: (i.score if i.score is not None else 0, i.number))
    out = []
    for item in weak[:STUDY_LIMIT]:
        q = bank.get(item.ref_id)
        if item.weak_points or item.misconceptions:
            out.append({"question_id": q.id, "question": q.question, "topic": item.topic,
                        "score": item.score, "points": list(item.weak_points),
                        "misconceptions": list(item.misconceptions),
                        "reference": q.reference})
        out += [{"question_id": gap["id"], "question": gap["question"], "topic": item.topic,
                 "score": item.score, "points": list(gap["points"]), "misconceptions": [],
                 "reference": gap["reference"]} for gap in item.follow_up_gaps]
    return out


def _next_session(state: SessionState, table: list[dict[str, Any]]) -> dict[str, Any]:
    scored = [r for r in table if r["score"] is not None]
    weak = [r for r in scored if r["score"] < STRONG][:2] or scored[:1]
    plan = state.plan_model
    level = max(1, min(3, state.level))
    if weak:
        names = " and ".join(r["name"] for r in weak)
        why = f"Practise {names}, where you scored lowest."
    else:
        why = "Try a full interview."
    if scored and not [r for r in scored if r["score"] < STRONG]:
        level = min(3, level + 1)
        why = "Strong all round: step up the difficulty."
    return {"topics": [r["topic"] for r in weak], "difficulty": level,
            "questions": plan.questions, "mode": plan.mode, "why": why}


def build_report(state: SessionState, bank) -> Report:
    table = topic_table(state)
    data = {
        "session_id": state.id, "user": state.user_id, "status": state.status,
        "started": state.started, "ended": state.ended, "plan": state.plan,
        "overall": _overall(state), "topics": table, "weakest_topic": weakest_topic(state),
        "strengths": [r for r in reversed(table) if r["score"] is not None
                      and r["score"] >= STRONG],
        "study": _study(state, bank), "next_session": _next_session(state, table),
        "scoring": COMBINE_RULE,
        "usage": {"brain": state.brain, "llm_failed": state.llm_failed,
                  **asdict(state.usage)},
        "transcript": [plain(i) for i in state.items],
    }
    return Report(data)
