"""Sandboxed execution of candidate torch code, coding exercises and their hidden checks."""

from interviewer.executor.exercises import Exercise, get_exercise, load_exercises
from interviewer.executor.executor import Executor
from interviewer.executor.results import CheckResult, RunResult

__all__ = ["CheckResult", "Executor", "Exercise", "RunResult", "get_exercise", "load_exercises"]
