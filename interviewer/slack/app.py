"""The slack_bolt wiring: acknowledge at once, work afterwards, serve HTTP or Socket Mode.

Every listener acks within Slack's 3 seconds (slash commands with a short ephemeral line)
and hands the work to a bolt "lazy" listener, which runs after the ack. A global middleware
takes each Events API `event_id` once, in the database, so a retried delivery (Slack's
`X-Slack-Retry-Num`) is acknowledged and dropped, before and after a restart alike. Slash
commands and button clicks carry no id and Slack never retries them, so in HTTP mode each
request signature is taken once: a signed request replayed inside the 5-minute window is
acknowledged and dropped.

HTTP mode serves `POST /slack/events` (slash commands, events, buttons) with request
signatures checked by bolt's `RequestVerification` (unsigned, wrongly signed, a timestamp
that is not a number, or older than 5 minutes: 401), plus `GET /healthz`.
"""

from __future__ import annotations

import json
import logging
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient

from interviewer.errors import ConfigError, ServiceError
from interviewer.slack.bot import Click, Invocation, Reply, SlackBot
from interviewer.slack.config import EVENTS_PATH, SlackConfig
from interviewer.slack.render import REVEAL_ACTION

log = logging.getLogger(__name__)
SLASH_COMMAND = "/interview"
MESSAGE_SUBTYPES = (None, "file_share", "thread_broadcast")


def make_client(config: SlackConfig) -> WebClient:
    """The Web API client; `SLACK_API_URL` (config.api_url) points it elsewhere."""
    return WebClient(token=config.bot_token.get_secret_value(), base_url=config.api_url,
                     timeout=30)


def build_app(config: SlackConfig, bot: SlackBot) -> App:
    """A bolt App with our listeners. Bolt checks the token with `auth.test` here."""
    secret = config.signing_secret.get_secret_value() if config.signing_secret else ""
    try:
        app = App(client=bot.client, signing_secret=secret, name="interviewer",
                  process_before_response=False)
    except Exception as e:  # BoltError or SlackApiError from auth.test
        raise ConfigError(f"Slack rejected SLACK_BOT_TOKEN or is unreachable at "
                          f"{config.api_url}: {e}") from e
    app.use(_dedupe(bot))
    _listen(app, bot)
    return app


def _dedupe(bot: SlackBot):
    def dedupe_events(req, body, next, logger):
        key = _delivery_key(req, body)
        if key and not bot.store.claim_event(key):
            logger.info("%s seen before (a retry or a replay); acknowledged, not handled", key)
            return BoltResponse(status=200, body="")
        next()
    return dedupe_events


def _delivery_key(req, body: dict) -> str | None:
    """What makes one delivery unique: the event id of an Events API callback, else (HTTP
    mode) the request's signature; None over Socket Mode, which has neither to replay."""
    if body.get("type") == "event_callback":
        return body.get("event_id")
    signature = (req.headers.get("x-slack-signature") or [None])[0]
    return f"sig:{signature}" if signature else None


def _listen(app: App, bot: SlackBot) -> None:
    def ack_command(ack, command):
        ack(bot.ack_text(command.get("text", "")))

    def run_command(command):
        bot.command(Invocation(team_id=command["team_id"], channel_id=command["channel_id"],
                               user_id=command["user_id"], text=command.get("text", "")))

    def ack_only(ack):
        ack()

    def run_message(body):
        reply = reply_from(body)
        if reply is not None:
            bot.message(reply)

    def run_click(body):
        bot.reveal(click_from(body))

    app.command(SLASH_COMMAND)(ack=ack_command, lazy=[run_command])
    app.event("message")(ack=ack_only, lazy=[run_message])
    app.action(REVEAL_ACTION)(ack=ack_only, lazy=[run_click])


def reply_from(body: dict) -> Reply | None:
    """A person's new message, or None for edits, deletions, bots and the like."""
    event = body.get("event") or {}
    if event.get("subtype") not in MESSAGE_SUBTYPES or event.get("bot_id") \
            or not event.get("user") or not event.get("channel"):
        return None
    return Reply(team_id=body.get("team_id") or event.get("team", ""),
                 channel_id=event["channel"], user_id=event["user"],
                 text=event.get("text", ""), ts=event.get("ts", ""),
                 thread_ts=event.get("thread_ts"), is_dm=event.get("channel_type") == "im")


def click_from(body: dict) -> Click:
    container = body.get("container") or {}
    message = body.get("message") or {}
    return Click(team_id=(body.get("team") or {}).get("id", ""),
                 channel_id=(body.get("channel") or {}).get("id", ""),
                 user_id=(body.get("user") or {}).get("id", ""),
                 thread_ts=container.get("thread_ts") or message.get("thread_ts"),
                 question_id=body["actions"][0].get("value", ""))


# ----------------------------------------------------------------------- serving
class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _LoggingHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args) -> None:
        log.info("%s %s", self.address_string(), format % args)


def wsgi_app(app: App):
    """Bolt's WSGI adapter at /slack/events, and GET /healthz for probes."""
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ, start_response):
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") == "GET":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps({"ok": True}).encode()]
        stamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
        if stamp is not None and not (stamp.isascii() and stamp.isdigit()):
            start_response("401 Unauthorized", [("Content-Type", "application/json")])
            return [json.dumps({"error": "X-Slack-Request-Timestamp is not a number"}).encode()]
        return slack(environ, start_response)

    return application


def make_http_server(app: App, host: str, port: int) -> WSGIServer:
    try:
        return make_server(host, port, wsgi_app(app), server_class=_ThreadingWSGIServer,
                           handler_class=_LoggingHandler)
    except OSError as e:
        raise ServiceError(f"cannot listen on {host}:{port}: {e}") from e


def make_socket_mode_handler(app: App, config: SlackConfig):
    """Socket Mode: Slack pushes requests over a WebSocket the bot opens with
    SLACK_APP_TOKEN (via `apps.connections.open` on the same Web API base URL)."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    if config.app_token is None:
        raise ConfigError("SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token")
    return SocketModeHandler(app, app_token=config.app_token.get_secret_value())


def serve(app: App, config: SlackConfig, ready: threading.Event | None = None) -> None:
    """Block serving requests until interrupted."""
    if config.mode == "http":
        server = make_http_server(app, config.host, config.port)
        log.info("serving Slack requests on http://%s:%d%s", config.host,
                 server.server_address[1], EVENTS_PATH)
        if ready is not None:
            ready.set()
        try:
            server.serve_forever(poll_interval=0.2)
        finally:
            server.server_close()
        return
    handler = make_socket_mode_handler(app, config)
    log.info("connecting to Slack in Socket Mode")
    handler.start()
