"""What a run produces: plain dataclasses made by the trusted side."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# The most characters of each text field that comes back from a run (the child is untrusted:
# it can write anything to its result pipe, so every field is cut on the trusted side).
MESSAGE_CHARS = 2000
TRACEBACK_CHARS = 8000

STATUSES = ("ok", "error", "timeout", "memory", "output_limit", "crashed", "refused",
            "passed", "failed")


def clip(value: object, limit: int) -> str:
    """`value` as text of at most `limit` characters, marked when cut."""
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[:limit] + " … [cut]"


@dataclass
class CheckResult:
    name: str
    passed: bool
    message: str = ""


@dataclass
class RunResult:
    """The outcome of one run. `status` is one of STATUSES; `message` says it in words."""

    status: str
    message: str = ""
    stdout: str = ""
    stderr: str = ""
    exit_code: int | None = None
    seconds: float = 0.0
    truncated: bool = False
    checks: list[CheckResult] = field(default_factory=list)
    traceback: str | None = None
    exercise: str | None = None
    device: str = "cpu"
    memory_kb: int | None = None

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
