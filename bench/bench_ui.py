"""Web-app benchmark: N simulated candidates through the Gradio API at once, next to the
engine's own turn measured in the same run.

    python bench/bench_ui.py [--users 20] [--questions 2] [--out bench/results/ui.json]
                             [--url http://127.0.0.1:7860/ [--pid PID] [--home HOME]]

Without --url it ingests the knowledge base into a temporary INTERVIEWER_HOME, serves
`python app.py` there on a free port (the real entry point, offline brain) and times it from
launch to the first question; it then waits until the app has prepared its question bank
(INTERVIEWER_PREPARE_BANK, on: a running server's state). Then, in this order: the engine
turn (`Interviewer.handle`, real grader, in this process, prepared the same way, the same
answers, 3 interviews), one user alone (3 interviews
one after another, so its median is over ~12 turns like the engine's), and N users at
once. Each simulated user is its own browser session speaking the page's own wire protocol
(`PageClient`: Gradio's queue join + event stream, and a plain POST for the events the page
runs outside the queue, as the page's JavaScript does): it
starts a concepts interview, answers every question and follow-up with text tagged with its
name until the report comes, and, like the page, fetches the side panels (`/panels`)
whenever a turn says they changed. Reported: turn latency (start, answer) p50/p95/max,
turns per second, panel fetches, the event-stream kilobytes a turn sends, and whether
every user finished without seeing another's data. The single user is also run through
`gradio_client` beside it (`single_user_gradio_client`): that Python client spends ~50 ms
of its own per call (threads, futures, a new HTTP client per request), which a browser
does not, so it measured the client as much as the app.

`run_users` is also what tests/test_ui_app.py runs (with fewer users).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ENV = {"HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1",
       "GRADIO_ANALYTICS_ENABLED": "False", "TOKENIZERS_PARALLELISM": "false",
       "ANONYMIZED_TELEMETRY": "False", "INTERVIEWER_TORCH_THREADS": "1",
       # every client sends the same scripted answer to whatever it is asked: load, not
       # fairness, so the answer check (which would ask once before grading) is off
       "INTERVIEWER_ANSWER_CHECK": "off"}
for _k, _v in ENV.items():
    os.environ.setdefault(_k, _v)

# The order of the outputs as an API client receives them (interviewer/ui/layout.py
# TURN_API and PANELS_API; gr.State and layout blocks are not part of the API).
CHAT, PROGRESS, KEY = 0, 1, 2  # every turn; /answer adds the cleared box, /run_code the result
RUN_RESULT = 3
EXERCISE, CODE, CODE_RESULT, REPORT, DOWNLOAD_MD, DOWNLOAD_JSON, SESSIONS, BRAIN = range(8)
MAX_TURNS = 16
# gradio_client opens a new httpx client for each request, and each one loads the CA bundle
# into a fresh SSL context: ~55 ms of CPU, two or three times per call. On a 2-core machine
# that the app shares with 20 simulated browsers, that cost (not the app's) set the pace.
# One context, made once and verified as usual, serves every request.
SSL_CONTEXT = ssl.create_default_context()
ANSWER = ("[{tag}] answer {i}: a view shares storage with its base tensor; reshape copies "
          "when the memory is not contiguous.")


@dataclass
class UserRun:
    tag: str
    latencies: list[float] = field(default_factory=list)
    panel_latencies: list[float] = field(default_factory=list)
    turn_bytes: list[int] = field(default_factory=list)  # event-stream bytes per turn (page)
    finished: bool = False
    crosstalk: list[str] = field(default_factory=list)
    sessions: int = 0
    error: str | None = None


def texts(chat: list[dict]) -> list[tuple[str, str]]:
    """(role, text) of every chat message as the API returns them (Markdown escapes
    removed: the page shows the candidate's words as text)."""
    out = []
    for m in chat or []:
        content = m.get("content")
        parts = content if isinstance(content, list) else [{"text": content}]
        text = " ".join(str(p.get("text", "")) for p in parts if isinstance(p, dict))
        out.append((m.get("role", ""), re.sub(r"\\(.)", r"\1", text)))
    return out


def value(output):
    """An output's value: components updated with gr.update() arrive as a dict."""
    if isinstance(output, dict) and output.get("__type__") == "update":
        return output.get("value")
    return output


def is_over(result: tuple) -> bool:
    return any("The interview is over" in t for _, t in texts(result[CHAT]))


def client(url: str, **kwargs):
    """A `gradio_client.Client` that reuses one SSL context (see SSL_CONTEXT)."""
    from gradio_client import Client

    return Client(url, verbose=False, ssl_verify=SSL_CONTEXT, **kwargs)


class PageClient:
    """One browser session speaking the page's wire protocol (Gradio's "sse_v3", what its
    JavaScript client does): POST the event to the queue, then read the session's event
    stream until the event completes; an event the page runs outside the queue (`queue=False`,
    e.g. the side panels) is one POST to `/gradio_api/run/<name>` answered with its outputs,
    as the page's client sends it. `predict` takes and returns what `gradio_client` does
    (inputs and outputs without gr.State and layout blocks, files as local paths), so one
    simulated user can run on either. One keep-alive connection for the requests; no
    heartbeat stream (the page keeps one open; it carries no work)."""

    def __init__(self, url: str, download_dir: str | None = None) -> None:
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.session_hash = uuid.uuid4().hex[:11]
        self.download_dir = Path(download_dir or tempfile.mkdtemp(prefix="ui-bench-"))
        with urllib.request.urlopen(url.rstrip("/") + "/config", timeout=30) as r:
            config = json.load(r)
        # gr.State and layout blocks travel in the protocol but are not part of the API
        hidden = {c["id"] for c in config["components"] if c.get("skip_api")}
        self.endpoints = {"/" + d["api_name"]: (d["id"], [i in hidden for i in d["inputs"]],
                                                [i in hidden for i in d["outputs"]],
                                                d.get("queue") is not False)
                          for d in config["dependencies"] if d.get("api_name")}
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        self.received: list[tuple[str, int]] = []  # the last event's messages and sizes

    def predict(self, *args, api_name: str) -> tuple:
        fn_index, input_hidden, output_hidden, queued = self.endpoints[api_name]
        given = iter(args)
        data = [None if hidden else next(given, None) for hidden in input_hidden]
        body = json.dumps({"data": data, "fn_index": fn_index, "session_hash":
                           self.session_hash, "event_data": None, "trigger_id": None})
        self.received = []
        if queued:
            response = self._send("/gradio_api/queue/join", body)
            joined = json.loads(response.read())
            if response.status != 200:
                raise RuntimeError(f"{api_name}: queue join answered {response.status}: "
                                   f"{joined}")
            output = self._await(joined["event_id"], api_name)
        else:
            response = self._send(f"/gradio_api/run{api_name}", body)
            answered = response.read()
            self.received.append(("run", len(answered)))
            if response.status != 200:
                raise RuntimeError(f"{api_name} answered {response.status}: "
                                   f"{answered[:300]!r}")
            output = json.loads(answered)["data"]
        return tuple(self._local(v) for v, hidden in zip(output, output_hidden) if not hidden)

    def _send(self, path: str, body: str) -> http.client.HTTPResponse:
        """POST on the keep-alive connection; once more on a new one when the server had
        closed it while idle (uvicorn does after 5 s: a slow turn under load)."""
        try:
            return self._post(path, body)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.connection.close()
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
            return self._post(path, body)

    def _post(self, path: str, body: str) -> http.client.HTTPResponse:
        self.connection.request("POST", path, body, {"Content-Type": "application/json"})
        return self.connection.getresponse()

    def _await(self, event_id: str, api_name: str) -> list:
        stream = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            stream.request("GET", f"/gradio_api/queue/data?session_hash={self.session_hash}")
            for line in stream.getresponse():
                if not line.startswith(b"data:"):
                    continue
                message = json.loads(line[5:])
                self.received.append((message.get("msg", ""), len(line)))
                if message.get("event_id") == event_id and \
                        message.get("msg") == "process_completed":
                    if not message.get("success", True):
                        raise RuntimeError(f"{api_name} failed: {message.get('output')}")
                    return message["output"]["data"]
                if message.get("msg") == "close_stream":
                    break
        finally:
            stream.close()
        raise RuntimeError(f"{api_name}: the event stream closed before event {event_id} "
                           "completed")

    def _local(self, output):
        """A file output (Gradio's FileData, possibly inside an update) as a downloaded
        local path, as `gradio_client` returns it."""
        inner = value(output)
        if not (isinstance(inner, dict) and inner.get("url") and "path" in inner):
            return output
        with urllib.request.urlopen(inner["url"], timeout=30) as r:
            local = self.download_dir / uuid.uuid4().hex / Path(inner["path"]).name
            local.parent.mkdir(parents=True)
            local.write_bytes(r.read())
        return {**output, "value": str(local)} if output is not inner else str(local)

    def close(self) -> None:
        self.connection.close()


class Session:
    """One API user's browser session: turns return the chat; the side panels are fetched
    when the turn's panels key changed, as the page does. `protocol` "page" speaks the
    page's wire protocol (`PageClient`), "gradio_client" uses that library."""

    def __init__(self, url: str, run: "UserRun", protocol: str = "page") -> None:
        downloads = tempfile.mkdtemp(prefix="ui-bench-")
        self.client = (PageClient(url, downloads) if protocol == "page"
                       else client(url, download_files=downloads))
        self.run, self.key, self.panels = run, None, None

    def close(self) -> None:
        # gradio_client's close waits up to 1 s for its heartbeat thread: left to exit
        # with the process, as before, so it does not lengthen the measured run
        if isinstance(self.client, PageClient):
            self.client.close()

    def turn(self, *args, api_name: str):
        t = time.perf_counter()
        out = self.client.predict(*args, api_name=api_name)
        self.run.latencies.append(time.perf_counter() - t)
        if isinstance(self.client, PageClient):
            self.run.turn_bytes.append(sum(size for _, size in self.client.received))
        if out[KEY] != self.key:
            self.key = out[KEY]
            t = time.perf_counter()
            self.panels = self.client.predict(api_name="/panels")
            self.run.panel_latencies.append(time.perf_counter() - t)
        return out


def simulate_user(url: str, tag: str, others: list[str], questions: int = 2,
                  protocol: str = "page") -> UserRun:
    """One candidate: start, answer until the report, list sessions; check for cross-talk."""
    run, session = UserRun(tag), None
    try:
        session = Session(url, run, protocol)
        out = session.turn([], "Adaptive", questions, "concepts", api_name="/start")
        for i in range(MAX_TURNS):
            if is_over(out):
                break
            out = session.turn(ANSWER.format(tag=tag, i=i), api_name="/answer")
        run.finished = is_over(out)
        _check_isolation(run, out, session.panels, others)
        run.sessions = len(session.client.predict(api_name="/sessions")[SESSIONS]["choices"])
    except Exception as e:  # a benchmark reports failures, it does not stop at the first
        run.error = f"{type(e).__name__}: {e}"
    finally:
        if session is not None:
            session.close()
    return run


def _check_isolation(run: UserRun, out: tuple, panels: tuple | None,
                     others: list[str]) -> None:
    for role, text in texts(out[CHAT]):
        if role == "user" and f"[{run.tag}]" not in text:
            run.crosstalk.append(f"foreign answer in chat: {text[:80]}")
        run.crosstalk += [f"{o} seen in chat" for o in others if o != run.tag
                          and f"[{o}]" in text]
    path = value(panels[DOWNLOAD_JSON]) if panels else None
    report = json.loads(Path(path).read_text()) if path else {}
    answers = [a.get("answer", "") for item in report.get("transcript", [])
               for a in item.get("attempts", []) if a.get("answer")]
    run.crosstalk += [f"foreign answer in report: {a[:60]}" for a in answers
                      if f"[{run.tag}]" not in a]


def run_users(url: str, users: int, questions: int = 2, rounds: int = 1,
              protocol: str = "page") -> dict:
    """`users` candidates at once, each through `rounds` interviews one after another (a
    new browser session each), speaking `protocol` (see `Session`)."""
    tags = [f"user-{i:02d}" + (f"-{r}" if rounds > 1 else "")
            for r in range(rounds) for i in range(users)]
    t, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(users) as pool:
        runs = list(pool.map(lambda tag: simulate_user(url, tag, tags, questions, protocol),
                             tags))
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    lat = sorted(x for r in runs for x in r.latencies)
    panels = sorted(x for r in runs for x in r.panel_latencies)
    sent = [x for r in runs for x in r.turn_bytes]
    return {"users": users, "questions": questions, "wall_s": round(wall, 2),
            "turns": len(lat), "turns_per_s": round(len(lat) / wall, 2),
            "p50_s": _pct(lat, 50), "p95_s": _pct(lat, 95),
            "max_s": round(max(lat), 3) if lat else None,
            "panel_fetches": len(panels), "panels_p50_s": _pct(panels, 50),
            "panels_p95_s": _pct(panels, 95),
            "client_cpu_ms_per_turn": round(1000 * cpu / max(1, len(lat)), 1),
            "kb_per_turn": round(sum(sent) / len(sent) / 1000, 1) if sent else None,
            "finished": sum(r.finished for r in runs),
            "crosstalk": [c for r in runs for c in r.crosstalk],
            "errors": [f"{r.tag}: {r.error}" for r in runs if r.error],
            "sessions_per_user": sorted({r.sessions for r in runs}),
            "runs": [asdict(r) for r in runs]}


def engine_turns(home: Path, questions: int, rounds: int = 3) -> dict:
    """The same interviews straight through `Interviewer` (real grader, offline brain) in
    this process: the turn the web page wraps."""
    from interviewer.engine import make_interviewer
    from interviewer.engine.warmup import prepare_bank, warm_up
    from interviewer.settings import Settings

    engine = make_interviewer(Settings.from_env({**os.environ, "INTERVIEWER_HOME": str(home),
                                                 "INTERVIEWER_LLM": "offline"}))
    warm_up(engine)
    prepare_bank(engine)  # as the app does after start-up (unless turned off)
    lat: list[float] = []
    cpu = 0.0
    for r in range(rounds + 1):  # the first round warms the models up and is not counted
        cpu_start = time.process_time()
        times: list[float] = []
        t = time.perf_counter()
        sid, events = engine.start(f"engine-bench-{r}", {"questions": questions,
                                                         "mode": "concepts"})
        times.append(time.perf_counter() - t)
        for i in range(MAX_TURNS):
            if events[-1].kind == "report":
                break
            t = time.perf_counter()
            events = engine.handle(f"engine-bench-{r}", sid, ANSWER.format(tag="e", i=i))
            times.append(time.perf_counter() - t)
        lat += times if r else []
        cpu += (time.process_time() - cpu_start) if r else 0.0
    engine.close()
    return {"turns": len(lat), "p50_s": _pct(sorted(lat), 50), "p95_s": _pct(sorted(lat), 95),
            "cpu_ms_per_turn": round(1000 * cpu / max(1, len(lat)), 1)}


def cpu_seconds(pid: int | None) -> float | None:
    """CPU time (user + system) the app process `pid` has used so far (Linux /proc)."""
    if pid is None:
        return None
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def with_cpu(result: dict, pid: int | None, before: float | None) -> dict:
    """Add the app's CPU milliseconds per turn (panel fetches included): unlike latency, it
    does not depend on what else the machine is running."""
    after = cpu_seconds(pid)
    if before is not None and after is not None and result["turns"]:
        result["app_cpu_ms_per_turn"] = round(1000 * (after - before) / result["turns"], 1)
    return result


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


def first_question(url: str, proc: subprocess.Popen | None, launched: float) -> float:
    """Seconds from `launched` until a new visitor's /start returns the first question
    (the page answers once the models are in; until then it says it is loading)."""
    wait_up(url, proc)
    run = UserRun("first")
    out = Session(url, run).turn([], "Adaptive", 1, "concepts", api_name="/start")
    if "Question 1" not in " ".join(t for _, t in texts(out[CHAT])):
        raise RuntimeError("the first /start did not return a question")
    return round(time.perf_counter() - launched, 2)


def wait_prepared(log_path: Path, launched: float, timeout: float = 180.0) -> float | None:
    """Seconds from launch until the app has prepared its question bank (it logs "prepared
    N questions"), so the turns measured next are a running server's; None when it is off."""
    from interviewer.settings import Settings

    if not Settings.from_env().prepare_bank:
        return None
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if "prepared " in log_path.read_text(errors="replace"):
            return round(time.perf_counter() - launched, 1)
        time.sleep(0.5)
    raise RuntimeError(f"the app did not prepare its question bank in {timeout:.0f} s")


def measure(url: str | None, users: int, questions: int, home: Path | None = None,
            pid: int | None = None) -> dict:
    """Run against `url` (its process `pid`, when given, for the app's CPU per turn), or
    against a fresh `python app.py` when it is None: the time to the first question, the
    engine turn, one user alone, then `users` at once."""
    proc, result = None, {}
    with tempfile.TemporaryDirectory(prefix="ui-bench-") as tmp:
        if url is None:
            home, port = home or Path(tmp) / "home", free_port()
            if not (home / "chroma").exists():
                ingest(home)
            launched = time.perf_counter()
            proc = serve_app(home, port, Path(tmp) / "app.log")
            url, pid = f"http://127.0.0.1:{port}/", proc.pid
            result["launch_to_first_question_s"] = first_question(url, proc, launched)
            result["app_prepared_bank_s"] = wait_prepared(Path(tmp) / "app.log", launched)
        try:
            wait_up(url, proc)
            if home is not None:
                result["engine"] = engine_turns(home, questions)
            for key, protocol in (("single_user", "page"),
                                  ("single_user_gradio_client", "gradio_client")):
                before = cpu_seconds(pid)
                single = with_cpu(run_users(url, 1, max(questions, 3), rounds=3,
                                            protocol=protocol), pid, before)
                result[key] = {k: v for k, v in single.items() if k != "runs"}
                if "engine" in result:
                    result[key]["p50_vs_engine"] = round(
                        single["p50_s"] / result["engine"]["p50_s"], 2)
            before = cpu_seconds(pid)
            result.update(with_cpu(run_users(url, users, questions), pid, before))
            if "engine" in result and "app_cpu_ms_per_turn" in result:
                result["app_cpu_vs_engine_cpu"] = round(
                    result["app_cpu_ms_per_turn"] / result["engine"]["cpu_ms_per_turn"], 2)
            return result
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--questions", type=int, default=2)
    ap.add_argument("--url", help="measure a running app instead of starting one")
    ap.add_argument("--home", type=Path, help="with --url: its INTERVIEWER_HOME, to measure "
                    "the engine turn beside it; without: reuse this ingested data home")
    ap.add_argument("--pid", type=int, help="with --url: the app's process id, to report its "
                    "CPU per turn")
    ap.add_argument("--out", type=Path, help="also write the JSON result here")
    args = ap.parse_args()
    result = measure(args.url, args.users, args.questions, args.home, args.pid)
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2))
    ok = result["finished"] == args.users and not result["crosstalk"] and not result["errors"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
