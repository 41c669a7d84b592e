"""Two app replicas on one PostgreSQL and one Chroma server (as docs/deploy.md sets them
up): a browser starts an interview on one and continues it on the other with the same
identity, and each replica shows what the other recorded.

A load balancer would serve both replicas under one origin, so the browser's localStorage
(the encrypted user id) is the same for both; here the replicas listen on two ports, so the
test carries the stored value from one origin to the other. The replicas share the browser
secret through INTERVIEWER_BROWSER_SECRET (each has its own data home).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest

from interviewer.ui.identity import STORAGE_KEY
from test_storage import postgres_url  # noqa: F401  (fixtures: real servers)
from test_store import chroma_url  # noqa: F401
from test_ui_browser import CHROMIUM, bench, browser, screenshot_on_failure  # noqa: F401

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian chromium "
                                 "(apt-get install chromium)")]
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def replicas(tmp_path_factory, postgres_url, chroma_url):  # noqa: F811
    """Two `python app.py` processes sharing the database, the Chroma collection and the
    browser secret; each with its own data home and port."""
    shared = {"CHROMA_URL": chroma_url, "DATABASE_URL": postgres_url,
              "INTERVIEWER_COLLECTION": f"replicas-{os.getpid()}-{time.time_ns()}",
              "INTERVIEWER_BROWSER_SECRET": secrets.token_urlsafe(32)}
    env = {**os.environ, **bench.ENV, **shared}
    subprocess.run([sys.executable, "-m", "interviewer", "ingest"], cwd=REPO, check=True,
                   env={**env, "INTERVIEWER_HOME": str(tmp_path_factory.mktemp("ingest"))},
                   stdout=subprocess.DEVNULL)
    procs, urls = [], []
    old = {k: os.environ.get(k) for k in shared}
    os.environ.update(shared)  # serve_app passes this process's environment on
    try:
        for name in ("a", "b"):
            home = tmp_path_factory.mktemp(f"replica-{name}")
            port = bench.free_port()
            procs.append(bench.serve_app(home, port, home / "app.log"))
            urls.append(f"http://127.0.0.1:{port}/")
        for url, proc in zip(urls, procs):
            bench.wait_up(url, proc)
        yield urls
    finally:
        for k, v in old.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)


def _identity(page) -> str:
    return page.evaluate(f"() => window.localStorage.getItem({STORAGE_KEY!r})")


def _open_as(browser, url: str, stored: str | None):  # noqa: F811
    """A fresh browser profile on `url` whose localStorage holds `stored` (the identity a
    load balancer's single origin would have kept)."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    if stored is not None:
        context.add_init_script(
            f"window.localStorage.setItem({STORAGE_KEY!r}, {stored!r});")
    page = context.new_page()
    page.goto(url)
    return context, page


def test_an_interview_continues_on_the_other_replica(replicas, browser):  # noqa: F811
    from playwright.sync_api import expect

    url_a, url_b = replicas
    ctx_a, page_a = _open_as(browser, url_a, None)
    ctx_b = None
    try:
        with screenshot_on_failure(page_a, "replica-a"):
            questions = page_a.locator("#questions input[type=number]")
            questions.fill("2")
            questions.press("Enter")
            page_a.click("#start")
            chat_a = page_a.locator("#chat")
            expect(chat_a).to_contain_text("Question 1 of 2")
            page_a.fill("#answer textarea", "Replica A: views share storage with the base.")
            page_a.click("#send")
            expect(chat_a).to_contain_text("Score:")
            stored = _identity(page_a)
            assert stored
        ctx_b, page_b = _open_as(browser, url_b, stored)
        with screenshot_on_failure(page_b, "replica-b"):
            chat_b = page_b.locator("#chat")
            expect(chat_b).to_contain_text("Replica A: views share storage")
            graded = chat_b.inner_text().count("Score:")
            page_b.fill("#answer textarea", "Replica B: reshape may copy the data.")
            page_b.click("#send")
            expect(chat_b).to_contain_text("Replica B: reshape may copy")
            _wait_for(lambda: chat_b.inner_text().count("Score:") > graded, page_b)
        with screenshot_on_failure(page_a, "replica-a-again"):
            page_a.reload()
            expect(page_a.locator("#chat")).to_contain_text("Replica B: reshape may copy")
    finally:
        ctx_a.close()
        if ctx_b is not None:
            ctx_b.close()


def _wait_for(condition, page, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the other replica did not grade the answer")
        page.wait_for_timeout(250)
