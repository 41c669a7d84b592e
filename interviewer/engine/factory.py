"""Wiring the engine from settings, at an entry point (CLI, app, Slack bot)."""

from __future__ import annotations

import importlib.util
import logging

from interviewer.engine.brain import Brain, LLMBrain, OfflineBrain
from interviewer.settings import Settings

log = logging.getLogger(__name__)


def make_brain(settings: Settings) -> Brain:
    """The offline brain for INTERVIEWER_LLM=offline, else an LLM brain. The chat model is
    built now (no I/O), so a configuration error shows at start-up, not mid-interview."""
    from interviewer.llm.registry import make_chat_model

    model = make_chat_model(settings)
    return OfflineBrain() if model is None else LLMBrain(settings, model)


def make_grader_for(settings: Settings, embedder):
    from interviewer.grading import make_grader

    return make_grader(settings, embedder=embedder)


def make_runner(settings: Settings):
    """The sandboxed executor when it is installed, else None (concept questions only)."""
    if importlib.util.find_spec("interviewer.executor") is None:
        return None
    from interviewer.engine.exercises import SandboxRunner

    return SandboxRunner(settings)


def make_interviewer(settings: Settings, *, store=None, grader=None, sessions=None):
    """An `Interviewer` with the configured knowledge store, grader, brain, executor and
    session database. Nothing connects until the first call."""
    from interviewer.engine.interview import Interviewer
    from interviewer.knowledge.store import KnowledgeStore

    store = store or KnowledgeStore(settings)
    grader = grader or make_grader_for(settings, store.embedder)
    brain = make_brain(settings)
    # The engine's own offline brain speaks in one piece; another OfflineBrain instance
    # would be taken for an LLM and streamed word deltas (shown twice in a terminal).
    return Interviewer(settings, store, grader, executor=make_runner(settings),
                       brain=None if isinstance(brain, OfflineBrain) else brain,
                       sessions=sessions)
