"""Slack settings: tokens, the Web API address, and how requests reach the bot.

Built once at the entry point. Each secret comes from an argument first, then the
environment; a missing one is a `ConfigError` that names the variable to set. Socket Mode
(the default) needs `SLACK_APP_TOKEN` and no public URL; HTTP mode needs
`SLACK_SIGNING_SECRET`, because every request is verified against it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from interviewer.errors import ConfigError

DEFAULT_API_URL = "https://slack.com/api/"
EVENTS_PATH = "/slack/events"


class SlackConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["socket", "http"] = "socket"
    bot_token: SecretStr
    signing_secret: SecretStr | None = None
    app_token: SecretStr | None = None
    api_url: str = DEFAULT_API_URL
    host: str = "0.0.0.0"
    port: int = Field(default=3000, ge=0, le=65535)
    daily_hour_utc: int = Field(default=9, ge=0, le=23)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, http: bool = False,
                 port: int | None = None, host: str | None = None,
                 bot_token: str | None = None, signing_secret: str | None = None,
                 app_token: str | None = None) -> "SlackConfig":
        """Arguments win over the environment; what the chosen mode needs must be present."""
        env = os.environ if env is None else env
        mode = "http" if http else "socket"
        values: dict[str, object] = {
            "mode": mode,
            "bot_token": _secret(bot_token, env, "SLACK_BOT_TOKEN", "the bot token (xoxb-...) "
                                 "from OAuth & Permissions"),
            "api_url": _api_url(env.get("SLACK_API_URL") or DEFAULT_API_URL),
            **_mode_secrets(mode, env, signing_secret, app_token),
        }
        values.update({k: v for k, v in {"port": port, "host": host}.items() if v is not None})
        if env.get("INTERVIEWER_SLACK_DAILY_HOUR"):
            values["daily_hour_utc"] = env["INTERVIEWER_SLACK_DAILY_HOUR"]
        try:
            return cls(**values)
        except ValueError as e:
            raise ConfigError(f"invalid Slack settings: {e}") from e


def _mode_secrets(mode: str, env: Mapping[str, str], signing_secret: str | None,
                  app_token: str | None) -> dict[str, object]:
    """HTTP mode needs the signing secret; Socket Mode the app-level token."""
    if mode == "http":
        return {"signing_secret": _secret(signing_secret, env, "SLACK_SIGNING_SECRET",
                                          "HTTP mode verifies every request with the signing "
                                          "secret from Basic Information")}
    return {"app_token": _secret(app_token, env, "SLACK_APP_TOKEN",
                                 "Socket Mode needs an app-level token (xapp-...) with "
                                 "connections:write; or serve HTTP with --http"),
            "signing_secret": signing_secret or env.get("SLACK_SIGNING_SECRET") or None}


def _secret(given: str | None, env: Mapping[str, str], name: str, why: str) -> str:
    value = given or env.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is not set: {why}")
    return value


def _api_url(url: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"SLACK_API_URL={url!r} must be an http(s) URL like {DEFAULT_API_URL}")
    return url if url.endswith("/") else url + "/"
