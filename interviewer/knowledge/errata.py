"""Render knowledge/ERRATA.md: every correction the curated knowledge base makes to the seed.

    python -m interviewer.knowledge.errata > knowledge/ERRATA.md

A test checks that the committed file matches, so it cannot go stale.
"""

from __future__ import annotations

from collections.abc import Sequence

from interviewer.knowledge.models import Question
from interviewer.settings import DEFAULT_KNOWLEDGE_DIR


def render_errata(questions: Sequence[Question]) -> str:
    lines = ["# Errata: where the seed corpus is wrong or out of date", "",
             "Generated from the `errata` fields of `knowledge/questions/*.yaml` by "
             "`python -m interviewer.knowledge.errata`. The curated reference answers, key points "
             "and misconceptions already state the truth.", ""]
    topic = None
    for q in questions:
        if not q.errata:
            continue
        if q.topic != topic:
            topic = q.topic
            lines += [f"## {topic}", ""]
        lines.append(f"- **{q.id}** {q.question}")
        lines += [f"  - {e}" for e in q.errata]
    total = sum(len(q.errata) for q in questions)
    lines += ["", f"{total} corrections in {sum(bool(q.errata) for q in questions)} questions.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    from interviewer.knowledge.corpus import load_questions

    print(render_errata(load_questions([DEFAULT_KNOWLEDGE_DIR / "questions"])), end="")
