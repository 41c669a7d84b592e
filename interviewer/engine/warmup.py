"""Loading what an interview needs before the first candidate does: for the web app at
start-up, once the page is served (a page loaded meanwhile says the models are loading),
and for `interviewer chat`, beside the work that leads to its first question."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

log = logging.getLogger(__name__)


def warm_up(engine: Any) -> float:
    """Load the embedding model and open the knowledge store, the session database (its
    migrations), the question bank, the follow-up rubrics, and the grader's model and score
    maps. Each step is optional (an injected engine may lack it) and a failure only costs
    the first candidate some time. Returns the seconds it took."""
    started = time.perf_counter()
    steps = [  # what a first question needs comes first: it needs no model
        engine.topics,
        lambda: engine.sessions.open(),
        lambda: engine.bank.get(""),  # loads the bank; the missing id is expected
        lambda: engine.followups,
        lambda: getattr(getattr(engine, "store", None), "embedder", None).load(),
        lambda: engine.grader.model.load(),
        lambda: engine.grader.models,
    ]
    for step in steps:
        try:
            step()
        except Exception as e:  # never stop the app or the chat for a warm-up
            log.debug("warm-up step skipped: %s", e)
    return time.perf_counter() - started


def prepare_bank(engine: Any) -> None:
    """The engine's `prepare_bank` (unless INTERVIEWER_PREPARE_BANK=off), timed and logged; a
    failure only costs time later."""
    settings = getattr(engine, "settings", None)
    if not hasattr(engine, "prepare_bank") or not getattr(settings, "prepare_bank", True):
        return
    started = time.perf_counter()
    try:
        done = engine.prepare_bank()
    except Exception as e:  # never stop a server for a warm-up
        log.warning("preparing the question bank stopped: %s", e)
        return
    log.info("prepared %d questions for grading in %.1f s", done,
             time.perf_counter() - started)


def warm_up_in_background(engine: Any) -> threading.Thread:
    thread = threading.Thread(target=warm_up, args=(engine,), name="warm-up", daemon=True)
    thread.start()
    return thread
