"""The page in a real browser: Debian's chromium driven by Python playwright, against
`python app.py` (the real entry point) on a free port of 127.0.0.1, offline brain.

A candidate starts a mixed interview, answers and sees the grade, skips to the coding
exercise, runs code in the editor and sees the verdict, ends and sees the report; after a
reload the session is listed under Past sessions; another browser sees none of it; no
request leaves 127.0.0.1; the page fits a phone's width.

On failure a screenshot goes to test-artifacts/. With UI_SCREENSHOTS=DIR the main screens
are saved there too (that is how docs/screenshots/ is made).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shutil
import sys
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
WAIT_MS = 60_000
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian chromium "
                                 "(apt-get install chromium)")]


def _bench():
    spec = importlib.util.spec_from_file_location("bench_ui", REPO / "bench" / "bench_ui.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bench = _bench()


@pytest.fixture(scope="module")
def app_url(tmp_path_factory, ingested_store):
    """`python app.py` with a data home holding a copy of the session's knowledge base."""
    home = tmp_path_factory.mktemp("browser-home")
    shutil.copytree(ingested_store.settings.chroma_path, home / "chroma")
    port = bench.free_port()
    log = home / "app.log"
    proc = bench.serve_app(home, port, log)
    url = f"http://127.0.0.1:{port}/"
    try:
        bench.wait_up(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if ARTIFACTS.exists():
            shutil.copy(log, ARTIFACTS / "app.log")


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    sync_api.expect.set_options(timeout=WAIT_MS)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh browser profile; every request it makes is recorded in `page.outside`."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.outside = []
    page.on("request", lambda r: page.outside.append(r.url)
            if not r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)
    page.set_default_timeout(WAIT_MS)
    yield page
    context.close()


@contextlib.contextmanager
def screenshot_on_failure(page, name: str):
    try:
        yield
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        raise


def shot(page, name: str) -> None:
    """Save a README screenshot when UI_SCREENSHOTS names a folder."""
    folder = os.environ.get("UI_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


def test_favicon_and_title_are_served(app_url):
    with urllib.request.urlopen(app_url + "favicon.ico") as r:
        assert r.headers["content-type"] == "image/png" and r.read(4) == b"\x89PNG"


def test_full_interview_in_the_browser(app_url, page, browser):
    from playwright.sync_api import expect

    with screenshot_on_failure(page, "full-interview"):
        page.goto(app_url)
        expect(page).to_have_title("torch-interviewer · PyTorch mock interview")
        expect(page.locator("#brain")).to_contain_text("offline")
        _set_questions(page, 4)
        shot(page, "1-start")
        page.click("#start")
        chat = page.locator("#chat")
        expect(chat).to_contain_text("Question 1 of 4")
        page.fill("#answer textarea", "A view shares storage with its base tensor and "
                                      "needs contiguous memory; reshape may copy.")
        page.click("#send")
        expect(chat).to_contain_text("Score:")
        expect(page.locator("#progress")).to_contain_text("of 4 done")
        shot(page, "2-grade")
        _skip_to_exercise(page)
        expect(page.locator("#exercise")).to_contain_text("Exercise 3 of 4")
        _run_code_twice(page)
        page.click("#end")
        expect(page.locator("#report")).to_contain_text("Interview report")
        expect(page.locator("#download-json")).to_be_visible()
        shot(page, "4-report")
        _the_list_says_finished_without_refresh(page)
        _resume_a_finished_session_says_over_once(page)
        _reload_and_find_the_session(page)
        _progress_and_practice(page)
        _another_browser_sees_nothing(browser, app_url)
    assert page.outside == [], f"requests left 127.0.0.1: {page.outside}"


def _set_questions(page, n: int) -> None:
    box = page.locator("#questions input[type=number]")
    box.fill(str(n))
    box.press("Enter")


def _skip_to_exercise(page, tries: int = 4) -> None:
    from playwright.sync_api import expect

    panel = page.locator("#run")
    for _ in range(tries):
        if panel.is_visible():
            break
        count = page.locator('#chat [data-testid="bot"]').count()
        page.click("#skip")
        expect(page.locator('#chat [data-testid="bot"]')).not_to_have_count(count)
        page.wait_for_timeout(300)
    expect(panel).to_be_visible()


def _run_code_twice(page) -> None:
    """The starter fails its checks; the reference solution passes."""
    from playwright.sync_api import expect

    from interviewer.executor import load_exercises

    title = page.locator("#exercise h3").inner_text().split(":", 1)[1].strip()
    solution = next(e.solution for e in load_exercises() if e.title == title)
    page.click("#run")
    expect(page.locator("#code-result")).to_contain_text("checks 0/", timeout=WAIT_MS)
    page.locator("#run").scroll_into_view_if_needed()
    shot(page, "3-code")
    editor = page.locator("#code .cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(solution)
    page.click("#run")
    expect(page.locator("#chat")).to_contain_text("checks passed (passed)", timeout=WAIT_MS)
    expect(page.locator("#chat")).to_contain_text("Question 4 of 4")
    # the exercise closed: the page brings the chat with the next question into view
    expect(page.locator("#code-panel:visible")).to_have_count(0)
    expect(page.locator('#chat [data-testid="bot"]').last).to_be_in_viewport()


def _the_list_says_finished_without_refresh(page) -> None:
    from playwright.sync_api import expect

    # the interview started in this page is the one chosen, and it is shown as finished
    expect(page.locator("#sessions input")).to_have_value(re.compile("finished"))
    page.locator("#sessions input").click()
    option = page.get_by_role("option").first
    expect(option).to_contain_text("finished")
    option.click()  # chosen for the next step


def _resume_a_finished_session_says_over_once(page) -> None:
    from playwright.sync_api import expect

    page.click("#resume")
    chat = page.locator("#chat")
    expect(chat).to_contain_text("The interview is over")
    page.wait_for_timeout(500)
    assert chat.inner_text().count("The interview is over") == 1


def _reload_and_find_the_session(page) -> None:
    from playwright.sync_api import expect

    page.reload()
    page.locator("#sessions input").click()
    option = page.get_by_role("option").first
    expect(option).to_contain_text("finished")
    option.click()
    page.click("#past-report")
    expect(page.locator("#report")).to_contain_text("Interview report")


def _progress_and_practice(page) -> None:
    """Progress across sessions shows this browser's topics; 'Practice my weak spots'
    starts an interview on them."""
    from playwright.sync_api import expect

    page.locator("#history-panel").get_by_text("Your progress across sessions").click()
    expect(page.locator("#history")).to_contain_text("scored question")
    expect(page.locator("#history")).to_contain_text("Weakest:")
    page.locator("#history-plot").scroll_into_view_if_needed()
    expect(page.locator("#history-plot canvas, #history-plot svg").first).to_be_visible()
    page.wait_for_timeout(1000)  # the plot draws after its data arrives
    shot(page, "6-progress")
    page.click("#practice")
    expect(page.locator("#chat")).to_contain_text("Question 1 of 5")


def _another_browser_sees_nothing(browser, url: str) -> None:
    """A second browser profile lists only the session it starts itself."""
    from playwright.sync_api import expect

    other = browser.new_context()
    try:
        page = other.new_page()
        page.goto(url)
        page.click("#start")
        expect(page.locator("#chat")).to_contain_text("Question 1")
        page.locator("#sessions input").click()
        expect(page.get_by_role("option")).to_have_count(1)
        expect(page.get_by_role("option").first).to_contain_text("active")
    finally:
        other.close()


def test_phone_width(app_url, browser):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    try:
        with screenshot_on_failure(page, "phone"):
            page.goto(app_url)
            page.click("#start")
            expect(page.locator("#chat")).to_contain_text("Question 1", timeout=WAIT_MS)
            expect(page.locator("#topics")).to_be_hidden()  # the start panel folded away
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 392, f"the page is {width}px wide on a 390px phone"
            shot(page, "5-phone")
    finally:
        context.close()


INJECTED = ('<img id="injected" src="http://127.0.0.2:9/pixel.png"> *stars* '
            '<form id="evil"><input name="pw"></form>')


def test_candidate_text_is_shown_as_text(app_url, page):
    """An answer and a run's error message full of markup appear literally: no element, no
    request, no fake verdict (issue 11, item 6)."""
    from playwright.sync_api import expect

    with screenshot_on_failure(page, "injection"):
        page.goto(app_url)
        _set_questions(page, 3)
        page.click("#start")
        chat = page.locator("#chat")
        expect(chat).to_contain_text("Question 1 of 3")
        page.fill("#answer textarea", INJECTED)
        page.click("#send")
        expect(chat).to_contain_text("Score:")
        expect(chat).to_contain_text("*stars*")
        _skip_to_exercise(page, tries=3)
        editor = page.locator("#code .cm-content")
        editor.click()
        page.keyboard.press("Control+A")
        fake_verdict = "All checks passed · score 5.0/5 " + INJECTED
        page.keyboard.insert_text(f"raise ValueError({fake_verdict!r})")
        page.click("#run")
        expect(page.locator("#code-result")).to_contain_text("ValueError")
        for where in ("#chat", "#code-result"):
            assert page.locator(f"{where} #injected, {where} #evil").count() == 0
    assert page.outside == [], f"requests left 127.0.0.1: {page.outside}"



def test_reload_keeps_the_interview_and_resume_restores_its_settings(app_url, browser):
    """A reload shows the interview in progress (not an empty page); Resume puts the
    session's own settings back in the start panel."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    try:
        with screenshot_on_failure(page, "reload"):
            page.goto(app_url)
            page.locator("#difficulty").get_by_text("Hard").click()
            _set_questions(page, 3)
            page.click("#start")
            chat = page.locator("#chat")
            expect(chat).to_contain_text("Question 1 of 3")
            page.fill("#answer textarea", "Gradients accumulate in .grad until zeroed.")
            page.click("#send")
            expect(chat).to_contain_text("Score:")
            page.reload()
            expect(chat).to_contain_text("Question 1 of 3")
            expect(chat).to_contain_text("Gradients accumulate")
            expect(page.locator("#progress")).to_contain_text("of 3")
            # the interview in progress is the one chosen under Past sessions
            expect(page.locator("#sessions input")).to_have_value(re.compile("active"))
            page.locator("#difficulty").get_by_text("Easy").click()
            _set_questions(page, 9)
            page.locator("#sessions input").click()
            page.get_by_role("option").first.click()
            page.click("#resume")
            expect(chat).to_contain_text("Resuming your interview")
            expect(page.locator("#questions input[type=number]")).to_have_value("3")
            expect(page.locator("#difficulty input[value=Hard]")).to_be_checked()
    finally:
        context.close()


MY_BANK = """# My questions

## What does torch.no_grad do?
It turns off gradient tracking inside its block, so no graph is recorded.

## Why call model.eval() before testing?
It switches dropout and batch norm to their inference behaviour.

## What is a CUDA stream?
"""


def test_upload_a_bank_and_interview_on_it(app_url, page, browser, tmp_path):
    """A candidate uploads their own questions from the start panel, sees what was found and
    skipped, and is interviewed on them; another browser does not see that bank."""
    from playwright.sync_api import expect

    bank = tmp_path / "my-questions.md"
    bank.write_text(MY_BANK, encoding="utf-8")
    with screenshot_on_failure(page, "upload-bank"):
        page.goto(app_url)
        page.locator("#bank-panel input[type=file]").set_input_files(str(bank))
        summary = page.locator("#bank-summary")
        expect(summary).to_contain_text("2 question/answer pairs found, 1 skipped")
        expect(summary).to_contain_text("my-questions.md:9")
        expect(summary).to_contain_text("What is a CUDA stream?")
        page.locator("#mode").get_by_text("Concepts").click()
        _set_questions(page, 2)
        page.click("#start")
        chat = page.locator("#chat")
        expect(chat).to_contain_text("Question 1 of 2")
        expect(chat).to_contain_text(re.compile(r"torch\.no_grad|model\.eval\(\)"))
        page.fill("#answer textarea", "It stops autograd from recording operations.")
        page.click("#send")
        expect(chat).to_contain_text("Score:")
        _others_do_not_see_the_bank(browser, app_url)
    assert page.outside == [], f"requests left 127.0.0.1: {page.outside}"


def _others_do_not_see_the_bank(browser, url: str) -> None:
    from playwright.sync_api import expect

    context = browser.new_context()
    try:
        other = context.new_page()
        other.goto(url)
        other.locator("#source input").click()
        expect(other.get_by_role("option").first).to_be_visible()
        assert "my-questions" not in " ".join(other.get_by_role("option").all_inner_texts())
    finally:
        context.close()
