"""Progress across sessions, for one user: per-topic scores over time, the weakest topics,
the key points missed most often, and a plan that practises the weak spots.

Computed from the stored sessions of that user only (`SessionStore.states`); nothing is
kept beside them. The web page, `interviewer progress` and the Slack bot render `Progress`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from interviewer.engine.state import SessionState

STRONG = 3.5  # a topic whose recent mean is below this is a weak spot
RECENT = 5  # the latest scored questions of a topic that make its "recent" mean
WEAK_TOPICS = 2  # topics a practice session covers
MISSED_SHOWN = 8


@dataclass(frozen=True)
class TopicProgress:
    topic: str  # slug
    name: str
    questions: int
    mean: float
    recent: float  # mean of the latest RECENT scores
    first: float  # mean in the first session that scored it
    last: float  # mean in the latest session that scored it


@dataclass
class Progress:
    user: str
    sessions: int
    questions: int
    timeline: list[dict[str, Any]] = field(default_factory=list)  # session, started, topic…
    topics: list[TopicProgress] = field(default_factory=list)  # weakest (recent) first
    missed: list[dict[str, Any]] = field(default_factory=list)  # point, topic, times

    @property
    def weakest(self) -> list[TopicProgress]:
        weak = [t for t in self.topics if t.recent < STRONG]
        return weak[:WEAK_TOPICS] or self.topics[:1]

    def practice_plan(self, questions: int = 5) -> dict[str, Any] | None:
        """An interview plan on the weak spots (adaptive difficulty, concepts); None before
        anything was scored."""
        if not self.topics:
            return None
        return {"topics": [t.topic for t in self.weakest], "questions": questions,
                "mode": "concepts", "difficulty": None}

    def to_dict(self) -> dict[str, Any]:
        return {"user": self.user, "sessions": self.sessions, "questions": self.questions,
                "topics": [asdict(t) for t in self.topics],
                "weakest": [t.topic for t in self.weakest] if self.topics else [],
                "missed": self.missed, "timeline": self.timeline,
                "practice_plan": self.practice_plan()}


def progress_markdown(p: Progress) -> str:
    """The progress as Markdown: topics weakest first with their trend, the most-missed key
    points, and what to practise."""
    if not p.topics:
        return ("No scored answers yet: finish a few questions (any interview) and your "
                "progress across sessions shows here.\n")
    lines = [f"**{_count(p.sessions, 'session')} · {_count(p.questions, 'scored question')}**",
             "",
             "| topic | questions | recent | first → last session |",
             "| --- | ---: | ---: | --- |"]
    for t in p.topics:
        lines.append(f"| {t.name} | {t.questions} | {t.recent:.1f} | {t.first:.1f} → "
                     f"{t.last:.1f} {_arrow(t.last - t.first)} |")
    weak = " and ".join(t.name for t in p.weakest)
    lines += ["", f"**Weakest:** {weak}."]
    if p.missed:
        lines += ["", "**Key points missed most often**", ""]
        lines += [f"- {m['point']} ({m['name']}, missed {m['times']}×)" for m in p.missed]
    return "\n".join(lines) + "\n"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _arrow(delta: float) -> str:
    return "↑" if delta >= 0.25 else "↓" if delta <= -0.25 else "→"


def progress_of(engine, user_id: str, limit: int = 200) -> Progress:
    """`user_id`'s progress from the engine's session store."""
    return build_progress(user_id, engine.sessions.states(user_id, limit))


def build_progress(user_id: str, rows: list[tuple[Any, dict]]) -> Progress:
    """`rows`: (SessionSummary, stored state) of one user's sessions, oldest first."""
    scores: dict[str, list[float]] = defaultdict(list)
    names: dict[str, str] = {}
    per_session: dict[str, list[tuple[int, float]]] = defaultdict(list)
    missed: Counter[tuple[str, str]] = Counter()
    timeline: list[dict[str, Any]] = []
    for n, (summary, data) in enumerate(rows):
        state = SessionState.from_dict(data)
        if state.user_id != user_id:  # never mix users, whatever the caller passed
            continue
        by_topic = _session_scores(state, names, missed)
        for topic, values in by_topic.items():
            mean = round(sum(values) / len(values), 2)
            scores[topic] += values
            per_session[topic].append((n, mean))
            timeline.append({"session": summary.id, "started": summary.started,
                             "topic": topic, "name": names[topic], "score": mean,
                             "questions": len(values)})
    topics = [_topic(t, names[t], scores[t], per_session[t]) for t in scores]
    topics.sort(key=lambda t: (t.recent, -t.questions, t.topic))
    return Progress(user=user_id, sessions=len(rows),
                    questions=sum(len(v) for v in scores.values()), timeline=timeline,
                    topics=topics, missed=_most_missed(missed, names))


def _session_scores(state: SessionState, names: dict[str, str],
                    missed: Counter) -> dict[str, list[float]]:
    out: dict[str, list[float]] = defaultdict(list)
    for item in state.items:
        if item.status != "done" or item.score is None:
            continue
        names[item.topic] = item.topic_name or state.topic_names.get(item.topic, item.topic)
        out[item.topic].append(float(item.score))
        for point in item.weak_points:
            missed[(item.topic, point)] += 1
    return out


def _topic(slug: str, name: str, values: list[float],
           sessions: list[tuple[int, float]]) -> TopicProgress:
    recent = values[-RECENT:]
    return TopicProgress(topic=slug, name=name, questions=len(values),
                         mean=round(sum(values) / len(values), 2),
                         recent=round(sum(recent) / len(recent), 2),
                         first=sessions[0][1], last=sessions[-1][1])


def _most_missed(missed: Counter, names: dict[str, str]) -> list[dict[str, Any]]:
    ranked = sorted(missed.items(), key=lambda kv: (-kv[1], kv[0]))[:MISSED_SHOWN]
    return [{"point": point, "topic": topic, "name": names.get(topic, topic), "times": n}
            for (topic, point), n in ranked]
