"""What the candidate's message does: a table of command handlers (/hint, /skip, /repeat,
/end, "I don't know"), and an answer otherwise. Adding a command is one entry here and one
word in `candidate_input.COMMANDS`."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from interviewer.engine.candidate_input import extract_code, parse_command, repeats_prompt
from interviewer.engine.events import Event, Notice
from interviewer.engine.state import Item, SessionState

Handler = Callable[["object", SessionState, Item], Iterator[Event]]


def _end(engine, state: SessionState, item: Item) -> Iterator[Event]:
    yield from engine._finish(state, early=True)


def _repeat(engine, state: SessionState, item: Item) -> Iterator[Event]:
    yield engine._prompt_event(state, item)


def _hint(engine, state: SessionState, item: Item) -> Iterator[Event]:
    yield from engine._hint(state, item)


def _skip(engine, state: SessionState, item: Item) -> Iterator[Event]:
    yield from engine._skip(state, item)
    yield from engine._advance(state)


def _idk(engine, state: SessionState, item: Item) -> Iterator[Event]:
    yield from engine._idk(state, item)
    yield from engine._advance(state)


def _wants_answer(engine, state: SessionState, item: Item) -> Iterator[Event]:
    yield Notice("I can't give you the answer before you've had a go: try it in your own "
                 "words, ask for a /hint, or say \"I don't know\" to see the reference "
                 "(that scores 0). The question is still open.")


COMMAND_HANDLERS: dict[str, Handler] = {
    "end": _end, "repeat": _repeat, "hint": _hint, "skip": _skip, "idk": _idk,
    "wants_answer": _wants_answer,
}


def dispatch(engine, state: SessionState, text: str) -> Iterator[Event]:
    """Route one message: a command to its handler, code to the exercise, else an answer."""
    item = state.current
    if item is None:
        yield from _end(engine, state, item)
        return
    command = parse_command(text)
    if command is not None:
        yield from COMMAND_HANDLERS[command](engine, state, item)
    elif item.kind == "question" and repeats_prompt(text, engine._open_prompts(item)):
        yield Notice("That's the question itself. Tell me your answer in your own words, or "
                     "ask for a /hint. The question is still open.")
    elif item.kind == "exercise":
        code = extract_code(text)
        yield from (engine._code(state, item, code) if code else [Notice(
            "Send your solution as code (several lines or a ``` block), or /skip.")])
    else:
        yield from engine._answer(state, item, text)
