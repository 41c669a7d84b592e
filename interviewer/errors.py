"""The few error classes of the product. Only the edges (CLI, app, Slack) turn them into words."""

from __future__ import annotations


class InterviewerError(Exception):
    """Base class for errors the product reports to a person."""


class ConfigError(InterviewerError):
    """Settings are missing or wrong; the message names the variable or flag to fix."""


class InputError(InterviewerError):
    """Input from outside (a corpus file, a dataset row, an answer) is unusable.

    `where` names the place, e.g. ``knowledge/q.yaml:12``, so the message says what to fix.
    """

    def __init__(self, message: str, where: str | None = None) -> None:
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class ServiceError(InterviewerError):
    """A service we depend on (Chroma server, database, LLM) failed or cannot be reached."""
