"""The Gradio app over HTTP with `gradio_client`: the real engine (offline brain, offline
grader, sandboxed executor) served on 127.0.0.1 in this process, driven like an API user.

- a whole short interview with a coding exercise, through the named endpoints;
- 20 simulated users at once (bench/bench_ui.py's driver): all finish, none sees another's
  answers, sessions or report; the p95 turn latency is printed.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from interviewer.settings import Settings

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _bench():
    spec = importlib.util.spec_from_file_location("bench_ui", REPO / "bench" / "bench_ui.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


bench = _bench()


@pytest.fixture(scope="module")
def app_url(tmp_path_factory, ingested_store):
    from interviewer.engine import make_interviewer
    from interviewer.ui import build_app, launch

    settings = Settings(home=tmp_path_factory.mktemp("ui-home"), prepare_bank=False)
    engine = make_interviewer(settings, store=ingested_store)
    app = build_app(settings, engine)
    port = bench.free_port()
    launch(app, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True,
           quiet=True)
    url = f"http://127.0.0.1:{port}/"
    bench.wait_up(url)
    yield url
    app.close()


def _solution(exercise_md: str) -> tuple[str, str]:
    """(starter, solution) of the exercise whose title the page shows."""
    from interviewer.executor import load_exercises

    title = exercise_md.split(":", 1)[1].splitlines()[0].strip()
    ex = next(e for e in load_exercises() if e.title == title)
    return ex.starter, ex.solution


def test_api_outputs_match_the_layout():
    from interviewer.ui.layout import PANELS_API, TURN_API

    assert [TURN_API.index(n) for n in ("chat", "progress", "panels_key")] == \
        [bench.CHAT, bench.PROGRESS, bench.KEY]
    assert [PANELS_API.index(n) for n in ("exercise", "code", "code_result", "report",
                                          "download_md", "download_json", "sessions",
                                          "brain")] == \
        [bench.EXERCISE, bench.CODE, bench.CODE_RESULT, bench.REPORT, bench.DOWNLOAD_MD,
         bench.DOWNLOAD_JSON, bench.SESSIONS, bench.BRAIN]


def test_whole_interview_with_code_through_the_api(app_url, tmp_path):
    from gradio_client import Client

    client = Client(app_url, verbose=False, download_files=str(tmp_path))
    out = client.predict([], "Adaptive", 3, "mixed", api_name="/start")
    assert "Question 1 of 3" in _chat(out)
    seen, key = set(), None
    for _ in range(10):
        if bench.is_over(out):
            break
        panels = client.predict(api_name="/panels") if out[bench.KEY] != key else panels
        key = out[bench.KEY]
        if panels[bench.EXERCISE] and "Exercise" in panels[bench.EXERCISE]:
            starter, solution = _solution(panels[bench.EXERCISE])
            failed = client.predict(starter, api_name="/run_code")
            assert "checks" in failed[bench.RUN_RESULT] or bench.is_over(failed)
            out = client.predict(solution, api_name="/run_code")
            seen.add("code")
        else:
            out = client.predict("A view shares storage with its base tensor; reshape "
                                 "copies when the memory is not contiguous.",
                                 api_name="/answer")
            seen.add("grade" if "Score:" in _chat(out) else "other")
    assert bench.is_over(out) and {"grade", "code"} <= seen
    assert "All checks passed" in _chat(out)
    panels = client.predict(api_name="/panels")
    report = json.loads(Path(bench.value(panels[bench.DOWNLOAD_JSON])).read_text())
    assert report["status"] == "finished" and len(report["transcript"]) == 3
    sessions = client.predict(api_name="/sessions")[bench.SESSIONS]["choices"]
    assert len(sessions) == 1 and "finished" in sessions[0][0]


def test_a_turn_sends_only_the_chat_progress_and_key(app_url):
    """An ordinary answer returns three outputs (plus the cleared box); the side panels
    come from /panels only when the key says they changed. /start lists the new session
    itself, so the page needs no /panels call for it."""
    client = bench.client(app_url)
    first = client.predict([], "Adaptive", 3, "concepts", api_name="/start")
    out = client.predict("A tensor is an n-dimensional array.", api_name="/answer")
    assert len(first) == 4 and len(out) == 4 and out[3] == ""
    assert "active" in first[3]["choices"][0][0]
    panels = client.predict(api_name="/panels")
    assert "active" in panels[bench.SESSIONS]["choices"][0][0]
    assert first[bench.KEY] == out[bench.KEY]  # nothing in the side panels changed
    end = client.predict(api_name="/end")
    assert end[bench.KEY] != out[bench.KEY]  # the report and the finished session did
    panels = client.predict(api_name="/panels")
    assert "Interview report" in panels[bench.REPORT]
    assert "finished" in panels[bench.SESSIONS]["choices"][0][0]


def test_an_offline_turn_sends_its_outputs_once(app_url):
    """With a brain that does not stream, a turn's outputs travel once on the event stream
    (as a generator's they went twice: its last yield, then the completed event)."""
    page = bench.PageClient(app_url)
    try:
        page.predict([], "Adaptive", 2, "concepts", api_name="/start")
        out = page.predict("A tensor is an n-dimensional array.", api_name="/answer")
        kinds = [kind for kind, _ in page.received]
        assert "A tensor is an n-dimensional array." in _chat(out)
        assert kinds.count("process_completed") == 1 and "process_generating" not in kinds
        # the side panels run outside the queue (queue=False): the page, and the bench's
        # client, POST them to /gradio_api/run/panels and get the outputs in the answer
        panels = page.predict(api_name="/panels")
        assert [kind for kind, _ in page.received] == ["run"]
        assert "active" in panels[bench.SESSIONS]["choices"][0][0]
    finally:
        page.close()


def test_bad_input_gets_words_not_tracebacks(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    out = client.predict("an answer before starting", api_name="/answer")
    assert "Start an interview first" in _chat(out)
    client.predict(["autograd-gradients"], "Hard", 1, "concepts", api_name="/start")
    out = client.predict("x" * 20_001, api_name="/answer")
    assert "the limit is 20,000" in _chat(out) and "Traceback" not in _chat(out)
    out = client.predict("print(1)", api_name="/run_code")
    assert "no coding exercise open" in _chat(out)


def test_twenty_users_at_once_finish_without_crosstalk(app_url):
    result = bench.run_users(app_url, users=20, questions=1)
    print(f"\n20 users: p50 {result['p50_s']} s, p95 {result['p95_s']} s, "
          f"max {result['max_s']} s, wall {result['wall_s']} s, {result['turns']} turns")
    assert result["errors"] == []
    assert result["finished"] == 20
    assert result["crosstalk"] == []
    assert result["sessions_per_user"] == [1]


def _chat(out) -> str:
    return "\n".join(text for _, text in bench.texts(out[bench.CHAT]))
