"""What the candidate can type besides an answer."""

from __future__ import annotations

import re

COMMANDS = {
    "/hint": "hint", "hint": "hint",
    "/skip": "skip", "skip": "skip",
    "/repeat": "repeat", "repeat": "repeat",
    "/end": "end", "/quit": "end", "/stop": "end",
    "/idk": "idk",
}
DONT_KNOW = {"i dont know", "i do not know", "idk", "dont know", "no idea", "i have no idea",
             "i dont know the answer", "i am not sure", "im not sure", "pass"}


def parse_command(text: str) -> str | None:
    """'hint' | 'skip' | 'repeat' | 'end' | 'idk' for a command, None for an answer."""
    t = text.strip().lower()
    if t in COMMANDS:
        return COMMANDS[t]
    bare = re.sub(r"[^a-z ]+", "", t.replace("'", "").replace("\u2019", "")).strip()
    bare = re.sub(r"\s+", " ", bare)
    return "idk" if bare in DONT_KNOW else None


def extract_code(text: str) -> str | None:
    """The code in a chat message: a fenced block, or the whole message when it has several
    lines; None for a one-line message."""
    m = re.search(r"```(?:python|py)?\s*\n(.*?)```", text, re.S)
    if m:
        return m.group(1)
    return text if "\n" in text.strip() else None
