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


# A short message asking to be given the answer ("just tell me the answer", "what's the
# answer?"): the reference is never shown before the candidate tries or gives up.
ASKS_FOR_ANSWER = re.compile(
    r"^(can|could|would|will) you (just )?(tell|give|show) me the (right |correct |reference )?"
    r"answer|^(just )?(tell|give|show) me the (right |correct |reference )?answer|"
    r"^what(s| is) the (right |correct )?answer( here)?\b")


def parse_command(text: str) -> str | None:
    """'hint' | 'skip' | 'repeat' | 'end' | 'idk' | 'wants_answer' for a command, None for
    an answer."""
    t = text.strip().lower()
    if t in COMMANDS:
        return COMMANDS[t]
    bare = re.sub(r"[^a-z ]+", "", t.replace("'", "").replace("\u2019", "")).strip()
    bare = re.sub(r"\s+", " ", bare)
    if bare in DONT_KNOW:
        return "idk"
    return "wants_answer" if len(bare) < 80 and ASKS_FOR_ANSWER.search(bare) else None


def extract_code(text: str) -> str | None:
    """The code in a chat message: a fenced block, or the whole message when it has several
    lines; None for a one-line message."""
    m = re.search(r"```(?:python|py)?\s*\n(.*?)```", text, re.S)
    if m:
        return m.group(1)
    return text if "\n" in text.strip() else None


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9_]+", text.lower())


def repeats_prompt(text: str, prompts: list[str]) -> bool:
    """The message only repeats the open question (copied back): at least 80% of its words
    are the question's, it holds most of the question's words, and it adds fewer than 4
    words of its own."""
    said = _words(text)
    for prompt in prompts:
        asked = set(_words(prompt))
        own = [w for w in said if w not in asked]
        if said and len(own) < 4 and len(said) - len(own) >= 0.8 * len(said) \
                and len(set(said) & asked) >= 0.6 * len(asked):
            return True
    return False
