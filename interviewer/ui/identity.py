"""Who the browser user is, without accounts.

Each browser gets a random user id kept in its localStorage (encrypted by Gradio's
`BrowserState` with a secret that lives in the data home, so it survives an app restart).
The id is a bearer token: 128 random bits, never shown on the page. A browser that has no
id yet, or presents a malformed one, gets a fresh id. API clients that never load the page
get a fresh id for their Gradio session.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

STORAGE_KEY = "torch-interviewer-user"
_PREFIX = "web-"
_VALID = re.compile(r"^web-[0-9a-f]{32}$")


def new_user_id() -> str:
    return _PREFIX + secrets.token_hex(16)


def is_user_id(value: object) -> bool:
    return isinstance(value, str) and bool(_VALID.match(value))


def user_id_from(stored: object) -> str:
    """The stored id when it is one of ours, else a new one."""
    return stored if is_user_id(stored) else new_user_id()


def browser_secret(home: Path) -> str:
    """The key that encrypts the id in localStorage: read from `home/ui/browser-secret`,
    made (readable by the owner only) on first use."""
    path = home / "ui" / "browser-secret"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another replica made it first: use theirs
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(secret)
    return secret
