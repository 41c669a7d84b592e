"""Coding exercises, behind a small protocol so the engine runs (and is tested) without the
sandbox. `SandboxRunner` adapts the real executor (`interviewer.executor`)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from interviewer.engine.state import MAX_SCORE


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    topic: str
    difficulty: int
    prompt: str
    starter: str = ""
    hints: tuple[str, ...] = ()
    related: tuple[str, ...] = ()


@dataclass(frozen=True)
class CodeOutcome:
    """`status`: passed | failed | error | timeout | ... as the runner reports it."""

    status: str
    passed: int
    total: int
    summary: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def score(self) -> float:
        return round(MAX_SCORE * self.passed / self.total, 2) if self.total else 0.0


class CodeRunner(Protocol):
    def exercises(self) -> Sequence[Exercise]: ...

    def run(self, code: str, exercise_id: str) -> CodeOutcome: ...


class SandboxRunner:
    """The real sandbox (`interviewer.executor`): exercises from knowledge/exercises/, code
    run against their hidden checks in a warm worker. Nothing starts until first use."""

    def __init__(self, settings) -> None:
        self.settings = settings
        self._records: dict[str, Any] | None = None
        self._executor = None
        self._lock = threading.Lock()

    def _loaded(self) -> dict[str, Any]:
        if self._records is None:
            from interviewer.executor import load_exercises

            folder = self.settings.knowledge_dir / "exercises"
            self._records = {e.id: e for e in load_exercises(folder)} if folder.is_dir() else {}
        return self._records

    def exercises(self) -> Sequence[Exercise]:
        return [Exercise(id=e.id, title=e.title, topic=e.topic, difficulty=e.difficulty,
                         prompt=e.prompt, starter=e.starter, hints=tuple(e.hints),
                         related=tuple(e.related)) for e in self._loaded().values()]

    def run(self, code: str, exercise_id: str) -> CodeOutcome:
        with self._lock:
            if self._executor is None:
                from interviewer.executor import Executor

                self._executor = Executor(self.settings)
                self._executor.start()
        result = self._executor.run(code, exercise=self._loaded()[exercise_id])
        passed = sum(1 for c in result.checks if c.passed)
        return CodeOutcome(status=result.status, passed=passed, total=len(result.checks),
                           summary=result.message, details=result.to_dict())

    def close(self) -> None:
        with self._lock:
            if self._executor is not None:
                self._executor.close()
                self._executor = None
