"""`interviewer slack`: run the Slack bot, in Socket Mode (default) or over HTTP (--http).

Settings are built once here and passed down. slack_bolt is imported only when the command
runs, so the rest of the CLI never pays for it.
"""

from __future__ import annotations

import argparse
import logging
import threading

from interviewer.settings import Settings
from interviewer.slack.config import SlackConfig

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "slack", help="run the Slack bot (Socket Mode; --http to serve /slack/events)",
        description="Run the interviewer as a Slack bot. Reads SLACK_BOT_TOKEN, and "
                    "SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (--http); "
                    "SLACK_API_URL overrides https://slack.com/api/.")
    p.add_argument("--http", action="store_true",
                   help="serve HTTP (POST /slack/events) instead of Socket Mode")
    p.add_argument("--port", type=int, default=3000, help="HTTP port (default 3000)")
    p.add_argument("--host", default="0.0.0.0", help="HTTP address (default 0.0.0.0)")
    p.add_argument("--check", action="store_true",
                   help="check the configuration and the bot token (auth.test), then exit")
    p.add_argument("--json", action="store_true", help="with --check: print the result as JSON")
    p.set_defaults(handler=cmd_slack)


def cmd_slack(args: argparse.Namespace, settings: Settings) -> int:
    config = SlackConfig.from_env(http=args.http, port=args.port, host=args.host)
    if args.check:
        return _check(config, args.json)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                                                   "%(message)s")
    from interviewer.slack import app as slack_app
    from interviewer.slack.daily import DailyScheduler

    bot = build_bot(settings, config)
    bot.store.open()
    bot.store.prune_events()
    app = slack_app.build_app(config, bot)
    bot.warm_up()
    threading.Thread(target=bot.recover, name="slack-recover", daemon=True).start()
    DailyScheduler(bot).start()
    slack_app.serve(app, config)
    return 0


def build_bot(settings: Settings, config: SlackConfig, client=None):
    """The bot over the configured engine and database; `client` may be injected."""
    from interviewer.engine import make_interviewer
    from interviewer.slack.app import make_client
    from interviewer.slack.bot import SlackBot
    from interviewer.slack.store import SlackStore

    return SlackBot(make_interviewer(settings), SlackStore.from_settings(settings),
                    client or make_client(config), daily_hour_utc=config.daily_hour_utc)


def _check(config: SlackConfig, as_json: bool) -> int:
    from slack_sdk.errors import SlackApiError

    from interviewer.errors import ServiceError
    from interviewer.slack.app import make_client

    try:
        auth = make_client(config).auth_test()
    except SlackApiError as e:
        raise ServiceError(f"auth.test failed: {e.response.get('error')} "
                           "(check SLACK_BOT_TOKEN)") from e
    doc = {"ok": True, "mode": config.mode, "api_url": config.api_url,
           "team": auth.get("team"), "team_id": auth.get("team_id"),
           "bot_user_id": auth.get("user_id")}
    if as_json:
        from interviewer.cli import print_json

        print_json(doc)
    else:
        print(f"ok: {doc['mode']} mode, bot {doc['bot_user_id']} in {doc['team']} "
              f"via {doc['api_url']}")
    return 0
