"""Work done in the background while the candidate reads a question and types: the
grader's rubric for it (graders may offer `prepare(question)`) and the vectors used to
choose its follow-up. A turn that needs the result waits for it; nothing is done twice."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from interviewer.knowledge.models import Question

log = logging.getLogger(__name__)


class Prefetcher:
    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._futures: dict[str, Future] = {}
        self._lock = threading.Lock()

    def submit(self, question: Question, grader, similarity,
               texts: Sequence[str] = ()) -> None:
        """Prepare `question` in the background; `texts` (say, its follow-ups' key points)
        are warmed for similarity along with its own key points and follow-ups."""
        grader_prepare = getattr(grader, "prepare", None) or getattr(grader, "rubric", None)

        def prepare(q: Question) -> None:
            if similarity is not None:
                similarity.warm([*q.key_points, *q.follow_ups, *texts])
            if grader_prepare is not None:
                grader_prepare(q)

        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(1, thread_name_prefix="interviewer-prefetch")
            key = question.content_hash()
            if key not in self._futures:
                self._futures = {k: f for k, f in self._futures.items() if not f.done()}
                self._futures[key] = self._pool.submit(prepare, question)

    def wait(self, question: Question) -> None:
        with self._lock:
            future = self._futures.pop(question.content_hash(), None)
        if future is not None:
            try:
                future.result()
            except Exception as e:  # a failed warm-up only costs time; grading reports errors
                log.debug("prefetch failed: %s", e)

    def wait_all(self) -> None:
        with self._lock:
            futures = list(self._futures.values())
        for future in futures:
            future.exception()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
