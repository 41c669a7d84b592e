"""Settings, built once at an entry point (CLI, app, Slack bot) and passed down.

Values come from arguments first, then the real environment. Nothing here reads files or
connects anywhere; constructing Settings is cheap and side-effect free.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from interviewer.errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_KNOWLEDGE_DIR = PACKAGE_DIR.parent / "knowledge"
DEFAULT_EMBED_MODEL = "all-MiniLM-L6-v2"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_flag(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    """Read a boolean variable strictly: "false" is false, and junk is an error naming it."""
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean; use 1/0, true/false, yes/no or on/off")


def _env_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as e:
        raise ConfigError(f"{name}={raw!r} is not an integer") from e


class Settings(BaseModel):
    """Everything configurable, in one place. See the README's configuration table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    home: Path = Field(default_factory=lambda: Path.home() / ".interviewer")
    knowledge_dir: Path = DEFAULT_KNOWLEDGE_DIR
    chroma_url: str | None = None
    collection: str = "pytorch-questions"
    embed_model: str = DEFAULT_EMBED_MODEL
    torch_threads: int = Field(default=1, ge=1, le=256)
    llm: str = "offline"
    llm_timeout_s: float = Field(default=30.0, gt=0)
    llm_max_retries: int = Field(default=1, ge=0, le=10)
    prompt_token_budget: int = Field(default=6000, ge=256)
    database_url: str | None = None

    @field_validator("chroma_url", "database_url")
    @classmethod
    def _blank_is_none(cls, v: str | None) -> str | None:
        return v or None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> "Settings":
        """Build settings from the environment; explicit keyword overrides win (None is ignored)."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        if env.get("INTERVIEWER_HOME"):
            values["home"] = Path(env["INTERVIEWER_HOME"]).expanduser()
        if env.get("INTERVIEWER_KNOWLEDGE"):
            values["knowledge_dir"] = Path(env["INTERVIEWER_KNOWLEDGE"]).expanduser()
        simple = {
            "CHROMA_URL": "chroma_url",
            "INTERVIEWER_COLLECTION": "collection",
            "INTERVIEWER_EMBED_MODEL": "embed_model",
            "INTERVIEWER_LLM": "llm",
            "DATABASE_URL": "database_url",
        }
        for var, field in simple.items():
            if env.get(var):
                values[field] = env[var]
        values["torch_threads"] = _env_int(env, "INTERVIEWER_TORCH_THREADS", 1)
        values["prompt_token_budget"] = _env_int(env, "INTERVIEWER_PROMPT_TOKEN_BUDGET", 6000)
        values["llm_max_retries"] = _env_int(env, "INTERVIEWER_LLM_MAX_RETRIES", 1)
        if env.get("INTERVIEWER_LLM_TIMEOUT"):
            try:
                values["llm_timeout_s"] = float(env["INTERVIEWER_LLM_TIMEOUT"])
            except ValueError as e:
                raise ConfigError("INTERVIEWER_LLM_TIMEOUT must be a number of seconds") from e
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls(**values)
        except ValueError as e:
            raise ConfigError(f"invalid settings: {e}") from e

    @property
    def chroma_path(self) -> Path:
        return self.home / "chroma"

    @property
    def sqlite_url(self) -> str:
        return f"sqlite:///{self.home / 'sessions.sqlite3'}"
