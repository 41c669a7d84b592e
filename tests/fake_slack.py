"""A fake Slack for tests, both directions, on 127.0.0.1 only:

- `FakeSlackAPI`: a Slack Web API server (point `SLACK_API_URL` at `.api_url`). It checks
  the bearer token, records every call, and keeps channel history the way Slack shows it
  (`chat.postMessage` adds, `chat.update` edits, `chat.postEphemeral` is kept per user).
- `SlackSender`: sends what Slack sends to an app in HTTP mode (slash commands, Events API
  callbacks, button clicks), signed with the real v0 scheme
  (`v0=HMAC-SHA256(secret, "v0:{timestamp}:{body}")`).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

BOT_TOKEN = "xoxb-test-token"
SIGNING_SECRET = "test-signing-secret"
TEAM = "T0TEAM"
BOT_USER = "U0BOT"
BOT_ID = "B0BOT"


@dataclass
class Call:
    method: str
    params: dict[str, Any]


@dataclass
class Posted:
    channel: str
    ts: str
    text: str
    blocks: list[dict]
    thread_ts: str | None = None
    user: str | None = None  # set for ephemeral messages
    edits: int = 0

    @property
    def all_text(self) -> str:
        """The fallback text and every text in the blocks, for assertions."""
        return self.text + "\n" + "\n".join(_block_texts(self.blocks))

    def action_values(self, action_id: str) -> list[str]:
        return [el.get("value", "") for b in self.blocks if b.get("type") == "actions"
                for el in b.get("elements", []) if el.get("action_id") == action_id]


def _block_texts(blocks: list[dict]) -> list[str]:
    out = []
    for b in blocks:
        if isinstance(b.get("text"), dict):
            out.append(b["text"].get("text", ""))
        out += [el.get("text", "") for el in b.get("elements", []) if isinstance(el.get("text"), str)]
        out += [f.get("text", "") for f in b.get("fields", []) if isinstance(f, dict)]
    return out


@dataclass
class FakeState:
    calls: list[Call] = field(default_factory=list)
    messages: list[Posted] = field(default_factory=list)
    ephemeral: list[Posted] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)


class FakeSlackAPI:
    def __init__(self, token: str = BOT_TOKEN) -> None:
        self.token = token
        self.state = FakeState()
        self.lock = threading.Lock()
        self._ts = itertools.count(1)
        self._epoch = int(time.time())  # ts stay unique across fakes sharing one database
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self._serving = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/"

    def start(self) -> "FakeSlackAPI":
        self._serving.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail(self, method: str, error: str) -> None:
        """Make every later call of `method` answer {"ok": false, "error": error}."""
        self.state.failures[method] = error

    # ----------------------------------------------------------------- queries
    def calls(self, method: str | None = None) -> list[Call]:
        with self.lock:
            return [c for c in self.state.calls if method is None or c.method == method]

    def thread(self, channel: str, thread_ts: str) -> list[Posted]:
        """Replies in a thread as a person sees them now (updates applied)."""
        with self.lock:
            return [m for m in self.state.messages
                    if m.channel == channel and m.thread_ts == thread_ts]

    def top_level(self, channel: str) -> list[Posted]:
        with self.lock:
            return [m for m in self.state.messages if m.channel == channel and not m.thread_ts]

    def ephemerals(self, user: str) -> list[Posted]:
        with self.lock:
            return [m for m in self.state.ephemeral if m.user == user]

    def wait_for(self, predicate, timeout: float = 60.0, what: str = "condition"):
        """Poll until predicate() is truthy; return its value."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}; "
                             f"calls: {[c.method for c in self.calls()][-20:]}")

    # ----------------------------------------------------------------- methods
    def _dispatch(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        return handler(params) if handler else {"ok": True}

    def _next_ts(self) -> str:
        return f"{self._epoch}.{next(self._ts):06d}"

    def _m_auth_test(self, p):
        return {"ok": True, "url": "https://test.slack.com/", "team": "Test Team",
                "team_id": TEAM, "user": "interviewer", "user_id": BOT_USER, "bot_id": BOT_ID}

    def _m_chat_postMessage(self, p):
        msg = Posted(p["channel"], self._next_ts(), p.get("text", ""), p.get("blocks") or [],
                     thread_ts=p.get("thread_ts"))
        self.state.messages.append(msg)
        return {"ok": True, "channel": msg.channel, "ts": msg.ts,
                "message": {"text": msg.text, "ts": msg.ts, "bot_id": BOT_ID}}

    def _m_chat_update(self, p):
        msg = next((m for m in self.state.messages if m.channel == p["channel"]
                    and m.ts == p["ts"]), None)
        if msg is None:
            return {"ok": False, "error": "message_not_found"}
        msg.text, msg.blocks = p.get("text", ""), p.get("blocks") or []
        msg.edits += 1
        return {"ok": True, "channel": msg.channel, "ts": msg.ts}

    def _m_chat_postEphemeral(self, p):
        msg = Posted(p["channel"], self._next_ts(), p.get("text", ""), p.get("blocks") or [],
                     thread_ts=p.get("thread_ts"), user=p["user"])
        self.state.ephemeral.append(msg)
        return {"ok": True, "message_ts": msg.ts}

    def _m_conversations_open(self, p):
        return {"ok": True, "channel": {"id": "D" + str(p.get("users", "X"))}}

    def _m_apps_connections_open(self, p):
        return {"ok": False, "error": "not_allowed_token_type"}

    # ----------------------------------------------------------------- HTTP
    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self):
                method = self.path.split("?")[0].rsplit("/", 1)[-1]
                params = _params(self.headers, self.rfile.read(
                    int(self.headers.get("Content-Length") or 0)))
                with fake.lock:
                    fake.state.calls.append(Call(method, params))
                    auth = self.headers.get("Authorization", "")
                    if auth != f"Bearer {fake.token}" and "token" not in params:
                        doc = {"ok": False, "error": "not_authed"}
                    elif method in fake.state.failures:
                        doc = {"ok": False, "error": fake.state.failures[method]}
                    else:
                        doc = fake._dispatch(method, params)
                body = json.dumps(doc).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler


