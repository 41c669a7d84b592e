"""The provider registry: ``INTERVIEWER_LLM`` string -> LangChain chat model (or None).

``"offline"`` means no LLM. Otherwise the string is ``provider:model``; the provider picks a
builder from `PROVIDERS` (by name, no if/elif chain). Builders get the settings, so timeouts
and bounded retries come from one place. Unknown providers go to LangChain's own registry
(`init_chat_model`), which needs the matching ``langchain-<provider>`` package.

Building a model does no I/O: the first request happens when the caller invokes it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from interviewer.errors import ConfigError
from interviewer.settings import Settings

Builder = Callable[[str, Settings], Any]
PROVIDERS: dict[str, Builder] = {}
OFFLINE = "offline"


def register_provider(name: str, builder: Builder) -> None:
    """Add (or replace) the builder for `name`; tests register scripted models this way."""
    PROVIDERS[name] = builder


def parse_llm(spec: str) -> tuple[str, str] | None:
    """``"openai:gpt-4o-mini"`` -> ("openai", "gpt-4o-mini"); ``"offline"`` -> None."""
    spec = spec.strip()
    if spec.lower() in (OFFLINE, ""):
        return None
    provider, sep, model = spec.partition(":")
    if not sep or not provider or not model:
        raise ConfigError(f"INTERVIEWER_LLM={spec!r}: use 'offline' or 'provider:model', "
                          "e.g. 'openai:gpt-4o-mini'")
    return provider.lower(), model


def _common(settings: Settings) -> dict[str, Any]:
    # One place for call options; deterministic grading wants temperature 0.
    return {"timeout": settings.llm_timeout_s, "max_retries": settings.llm_max_retries,
            "temperature": 0}


def _openai(model: str, settings: Settings) -> Any:
    from langchain.chat_models import init_chat_model

    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    if key is None and settings.openai_base_url is None:
        raise ConfigError(f"INTERVIEWER_LLM=openai:{model} needs OPENAI_API_KEY "
                          "(or OPENAI_BASE_URL for a local OpenAI-compatible server)")
    return init_chat_model(model, model_provider="openai", api_key=key or "not-needed",
                           base_url=settings.openai_base_url, **_common(settings))


def _generic(provider: str) -> Builder:
    def build(model: str, settings: Settings) -> Any:
        from langchain.chat_models import init_chat_model

        try:
            return init_chat_model(model, model_provider=provider, **_common(settings))
        except (ImportError, ValueError) as e:
            raise ConfigError(f"INTERVIEWER_LLM={provider}:{model}: {e}") from e

    return build


register_provider("openai", _openai)


def make_chat_model(settings: Settings) -> Any | None:
    """The configured chat model, or None when ``settings.llm`` is ``"offline"``."""
    parsed = parse_llm(settings.llm)
    if parsed is None:
        return None
    provider, model = parsed
    return PROVIDERS.get(provider, _generic(provider))(model, settings)
