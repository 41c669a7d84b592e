"""What Gradio spends on each new browser session of the page: building its session state
(`gradio.state_holder.SessionState`, a config of every component), with the page's
component schemas memoized as the app builds it (`interviewer/ui/layout.py`,
`_memoize_api_schemas`) and without, side by side in one process.

    python bench/bench_session_state.py [--home INGESTED_HOME] [--sessions 50]

Without --home it ingests the knowledge base into a temporary data home first. Prints one
JSON document: median and p95 milliseconds per new session, each way, and their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_ui  # noqa: E402  (its environment and its ingest)


def session_ms(demo, sessions: int) -> dict:
    from gradio.state_holder import SessionState

    SessionState(demo)  # the first one fills the memo; not counted
    times = []
    for _ in range(sessions):
        t = time.perf_counter()
        SessionState(demo)
        times.append(1000 * (time.perf_counter() - t))
    return {"median_ms": round(statistics.median(times), 2),
            "p95_ms": round(statistics.quantiles(times, n=20)[-1], 2)}


def measure(home: Path, sessions: int) -> dict:
    from interviewer.engine import make_interviewer
    from interviewer.settings import Settings
    from interviewer.ui import layout
    from interviewer.ui.controller import Controller

    settings = Settings.from_env({**os.environ, "INTERVIEWER_HOME": str(home),
                                  "INTERVIEWER_LLM": "offline"})
    controller = Controller(make_interviewer(settings), code_workers=1)
    memoize = layout._memoize_api_schemas
    # without the memo first: memoizing also stores constructor signatures on the classes
    layout._memoize_api_schemas = lambda demo: None
    try:
        plain = session_ms(layout.build(controller, "bench", 1), sessions)
    finally:
        layout._memoize_api_schemas = memoize
    memoized = session_ms(layout.build(controller, "bench", 1), sessions)
    return {"sessions": sessions, "without_memo": plain, "memoized": memoized,
            "ratio_median": round(plain["median_ms"] / memoized["median_ms"], 2)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, help="an ingested INTERVIEWER_HOME (default: a "
                    "temporary one, ingested first)")
    ap.add_argument("--sessions", type=int, default=50)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="session-bench-") as tmp:
        home = args.home or Path(tmp) / "home"
        if not (home / "chroma").exists():
            bench_ui.ingest(home)
        print(json.dumps(measure(home, args.sessions), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
