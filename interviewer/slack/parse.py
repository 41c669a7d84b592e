"""What people type in Slack, made plain: the `/interview` arguments, and message text in
Slack's wire format (HTML-escaped `<>&`, code fences without newlines)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from interviewer.errors import InputError

SUBCOMMANDS = ("report", "history", "progress", "help", "daily")
OPTION_KEYS = {"n": "questions", "questions": "questions", "mode": "mode",
               "difficulty": "difficulty", "level": "difficulty", "seed": "seed",
               "hour": "hour", "source": "sources", "sources": "sources"}
INT_OPTIONS = {"questions", "difficulty", "seed", "hour"}
USAGE = ("`/interview [topic ...] [n=QUESTIONS] [mode=concepts|coding|mixed] "
         "[difficulty=1-3] [seed=N] [source=NAME]` starts an interview in a thread.\n"
         "`/interview report [SESSION]` shows a report, `/interview history` your sessions, `/interview progress` your weak spots.\n"
         "`/interview daily on [topic ...] [hour=UTC]` posts a question a day in this channel; "
         "`/interview daily off` stops it.\n"
         "In the thread: answer in words, send code in a ``` block, or type "
         "`hint`, `skip`, `repeat` or `end`.")


@dataclass(frozen=True)
class SlashCommand:
    """`/interview` parsed: `action` is start | report | history | progress | help | daily."""

    action: str
    topics: tuple[str, ...] = ()
    options: dict[str, object] = field(default_factory=dict)
    argument: str = ""

    def plan(self) -> dict[str, object]:
        """The engine plan this command asks for (validated by the engine)."""
        plan = {k: v for k, v in self.options.items() if k != "hour"}
        if "sources" in plan:  # source=a,b: the knowledge sources to ask from
            plan["sources"] = [s for s in str(plan["sources"]).split(",") if s]
        if self.topics:
            plan["topics"] = list(self.topics)
        return plan


def parse_slash(text: str) -> SlashCommand:
    words = (text or "").strip().split()
    action = words[0].lower() if words and words[0].lower() in SUBCOMMANDS else "start"
    rest = words[1:] if action != "start" else words
    if action in ("report", "history", "progress", "help"):
        return SlashCommand(action, argument=" ".join(rest))
    argument = ""
    if action == "daily":
        argument = rest[0].lower() if rest else "on"
        rest = rest[1:] if rest and rest[0].lower() in ("on", "off") else rest
    options = dict(_option(w) for w in rest if "=" in w)
    topics = _topics(" ".join(w for w in rest if "=" not in w))
    return SlashCommand(action, topics, options, argument)


def _option(word: str) -> tuple[str, object]:
    key, _, value = word.partition("=")
    name = OPTION_KEYS.get(key.lower())
    if name is None:
        raise InputError(f"unknown option {key!r}; use n=, mode=, difficulty=, seed= or source=")
    if name not in INT_OPTIONS:
        return name, value.lower()
    try:
        return name, int(value)
    except ValueError as e:
        raise InputError(f"{key}= needs a whole number, not {value!r}") from e


def _topics(text: str) -> tuple[str, ...]:
    """Topics are separated by commas when there are any, else by spaces."""
    parts = text.split(",") if "," in text else text.split()
    return tuple(p.strip() for p in parts if p.strip())


_FENCE = re.compile(r"```(.*?)```", re.S)
_LANG = re.compile(r"^(?:python|py)[ \t]*\n")


def message_text(raw: str) -> str:
    """A Slack message as the engine expects it: entities decoded and each ``` block on
    lines of its own, so code typed in Slack runs as written."""
    text = html.unescape(raw or "") if "&" in (raw or "") else (raw or "")
    return _FENCE.sub(_fence, text).strip()


def _fence(m: re.Match) -> str:
    code = _LANG.sub("", m.group(1).lstrip(" ").lstrip("\n"), count=1).strip("\n")
    return f"\n```python\n{code}\n```\n"


def has_code_block(text: str) -> bool:
    return "```" in (text or "")
