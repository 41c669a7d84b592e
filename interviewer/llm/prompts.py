"""Prompts are data: ``interviewer/prompts/NAME.yaml`` with ``system`` and/or ``user`` Jinja
templates (and a ``description``). Rendering uses StrictUndefined, so a missing variable is
an error rather than a blank. Files are read through importlib.resources (works from a wheel).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import jinja2
import yaml

from interviewer.errors import ConfigError

PACKAGE = "interviewer.prompts"
PARTS = ("system", "user")
_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=False,
                          trim_blocks=True, lstrip_blocks=True, autoescape=False)


@dataclass(frozen=True)
class Prompt:
    """A rendered prompt: the system and user messages (either may be empty)."""

    system: str
    user: str

    def messages(self) -> list[tuple[str, str]]:
        """(role, content) pairs, in the shape LangChain's chat models accept."""
        return [(role, text) for role, text in (("system", self.system), ("user", self.user))
                if text]


def prompt_names() -> list[str]:
    """Every prompt shipped in the package."""
    files = resources.files(PACKAGE).iterdir()
    return sorted(f.name[:-5] for f in files if f.name.endswith(".yaml"))


@lru_cache(maxsize=None)
def _templates(name: str) -> dict[str, jinja2.Template]:
    try:
        text = resources.files(PACKAGE).joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise ConfigError(f"no prompt named {name!r} (have: {', '.join(prompt_names())})") from e
    data = yaml.safe_load(text) or {}
    unknown = set(data) - set(PARTS) - {"description"}
    if unknown or not any(data.get(p) for p in PARTS):
        raise ConfigError(f"prompt {name!r}: needs 'system' and/or 'user'; unknown {unknown}")
    return {p: _ENV.from_string(data.get(p) or "") for p in PARTS}


def render(name: str, **variables: object) -> Prompt:
    """Render prompt `name`; a variable the template uses but is not given is an error."""
    try:
        parts = {p: t.render(**variables).strip() for p, t in _templates(name).items()}
    except jinja2.UndefinedError as e:
        raise ConfigError(f"prompt {name!r}: {e.message}") from e
    return Prompt(**parts)
