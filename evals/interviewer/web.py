"""A scripted web interview with follow-ups, in a real browser: `python app.py` (offline brain)
is served on 127.0.0.1 and Chromium (playwright) plays a candidate through whole concepts
interviews, reading every grade off the page.

Main questions are answered with their reference (so the interviewer goes deeper with a
curated follow-up). A follow-up whose parent is a dev question is answered with a held-out
answer to that follow-up (evals/data/extra/followup-heldout.jsonl, never fitted on): correct
in even interviews, wrong in odd ones. Follow-ups of train questions are answered with their
reference and not counted. For every counted follow-up it records the score shown and whether
the feedback's Covered / Partly / Missing lines name that follow-up's own key points.

    python -m evals.interviewer.web [--interviews 6] [--questions 5] [--out FILE]

Fair: correct answers >= 4 and wrong ones <= 1.5, and the feedback names only the
follow-up's own points.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from evals.split import side

REPO = Path(__file__).resolve().parents[2]
HELD_OUT = REPO / "evals" / "data" / "extra" / "followup-heldout.jsonl"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
BOT = '#chat [data-testid="bot"]'
WAIT_MS = 90_000
SCORE = re.compile(r"Score:\s*([\d.]+)\s*/\s*5")


def _bench_ui():
    """bench/bench_ui.py (not a package): its app launcher and port helpers."""
    if str(REPO / "bench") not in sys.path:
        sys.path.insert(0, str(REPO / "bench"))
    import bench_ui

    return bench_ui


def held_out_answers() -> dict[tuple[str, str], list[str]]:
    """(follow-up id, category) -> held-out answers."""
    out: dict[tuple[str, str], list[str]] = {}
    for line in HELD_OUT.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            out.setdefault((row["question_id"], row["category"]), []).append(row["answer"])
    return out


def bot_texts(page) -> list[str]:
    return page.locator(BOT).all_inner_texts()


def send(page, text: str) -> list[str]:
    """Type `text`, send it, and return the interviewer's new messages once they settle."""
    before = page.locator(BOT).count()
    page.fill("#answer textarea", text)
    page.click("#send")
    page.wait_for_function(f"document.querySelectorAll('{BOT}').length > {before}",
                           timeout=WAIT_MS)
    settled, last = 0, -1
    while settled < 3:  # the count stays the same for three looks in a row
        page.wait_for_timeout(250)
        now = page.locator(BOT).count()
        settled, last = (settled + 1, now) if now == last else (0, now)
    return bot_texts(page)[before:]


def feedback_points(grade_text: str) -> list[str]:
    """The bullet lines under Covered / Partly there / Missing in a grade message."""
    points, on = [], False
    for line in grade_text.splitlines():
        line = line.strip()
        if re.match(r"^\W*(Covered|Partly there|Missing)\b", line):
            on = True
        elif re.match(r"^\W*(Misconceptions|💬)", line) or line.startswith("💬"):
            on = False
        elif on and line:
            points.append(line.lstrip("•-* ").strip())
    return points


class Script:
    def __init__(self, book, questions, answers, rng) -> None:
        self.book, self.questions, self.answers, self.rng = book, questions, answers, rng

    def asked(self, text: str):
        """The follow-up record or main question a message asks, or None."""
        pool = self.book.records.values() if "Follow-up:" in text else self.questions.values()
        found = [x for x in pool if x.question in text]
        return max(found, key=lambda x: len(x.question)) if found else None

    def reply(self, item, correct: bool) -> tuple[str, str | None]:
        """(answer, category counted or None)."""
        if getattr(item, "parent", None) and side(item.parent) == "dev":
            cat = "followup_correct" if correct else "followup_wrong"
            options = self.answers.get((item.id, cat))
            if options:
                return self.rng.choice(options), cat
        return item.reference, None


def interview(page, url: str, script: Script, questions: int, correct: bool) -> list[dict]:
    page.goto(url)
    box = page.locator("#questions input[type=number]")
    box.fill(str(questions))
    box.press("Enter")
    page.locator("#mode").get_by_text("Concepts").click()
    before = page.locator(BOT).count()
    page.click("#start")
    page.wait_for_function(f"document.querySelectorAll('{BOT}').length > {before}",
                           timeout=WAIT_MS)
    page.wait_for_timeout(500)
    messages, counted = bot_texts(page), []
    for _ in range(questions * 4):
        item = script.asked(messages[-1]) if messages else None
        if item is None:
            break
        answer, category = script.reply(item, correct)
        messages = send(page, answer)
        if category:
            grade = next((m for m in messages if SCORE.search(m)), "")
            counted.append(_record(item, category, grade))
    return counted


def _record(record, category: str, grade: str) -> dict:
    m = SCORE.search(grade)
    named = feedback_points(grade)
    own = [p for p in named if any(p.startswith(k[:40]) or k.startswith(p[:40])
                                   for k in record.key_points)]
    return {"follow_up": record.id, "category": category,
            "score": float(m.group(1)) if m else None, "points_named": len(named),
            "own_points_named": len(own), "follow_up_flag": "(follow-up)" in grade}


def summarise(rows: list[dict]) -> dict:
    out = {}
    for cat, fair in (("followup_correct", lambda s: s >= 4), ("followup_wrong",
                                                               lambda s: s <= 1.5)):
        scores = [r["score"] for r in rows if r["category"] == cat and r["score"] is not None]
        if scores:
            out[cat] = {"n": len(scores), "mean": round(statistics.mean(scores), 2),
                        "share_fair": round(sum(map(fair, scores)) / len(scores), 3)}
    out["feedback_names_only_own_points"] = all(r["points_named"] == r["own_points_named"]
                                                for r in rows)
    out["graded_as_follow_up"] = all(r["follow_up_flag"] for r in rows)
    return out


def main(argv=None) -> int:
    import random

    p = argparse.ArgumentParser(prog="python -m evals.interviewer.web")
    p.add_argument("--interviews", type=int, default=6)
    p.add_argument("--questions", type=int, default=5)
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from interviewer.knowledge import load_questions
    from interviewer.knowledge.followups import load_followups

    knowledge = REPO / "knowledge"
    book = load_followups(knowledge / "followups", knowledge / "questions")
    bank = {q.id: q for q in load_questions([knowledge / "questions"])}
    script = Script(book, bank, held_out_answers(), random.Random(0))
    bench = _bench_ui()
    home = Path(tempfile.mkdtemp(prefix="web-interview-"))
    rows: list[dict] = []
    try:
        bench.ingest(home)
        port = bench.free_port()
        proc = bench.serve_app(home, port, home / "app.log")
        url = f"http://127.0.0.1:{port}/"
        try:
            bench.wait_up(url, proc)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for i in range(args.interviews):
                    context = browser.new_context(viewport={"width": 1366, "height": 900})
                    page = context.new_page()
                    page.set_default_timeout(WAIT_MS)
                    rows += interview(page, url, script, args.questions, correct=i % 2 == 0)
                    context.close()
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    doc = {"summary": summarise(rows), "follow_ups": rows}
    text = json.dumps(doc, indent=2) + "\n"
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
