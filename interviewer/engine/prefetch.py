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


def prepare(question: Question, grader, similarity, texts: Sequence[str] = ()) -> None:
    """Now, in this thread: the grader's answer-independent work for `question` (graders may
    offer `prepare(question)`, else `rubric(question)`), and the vectors of its key points,
    its follow-ups and `texts` for similarity."""
    if similarity is not None:
        similarity.warm([*question.key_points, *question.follow_ups, *texts])
    grader_prepare = getattr(grader, "prepare", None) or getattr(grader, "rubric", None)
    if grader_prepare is not None:
        grader_prepare(question)


class Prefetcher:
    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._futures: dict[str, Future] = {}
        self._lock = threading.Lock()

    def submit(self, question: Question, grader, similarity,
               texts: Sequence[str] = ()) -> None:
        """Prepare `question` in the background; `texts` (say, its follow-ups' key points)
        are warmed for similarity along with its own key points and follow-ups."""
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(1, thread_name_prefix="interviewer-prefetch")
            key = question.content_hash()
            if key not in self._futures:
                self._futures = {k: f for k, f in self._futures.items() if not f.done()}
                self._futures[key] = self._pool.submit(prepare, question, grader, similarity,
                                                       texts)

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
