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
    # Models load now, beside Gradio's start-up; the page says "loading" until they are in.
    controller.start_warm_up()
    secret = (settings.browser_secret.get_secret_value() if settings.browser_secret
              else browser_secret(settings.home))
    return build(controller, secret, settings.executor_concurrency)


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
    return app.queue(default_concurrency_limit=TURN_CONCURRENCY * 2, max_size=256).launch(
        **options)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                        "%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    launch(build_app(Settings.from_env()))
