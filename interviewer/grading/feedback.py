"""Feedback text for the candidate, written from the verdicts so that it always agrees with
the grade: each key point appears once, under the verdict it got; praise depends on the score
(none below 2.5); a wrong statement is quoted in the candidate's own words; no internal
label (such as a grader's "Reverses:" tag) ever reaches the candidate. Deterministic; the LLM
grader may replace `write_feedback`'s text with its own words.
"""

from __future__ import annotations

from collections.abc import Sequence

from interviewer.grading.base import Grade, MisconceptionHit, PointVerdict

MAX_ITEMS = 3
INJECTION_NOTE = ("Instructions addressed to the grader were ignored; only the technical "
                  "content of the answer counts.")
PRAISE_FROM = 2.5  # no praise word below this score
_RANK = {"covered": 2, "partial": 1, "missing": 0}


def _clip(s: str, n: int = 140) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 1] + "…"


def _list(items: Sequence[str]) -> str:
    shown = [_clip(i).rstrip(".") for i in items[:MAX_ITEMS]]
    more = len(items) - len(shown)
    return "; ".join(shown) + (f" (and {more} more)" if more > 0 else "") + "."


def unique_verdicts(points: Sequence[PointVerdict]) -> list[PointVerdict]:
    """Each key point once, with the best verdict it got (a grader may list a point twice)."""
    best: dict[str, PointVerdict] = {}
    for p in points:
        if p.point not in best or _RANK[p.verdict] > _RANK[best[p.point].verdict]:
            best[p.point] = p
    return list(best.values())


def reversed_point(hit: MisconceptionHit, points: Sequence[str]) -> str | None:
    """The key point a "reversed statement" hit is about (its text is the point behind a
    label), or None for a misconception of the rubric."""
    text = hit.misconception.strip()
    return next((p for p in points if text != p and text.endswith(p)), None)


def misconception_text(hit: MisconceptionHit, points: Sequence[str]) -> str:
    """A wrong statement in words for the candidate (never the grader's label)."""
    point = reversed_point(hit, points)
    said = f'"{_clip(hit.span.text, 120)}"' if hit.span and hit.span.text.strip() else None
    if point is not None:
        where = f"this part of your answer, {said}," if said else "part of your answer"
        return f"{where[0].upper()}{where[1:]} seems to say the opposite of how it works."
    belief = _clip(hit.misconception).rstrip(".")
    return (f"Careful with {said}: it reads like the common mistake \"{belief}\"." if said
            else f"Your answer suggests the common mistake \"{belief}\".")


def belief_text(hit: MisconceptionHit, points: Sequence[str]) -> str:
    """A wrong belief as the report lists it: the rubric's misconception, or the reverse of
    a key point (never the grader's label)."""
    point = reversed_point(hit, points)
    return f"the reverse of \"{point.rstrip('.')}\"" if point else hit.misconception


def relevant_hits(points: Sequence[PointVerdict],
                  hits: Sequence[MisconceptionHit]) -> list[MisconceptionHit]:
    """Hits worth telling: a reversal of a point the grader judged covered contradicts the
    grade itself and is left out."""
    covered = {p.point for p in points if p.verdict == "covered"}
    texts = [p.point for p in points]
    return [h for h in hits if reversed_point(h, texts) not in covered or
            reversed_point(h, texts) is None]


def opener(score: float, covered_share: float = 0.0) -> str:
    """The first words: praise only from 2.5 up; below it, words that still agree with the
    verdicts (`covered_share`: covered key points, a partial one counting half; no praise
    when nothing was covered, whatever the score; no "gaps" when every point is covered)."""
    if covered_share <= 0 and score < 4.5:
        return ("This answer doesn't cover any of the key points yet." if score >= 1.0
                else "This answer doesn't address the question yet.")
    if score >= 4.5:
        return "Excellent answer."
    if score >= 3.5:
        return "Good answer."
    if covered_share >= 1.0:  # no gap to name: the score says the points are stated loosely
        return ("Every key point is there, but not all of them stated fully or precisely "
                "enough for a higher score.")
    if score >= PRAISE_FROM:
        return "A fair answer, with gaps."
    if covered_share >= 0.5:
        return "Some of this is right, but not enough of it for a good score yet."
    if score >= 1.0 or covered_share > 0:
        return "This answer misses most of what matters here."
    return "This answer doesn't address the question yet."


def write_feedback(points: Sequence[PointVerdict], hits: Sequence[MisconceptionHit],
                   notes: Sequence[str] = ()) -> str:
    """What was right, only partly there, missing and wrong; each point once."""
    points = unique_verdicts(points)
    by = {v: [p.point for p in points if p.verdict == v] for v in _RANK}
    parts = []
    if by["covered"]:
        parts.append("You covered: " + _list(by["covered"]))
    if by["partial"]:
        parts.append("Only partly explained: " + _list(by["partial"]))
    if by["missing"]:
        parts.append("Not covered: " + _list(by["missing"]))
    texts = [p.point for p in points]
    parts.extend(misconception_text(h, texts) for h in relevant_hits(points, hits)[:2])
    parts.extend(notes)
    return " ".join(parts) or "No answer to grade."


def explain(grade: Grade, score: float) -> str:
    """The words shown with a grade, beside its verdict lists (covered / partly / missing,
    each point once): an opener that fits `score` (after any hint penalty), then any wrong
    statement in the candidate's own words, then notes. Points are not repeated here."""
    points = unique_verdicts(grade.points)
    texts = [p.point for p in points]
    got = sum(1.0 if p.verdict == "covered" else 0.5 if p.verdict == "partial" else 0.0
              for p in points)
    share = got / len(points) if points else 1.0
    parts = [opener(score, share)]
    parts += [misconception_text(h, texts) for h in relevant_hits(points, grade.misconceptions)[:2]]
    if grade.details.get("injection"):
        parts.append(INJECTION_NOTE)
    return " ".join(parts)


def by_verdict(grade: Grade) -> dict[str, list[str]]:
    """covered / partial / missing: each key point once, under the verdict it got."""
    points = unique_verdicts(grade.points)
    return {v: [p.point for p in points if p.verdict == v] for v in ("covered", "partial",
                                                                     "missing")}
