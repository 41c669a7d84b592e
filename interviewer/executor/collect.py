"""The trusted side of one run: feed the request, drain bounded output, enforce wall time."""

from __future__ import annotations

import errno
import os
import selectors
import time
from dataclasses import dataclass, field

from interviewer.executor.sandbox import Submission

KILL_GRACE_S = 2.0
CHUNK = 1 << 16


@dataclass
class Collected:
    stdout: bytearray = field(default_factory=bytearray)
    stderr: bytearray = field(default_factory=bytearray)
    result: bytearray = field(default_factory=bytearray)
    status: bytearray = field(default_factory=bytearray)
    killed: str | None = None  # "timeout", "output_limit", "result_limit"
    truncated: bool = False
    lost: bool = False  # the worker never confirmed the end of the run
    seconds: float = 0.0


@dataclass
class _Run:
    sub: Submission
    request: memoryview
    wall_s: float
    output_limit: int
    result_limit: int
    got: Collected = field(default_factory=Collected)
    hard_deadline: float | None = None

    def kill(self, reason: str) -> None:
        if self.got.killed is None:
            self.got.killed = reason
            self.sub.kill()
            self.hard_deadline = time.monotonic() + KILL_GRACE_S


def collect(sub: Submission, request: bytes, wall_s: float, output_limit: int,
            result_limit: int) -> Collected:
    """Run to the end: every output pipe closed (the child exited) or the grace ran out."""
    run = _Run(sub, memoryview(request), wall_s, output_limit, result_limit)
    start = time.monotonic()
    sel = selectors.DefaultSelector()
    sinks = {sub.out_r: run.got.stdout, sub.err_r: run.got.stderr,
             sub.res_r: run.got.result, sub.status_r: run.got.status}
    for fd in sinks:
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
    os.set_blocking(sub.req_w, False)
    sel.register(sub.req_w, selectors.EVENT_WRITE)
    deadline = start + wall_s
    while any(k.fd in sinks for k in sel.get_map().values()):
        remaining = (run.hard_deadline or deadline) - time.monotonic()
        if remaining <= 0:
            if run.hard_deadline:
                run.got.lost = True
                break
            run.kill("timeout")
            continue
        for key, _ in sel.select(remaining):
            _on_ready(run, sel, key.fd, sinks)
    sel.close()
    run.got.seconds = time.monotonic() - start
    return run.got


def _on_ready(run: _Run, sel: selectors.BaseSelector, fd: int, sinks: dict) -> None:
    if fd == run.sub.req_w:
        _feed(run, sel)
        return
    try:
        chunk = os.read(fd, CHUNK)
    except BlockingIOError:
        return
    if not chunk:
        sel.unregister(fd)
        return
    sink = sinks[fd]
    if fd in (run.sub.out_r, run.sub.err_r):
        room = run.output_limit - len(run.got.stdout) - len(run.got.stderr)
        sink += chunk[:max(room, 0)]
        if len(chunk) > room:
            run.got.truncated = True
            run.kill("output_limit")
    elif fd == run.sub.res_r and len(sink) + len(chunk) > run.result_limit:
        run.kill("result_limit")
    else:
        sink += chunk


def _feed(run: _Run, sel: selectors.BaseSelector) -> None:
    try:
        sent = os.write(run.sub.req_w, run.request[:CHUNK])
    except BlockingIOError:
        return
    except OSError as e:
        if e.errno != errno.EPIPE:
            raise
        sent = len(run.request)
    run.request = run.request[sent:]
    if not run.request:
        sel.unregister(run.sub.req_w)
        os.close(run.sub.req_w)
        run.sub.req_w = None
