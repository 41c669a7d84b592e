"""Settings, built once at an entry point (CLI, app, Slack bot) and passed down.

Values come from arguments first, then the real environment. Nothing here reads files or
connects anywhere; constructing Settings is cheap and side-effect free.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

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


def _env_bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value not in ("on", "off", "1", "0", "true", "false", "yes", "no"):
        raise ConfigError(f"{name}={raw!r}: use on or off")
    return value in ("on", "1", "true", "yes")


def _env_price(raw: str) -> tuple[float, float]:
    """INTERVIEWER_LLM_PRICE="IN,OUT": US dollars per million prompt / completion tokens."""
    try:
        inp, out = (float(x) for x in raw.split(","))
    except ValueError as e:
        raise ConfigError(f"INTERVIEWER_LLM_PRICE={raw!r} must look like 0.15,0.60 "
                          "(USD per million input, output tokens)") from e
    return inp, out


# The environment variable (or flag) behind each field, for error messages.
ENV_NAMES = {
    "home": "INTERVIEWER_HOME", "knowledge_dir": "INTERVIEWER_KNOWLEDGE",
    "chroma_url": "CHROMA_URL", "collection": "INTERVIEWER_COLLECTION",
    "embed_model": "INTERVIEWER_EMBED_MODEL", "torch_threads": "INTERVIEWER_TORCH_THREADS",
    "llm": "INTERVIEWER_LLM", "llm_timeout_s": "INTERVIEWER_LLM_TIMEOUT",
    "llm_max_retries": "INTERVIEWER_LLM_MAX_RETRIES",
    "prompt_token_budget": "INTERVIEWER_PROMPT_TOKEN_BUDGET", "database_url": "DATABASE_URL",
    "openai_api_key": "OPENAI_API_KEY", "openai_base_url": "OPENAI_BASE_URL",
    "follow_ups": "INTERVIEWER_FOLLOW_UPS", "llm_price_per_mtok": "INTERVIEWER_LLM_PRICE",
    "executor_concurrency": "INTERVIEWER_EXECUTOR_CONCURRENCY",
    "executor_wall_s": "INTERVIEWER_EXECUTOR_WALL_S",
    "executor_memory_mb": "INTERVIEWER_EXECUTOR_MEMORY_MB",
    "executor_output_kb": "INTERVIEWER_EXECUTOR_OUTPUT_KB",
    "executor_bwrap": "INTERVIEWER_EXECUTOR_BWRAP",
    "executor_device": "INTERVIEWER_EXECUTOR_DEVICE",
    "browser_secret": "INTERVIEWER_BROWSER_SECRET",
    "answer_check": "INTERVIEWER_ANSWER_CHECK",
    "prepare_bank": "INTERVIEWER_PREPARE_BANK",
}


def _one_line(e: ValidationError, values: Mapping[str, object],
              overrides: Mapping[str, object]) -> str:
    """The first problem as one line naming the variable (or option) to fix and its value;
    secrets are never echoed."""
    err = e.errors()[0]
    field = str(err["loc"][0]) if err.get("loc") else ""
    name = (f"--{field.replace('_', '-')}" if overrides.get(field) is not None
            else ENV_NAMES.get(field, field))
    secret = field in ("openai_api_key", "browser_secret")
    shown = "(hidden)" if secret else repr(str(values.get(field, "")))
    more = f" (and {len(e.errors()) - 1} more)" if len(e.errors()) > 1 else ""
    return f"{name}={shown}: {err['msg'].rstrip('.')}{more}"


def _executor_env(env: Mapping[str, str]) -> dict[str, object]:
    """INTERVIEWER_EXECUTOR_* variables; pydantic checks the values."""
    names = {"CONCURRENCY": "executor_concurrency", "WALL_S": "executor_wall_s",
             "MEMORY_MB": "executor_memory_mb", "OUTPUT_KB": "executor_output_kb",
             "BWRAP": "executor_bwrap", "DEVICE": "executor_device"}
    return {field: env[f"INTERVIEWER_EXECUTOR_{var}"] for var, field in names.items()
            if env.get(f"INTERVIEWER_EXECUTOR_{var}")}


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
    executor_concurrency: int = Field(default=2, ge=1, le=64)
    executor_wall_s: float = Field(default=10.0, gt=0, le=600)
    executor_memory_mb: int = Field(default=1024, ge=64)
    executor_output_kb: int = Field(default=64, ge=1)
    executor_bwrap: str = "bwrap"
    executor_device: str = Field(default="cpu", pattern="^(cpu|cuda|auto)$")
    # LLM access (OpenAI or any OpenAI-compatible server); the key never appears in repr.
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    follow_ups: int = Field(default=1, ge=0, le=5)
    hint_penalty: float = Field(default=1.0, ge=0, le=5)
    # Say so, once, instead of grading, when a main answer fits another question far better.
    answer_check: bool = True
    # Servers (web page, Slack) prepare every question's grading rubric in the background
    # after start-up, so no candidate pays for a question's first grade.
    prepare_bank: bool = True
    llm_price_per_mtok: tuple[float, float] | None = None
    # The key that encrypts each browser's id in its localStorage. Unset: one made under
    # the data home. Several app replicas must share one (INTERVIEWER_BROWSER_SECRET).
    browser_secret: SecretStr | None = Field(default=None, min_length=16)

    @field_validator("llm")
    @classmethod
    def _normalise_llm(cls, v: str) -> str:
        v = v.strip()
        return "offline" if v.lower() in ("", "offline", "none") else v

    @field_validator("chroma_url", "database_url", "openai_base_url")
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
            "OPENAI_API_KEY": "openai_api_key",
            "OPENAI_BASE_URL": "openai_base_url",
            "INTERVIEWER_BROWSER_SECRET": "browser_secret",
        }
        for var, field in simple.items():
            if env.get(var):
                values[field] = env[var]
        values["torch_threads"] = _env_int(env, "INTERVIEWER_TORCH_THREADS", 1)
        values["prompt_token_budget"] = _env_int(env, "INTERVIEWER_PROMPT_TOKEN_BUDGET", 6000)
        values["llm_max_retries"] = _env_int(env, "INTERVIEWER_LLM_MAX_RETRIES", 1)
        values["follow_ups"] = _env_int(env, "INTERVIEWER_FOLLOW_UPS", 1)
        values["answer_check"] = _env_bool(env, "INTERVIEWER_ANSWER_CHECK", True)
        values["prepare_bank"] = _env_bool(env, "INTERVIEWER_PREPARE_BANK", True)
        if env.get("INTERVIEWER_LLM_PRICE"):
            values["llm_price_per_mtok"] = _env_price(env["INTERVIEWER_LLM_PRICE"])
        values.update(_executor_env(env))
        if env.get("INTERVIEWER_LLM_TIMEOUT"):
            try:
                values["llm_timeout_s"] = float(env["INTERVIEWER_LLM_TIMEOUT"])
            except ValueError as e:
                raise ConfigError("INTERVIEWER_LLM_TIMEOUT must be a number of seconds") from e
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls(**values)
        except ValidationError as e:
            raise ConfigError(_one_line(e, values, overrides)) from e

    @property
    def chroma_path(self) -> Path:
        return self.home / "chroma"

    @property
    def sessions_url(self) -> str:
        """The session database: DATABASE_URL, else SQLite under the data folder."""
        return self.database_url or f"sqlite:///{self.home / 'sessions.sqlite3'}"
