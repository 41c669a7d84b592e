"""Shared grading objects used from many threads at once (the web app and Slack bot grade
concurrently): no lost updates, no errors from a full cache."""

from __future__ import annotations

import threading

import numpy as np

from interviewer.grading import offline
from interviewer.knowledge.models import Question


def _hammer(fn, threads: int = 8) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def run(i: int) -> None:
        start.wait()
        try:
            fn(i)
        except BaseException as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return errors


def test_rubric_cache_shared_by_threads_when_full(monkeypatch):
    monkeypatch.setattr(offline, "CACHE_SIZE", 3)
    grader = offline.OfflineGrader(models={})
    questions = [Question(id=f"Q{i}", topic="t", question=f"What is thing {i}?",
                          reference=f"Thing {i} is a tensor. It has a shape.",
                          key_points=[f"Thing {i} is a tensor.", "It has a shape."])
                 for i in range(1, 30)]

    def work(i: int) -> None:
        for n in range(300):
            q = questions[(i * 7 + n) % len(questions)]
            assert grader.rubric(q).points[0] == q.key_points[0]

    assert _hammer(work) == []
    assert len(grader._rubrics) <= 3


def test_embedder_counts_every_text_across_threads(embedder):
    before = embedder.texts_encoded
    assert _hammer(lambda i: [embedder.encode([f"text {i} {n}"]) for n in range(15)]) == []
    assert embedder.texts_encoded - before == 8 * 15


def test_embedder_remembers_recent_texts(embedder):
    texts = [f"remembered text {n}" for n in range(3)]
    first = embedder.encode(texts)
    before = embedder.texts_encoded
    again = embedder.encode([texts[2], "a new text", texts[0], texts[0]])
    assert embedder.texts_encoded - before == 1  # only the new text ran through the model
    assert np.array_equal(again[0], first[2]) and np.array_equal(again[2], first[0])
    assert again.shape == (4, first.shape[1]) and np.allclose(np.linalg.norm(again, axis=1), 1)