def _params(headers, raw: bytes) -> dict[str, Any]:
    ctype = headers.get("Content-Type", "")
    if "json" in ctype:
        return json.loads(raw or b"{}")
    params: dict[str, Any] = dict(urllib.parse.parse_qsl(raw.decode()))
    for key in ("blocks", "attachments"):
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    return params


# --------------------------------------------------------------------- the other way
def sign(body: str, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class Response:
    status: int
    body: str

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class SlackSender:
    """Posts Slack's requests to the app at `url` (…/slack/events)."""

    def __init__(self, url: str, secret: str = SIGNING_SECRET, team: str = TEAM) -> None:
        self.url = url
        self.secret = secret
        self.team = team
        self._ids = itertools.count(1)
        self._ts = itertools.count(1)
        self._epoch = int(time.time() * 1000)  # ids stay unique across senders

    def post(self, body: str, content_type: str, headers: dict | None = None) -> Response:
        req = urllib.request.Request(self.url, data=body.encode(), method="POST", headers={
            "Content-Type": content_type, **(headers if headers is not None else sign(body, self.secret))})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return Response(resp.status, resp.read().decode())
        except urllib.error.HTTPError as e:
            return Response(e.code, e.read().decode())

    def slash(self, text: str, user: str, channel: str, **kw) -> Response:
        form = {"token": "legacy", "team_id": self.team, "team_domain": "test",
                "channel_id": channel, "channel_name": "general", "user_id": user,
                "user_name": user.lower(), "command": "/interview", "text": text,
                "api_app_id": "A0APP", "response_url": "http://127.0.0.1:9/hook",
                "trigger_id": f"trig-{next(self._ids)}"}
        return self.post(urllib.parse.urlencode(form), "application/x-www-form-urlencoded", **kw)

    def message_event(self, text: str, user: str, channel: str, thread_ts: str | None = None,
                      event_id: str | None = None, **extra) -> tuple[dict, str]:
        """The body of a `message` event callback, and its event id."""
        event_id = event_id or f"Ev{self._epoch}{next(self._ids):06d}"
        event = {"type": "message", "user": user, "text": text, "channel": channel,
                 "ts": f"1800000000.{next(self._ts):06d}", "team": self.team,
                 "channel_type": "im" if channel.startswith("D") else "channel", **extra}
        if thread_ts:
            event["thread_ts"] = thread_ts
        body = {"token": "legacy", "team_id": self.team, "api_app_id": "A0APP", "event": event,
                "type": "event_callback", "event_id": event_id, "event_time": int(time.time()),
                "authorizations": [{"team_id": self.team, "user_id": BOT_USER, "is_bot": True}]}
        return body, event_id

    def send_event(self, body: dict, retry: int | None = None) -> Response:
        raw = json.dumps(body)
        headers = sign(raw, self.secret)
        if retry:
            headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"})
        return self.post(raw, "application/json", headers)

    def say(self, text: str, user: str, channel: str, thread_ts: str | None = None) -> Response:
        return self.send_event(self.message_event(text, user, channel, thread_ts)[0])

    def click(self, action_id: str, value: str, user: str, channel: str,
              message: Posted) -> Response:
        payload = {"type": "block_actions", "team": {"id": self.team, "domain": "test"},
                   "user": {"id": user}, "api_app_id": "A0APP", "token": "legacy",
                   "channel": {"id": channel}, "trigger_id": f"trig-{next(self._ids)}",
                   "container": {"type": "message", "message_ts": message.ts,
                                 "channel_id": channel, "is_ephemeral": False,
                                 "thread_ts": message.thread_ts},
                   "message": {"ts": message.ts, "thread_ts": message.thread_ts, "type": "message"},
                   "response_url": "http://127.0.0.1:9/hook",
                   "actions": [{"type": "button", "action_id": action_id, "value": value,
                                "block_id": "b", "action_ts": str(time.time())}]}
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return self.post(body, "application/x-www-form-urlencoded")
