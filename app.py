"""`python app.py` serves the Gradio app on http://127.0.0.1:7860 (GRADIO_SERVER_NAME /
GRADIO_SERVER_PORT are honoured, as Gradio users expect)."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from interviewer.ui import GRADIO_ENV, main  # noqa: E402

for _name, _value in GRADIO_ENV.items():
    os.environ.setdefault(_name, _value)

if __name__ == "__main__":
    main()
