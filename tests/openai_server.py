"""A real OpenAI-compatible HTTP server on 127.0.0.1 for tests (no network, no API key).

    with OpenAIServer() as server:
        server.enqueue('{"points": []}')                 # a normal chat completion
        server.enqueue(Reply(status=500))                # an HTTP error
        server.enqueue(Reply(content="hi", delay=2.0))   # slow: trips client timeouts
        ... point the client at server.url (".../v1") ...
        server.requests[0]["json"]["messages"]           # what the client sent

Replies are served in order; a request with ``"stream": true`` gets the reply as
server-sent events (one chunk per word, then ``[DONE]``). With the queue empty the server
answers 500 so a test notices an unexpected call. `openai_server` is a pytest fixture.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Reply:
    """One scripted reply: assistant text, or an HTTP error status with a body."""

    content: str = ""
    status: int = 200
    delay: float = 0.0
    body: dict | None = None  # raw JSON body to send instead of a completion
    usage: dict = field(default_factory=lambda: {"prompt_tokens": 10, "completion_tokens": 5,
                                                 "total_tokens": 15})


def _completion(reply: Reply, model: str) -> dict:
    return {"id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()),
            "model": model, "usage": reply.usage,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": reply.content}}]}


def _chunk(model: str, delta: dict, finish: str | None = None) -> bytes:
    doc = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0,
           "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(doc)}\n\n".encode()


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8", "replace")
        try:
            body = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            body = None
        self.server.owner._record(self.path, dict(self.headers), body, raw)
        if not self.path.rstrip("/").endswith("/chat/completions"):
            return self._send(404, {"error": {"message": f"no route {self.path}"}})
        reply = self.server.owner._next()
        if reply is None:
            return self._send(500, {"error": {"message": "no scripted reply left",
                                              "type": "server_error"}})
        time.sleep(reply.delay)
        if reply.status != 200 or reply.body is not None:
            return self._send(reply.status, reply.body or {
                "error": {"message": f"scripted error {reply.status}", "type": "server_error"}})
        model = (body or {}).get("model", "test-model")
        if (body or {}).get("stream"):
            return self._stream(reply, model)
        self._send(200, _completion(reply, model))

    def _send(self, status: int, doc: dict) -> None:
        data = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, reply: Reply, model: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        self.wfile.write(_chunk(model, {"role": "assistant", "content": ""}))
        for i, word in enumerate(reply.content.split(" ")):
            self.wfile.write(_chunk(model, {"content": word if i == 0 else " " + word}))
            self.wfile.flush()
        self.wfile.write(_chunk(model, {}, finish="stop"))
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: "OpenAIServer"


class OpenAIServer:
    """The scripted server. Thread-safe; start/stop explicitly or use it as a context manager."""

    def __init__(self) -> None:
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        self.requests: list[dict] = []
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> "OpenAIServer":
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> "OpenAIServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL for OpenAI clients (OPENAI_BASE_URL)."""
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def enqueue(self, *replies: Reply | str) -> None:
        """Script the next replies; a str is a normal completion with that content."""
        with self._lock:
            self._replies.extend(r if isinstance(r, Reply) else Reply(content=r) for r in replies)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._replies)

    def _next(self) -> Reply | None:
        with self._lock:
            return self._replies.popleft() if self._replies else None

    def _record(self, path: str, headers: dict, body: dict | None, raw: str) -> None:
        with self._lock:
            self.requests.append({"path": path, "headers": headers, "json": body, "raw": raw})


@pytest.fixture
def openai_server():
    """A started OpenAIServer, stopped after the test."""
    with OpenAIServer() as server:
        yield server
