"""Web-app benchmark: N simulated candidates through the Gradio API at once.

    python bench/bench_ui.py [--users 20] [--questions 2] [--url http://127.0.0.1:7860/]
                             [--out bench/results/ui.json]

Without --url it ingests the knowledge base into a temporary INTERVIEWER_HOME and serves
`python app.py` there on a free port (the real entry point, offline brain). Each simulated
user is its own `gradio_client.Client` (its own browser session): it starts a concepts
interview, answers every question and follow-up with text tagged with its name until the
report comes, then lists its sessions. Reported: latency of every turn (start, answer),
p50/p95/max, wall time, and whether every user finished without seeing another's data.

`run_users` is also what tests/test_ui_app.py runs (with fewer users).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ENV = {"HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1",
       "GRADIO_ANALYTICS_ENABLED": "False", "TOKENIZERS_PARALLELISM": "false",
       "ANONYMIZED_TELEMETRY": "False", "INTERVIEWER_TORCH_THREADS": "1"}
for _k, _v in ENV.items():
    os.environ.setdefault(_k, _v)

# The order of a turn's outputs as an API client receives them (see interviewer/ui/layout.py
# API_OUTPUTS; gr.State and layout blocks are not part of the API).
CHAT, EXERCISE, CODE, CODE_RESULT, PROGRESS, REPORT, DOWNLOAD_JSON, SESSIONS = \
    0, 2, 3, 4, 5, 7, 9, 10
MAX_TURNS = 12


@dataclass
class UserRun:
    tag: str
    latencies: list[float] = field(default_factory=list)
    finished: bool = False
    crosstalk: list[str] = field(default_factory=list)
    sessions: int = 0
    error: str | None = None


def texts(chat: list[dict]) -> list[tuple[str, str]]:
    """(role, text) of every chat message as the API returns them."""
    out = []
    for m in chat or []:
        content = m.get("content")
        parts = content if isinstance(content, list) else [{"text": content}]
        out.append((m.get("role", ""), " ".join(str(p.get("text", "")) for p in parts
                                                if isinstance(p, dict))))
    return out


def value(output):
    """An output's value: components updated with gr.update() arrive as a dict."""
    if isinstance(output, dict) and output.get("__type__") == "update":
        return output.get("value")
    return output


def is_over(result: tuple) -> bool:
    return any("The interview is over" in t for _, t in texts(result[CHAT]))


def _timed(run: UserRun, call, *args, **kwargs):
    t = time.perf_counter()
    out = call(*args, **kwargs)
    run.latencies.append(time.perf_counter() - t)
    return out


def simulate_user(url: str, tag: str, others: list[str], questions: int = 2) -> UserRun:
    """One candidate: start, answer until the report, list sessions; check for cross-talk."""
    from gradio_client import Client

    run = UserRun(tag)
    try:
        client = Client(url, verbose=False, download_files=tempfile.mkdtemp(prefix="ui-bench-"))
        out = _timed(run, client.predict, [], "Adaptive", questions, "concepts",
                     api_name="/start")
        for i in range(MAX_TURNS):
            if is_over(out):
                break
            answer = (f"[{tag}] answer {i}: a view shares storage with its base tensor; "
                      "reshape copies when the memory is not contiguous.")
            out = _timed(run, client.predict, answer, api_name="/answer")
        run.finished = is_over(out)
        _check_isolation(run, out, others)
        run.sessions = len(client.predict(api_name="/sessions")[SESSIONS]["choices"])
    except Exception as e:  # a benchmark reports failures, it does not stop at the first
        run.error = f"{type(e).__name__}: {e}"
    return run


def _check_isolation(run: UserRun, out: tuple, others: list[str]) -> None:
    for role, text in texts(out[CHAT]):
        if role == "user" and f"[{run.tag}]" not in text:
            run.crosstalk.append(f"foreign answer in chat: {text[:80]}")
        run.crosstalk += [f"{o} seen in chat" for o in others if o != run.tag
                          and f"[{o}]" in text]
    path = value(out[DOWNLOAD_JSON])
    report = json.loads(Path(path).read_text()) if path else {}
    answers = [a.get("answer", "") for item in report.get("transcript", [])
               for a in item.get("attempts", []) if a.get("answer")]
    run.crosstalk += [f"foreign answer in report: {a[:60]}" for a in answers
                      if f"[{run.tag}]" not in a]


def run_users(url: str, users: int, questions: int = 2) -> dict:
    tags = [f"user-{i:02d}" for i in range(users)]
    t = time.perf_counter()
    with ThreadPoolExecutor(users) as pool:
        runs = list(pool.map(lambda tag: simulate_user(url, tag, tags, questions), tags))
    wall = time.perf_counter() - t
    lat = sorted(x for r in runs for x in r.latencies)
    return {"users": users, "questions": questions, "wall_s": round(wall, 2),
            "turns": len(lat), "p50_s": _pct(lat, 50), "p95_s": _pct(lat, 95),
            "max_s": round(max(lat), 3) if lat else None,
            "finished": sum(r.finished for r in runs),
            "crosstalk": [c for r in runs for c in r.crosstalk],
            "errors": [f"{r.tag}: {r.error}" for r in runs if r.error],
            "sessions_per_user": sorted({r.sessions for r in runs}),
            "runs": [asdict(r) for r in runs]}


def _pct(values: list[float], p: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 3)
    return round(statistics.quantiles(values, n=100, method="inclusive")[p - 1], 3)


# ------------------------------------------------------------------ a server to measure
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, proc: subprocess.Popen | None = None, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the app exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "gradio_api/info", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not come up in {timeout:.0f} s")


def serve_app(home: Path, port: int, log_path: Path) -> subprocess.Popen:
    """`python app.py` on 127.0.0.1:port with INTERVIEWER_HOME=home (offline brain)."""
    env = {**os.environ, **ENV, "INTERVIEWER_HOME": str(home), "INTERVIEWER_LLM": "offline",
           "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port)}
    return subprocess.Popen([sys.executable, str(REPO / "app.py")], cwd=REPO, env=env,
                            stdout=log_path.open("w"), stderr=subprocess.STDOUT)


def ingest(home: Path) -> None:
    env = {**os.environ, **ENV, "INTERVIEWER_HOME": str(home)}
    subprocess.run([sys.executable, "-m", "interviewer", "ingest"], cwd=REPO, env=env,
                   check=True, stdout=subprocess.DEVNULL)


def measure(url: str | None, users: int, questions: int) -> dict:
    """Run the users against `url`, or against a fresh `python app.py` when it is None."""
    proc = None
    with tempfile.TemporaryDirectory(prefix="ui-bench-") as tmp:
        if url is None:
            home, port = Path(tmp) / "home", free_port()
            ingest(home)
            proc = serve_app(home, port, Path(tmp) / "app.log")
            url = f"http://127.0.0.1:{port}/"
        try:
            wait_up(url, proc)
            return run_users(url, users, questions)
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--questions", type=int, default=2)
    ap.add_argument("--url", help="measure a running app instead of starting one")
    ap.add_argument("--out", type=Path, help="also write the JSON result here")
    args = ap.parse_args()
    result = measure(args.url, args.users, args.questions)
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2))
    ok = result["finished"] == args.users and not result["crosstalk"] and not result["errors"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
