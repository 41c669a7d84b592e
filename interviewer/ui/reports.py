"""Where the page keeps the report files it offers for download."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path


def private_reports_dir() -> Path:
    """A fresh folder for this app's report downloads: readable by its owner only (0700, so
    other local users cannot list session ids or read reports) and removed when the app
    exits."""
    path = Path(tempfile.mkdtemp(prefix="torch-interviewer-reports-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path
