"""The Gradio web app. Gradio is imported only inside this package.

- `render`: engine events and data in words (chat messages, Markdown panels),
- `controller`: forwards the candidate's input to the engine, keeps each tab's `View`,
- `layout`: the Gradio components and their wiring,
- `identity`: the per-browser user id.

`python app.py` (or `make run`) calls `main()`; tests call `build_app(settings)` and
`launch(app)`.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from interviewer.settings import Settings
from interviewer.ui import gradio_import

gradio_import.install()  # before anything imports Gradio: see gradio_import
log = logging.getLogger(__name__)


# Gradio per-event costs we do not need: it switches matplotlib's backend to "agg" and back
# around every event (a no-op once the backend is agg), and recomputes its monitoring
# summary with pandas over the last 10,000 events after every event (here: every 1,000th).
GRADIO_ENV = {"MPLBACKEND": "agg", "GRADIO_ANALYTICS_CACHE_FREQUENCY": "1000",
              "GRADIO_ANALYTICS_MAX_EVENTS": "1000"}


def build_app(settings: Settings, interviewer: Any = None):
    """The page as a `gr.Blocks` (not launched). `interviewer` defaults to the engine made
    from `settings`; tests may inject one."""
    for name, value in GRADIO_ENV.items():
        os.environ.setdefault(name, value)
    from interviewer.engine import make_interviewer
    from interviewer.ui.controller import Controller
    from interviewer.ui.identity import browser_secret
    from interviewer.ui.layout import build

    engine = interviewer or make_interviewer(settings)
    controller = Controller(engine, code_workers=settings.executor_concurrency)
    secret = (settings.browser_secret.get_secret_value() if settings.browser_secret
              else browser_secret(settings.home))
    app = build(controller, secret, settings.executor_concurrency)
    app.interviewer_controller = controller  # `launch` starts its warm-up
    return app


def launch(app, **overrides: Any):
    """Queue and serve `app`. Host and port come from GRADIO_SERVER_NAME / GRADIO_SERVER_PORT
    (Gradio reads them; default http://127.0.0.1:7860). Never shared publicly."""
    import gradio as gr

    from interviewer.ui.layout import ASSETS, TURN_CONCURRENCY

    options: dict[str, Any] = dict(
        share=False, show_error=False, favicon_path=str(ASSETS / "favicon.png"),
        css_paths=[ASSETS / "style.css"], theme=gr.themes.Soft(primary_hue="orange"),
        footer_links=["api", "settings"], run_history=False, pwa=False, ssr_mode=False,
        mcp_server=False)
    options.update(overrides)
    block = not options.pop("prevent_thread_lock", False)
    served = app.queue(default_concurrency_limit=TURN_CONCURRENCY * 2, max_size=256).launch(
        prevent_thread_lock=True, **options)
    # The models load once the page is served, not beside Gradio's start-up: the imports
    # would share one interpreter lock and delay the page. A first question needs no model;
    # the page says they are loading (and works) until they are in.
    controller = getattr(app, "interviewer_controller", None)
    if controller is not None:
        controller.start_warm_up()
    if block:
        app.block_thread()
    return served


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                        "%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    launch(build_app(Settings.from_env()))
