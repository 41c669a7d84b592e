"""Static checks on an exercise submission, made on the trusted side before it runs.

An exercise's hidden checks run in the candidate's own process (they must call its functions
and follow gradients through its tensors), so two things are decided here, from the source:

- **banned shortcuts**: every ``rec.forbid(owner, "name", ...)`` in the exercise's probe bans
  ``name``. The runtime ban only catches calls made through the attribute while the checks
  run; a reference captured earlier (``from torch import cdist``) slips past it. So any use
  of a banned name in the submission (a name, an attribute, an import, or a string that
  names it, as in ``getattr(torch, "cdist")``) fails the checks before the code runs. Prose
  that mentions it (a docstring) is fine.
- **reaching the checks**: code that walks interpreter frames or the object graph, or patches
  modules and builtins, could read the hidden probe, its seeds and limits, or disable the
  ban. Exercises never need that, so submissions that use these tools are refused.

A determined candidate can still build a name at run time (``getattr(x, "f_" + "back")``);
docs/security.md says so. This is about fair practice scores, not the security boundary,
which is the sandbox itself.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

# Interpreter introspection: frames, tracebacks' frames, the garbage collector's object
# graph, tracing hooks, class and function internals.
INTROSPECTION_NAMES = frozenset({
    "_getframe", "_current_frames", "currentframe", "f_back", "f_locals", "f_globals",
    "f_builtins", "tb_frame", "gi_frame", "cr_frame", "ag_frame", "get_referrers",
    "get_referents", "get_objects", "settrace", "setprofile", "__subclasses__",
    "__globals__", "__closure__", "__code__", "__defaults__", "__kwdefaults__",
    "__builtins__", "__import__",
})
# Modules that reach outside the submission's own objects.
INTROSPECTION_MODULES = frozenset({"gc", "inspect", "ctypes", "importlib", "builtins"})


@dataclass(frozen=True)
class Violation:
    line: int
    what: str
    why: str

    def sentence(self) -> str:
        return f"line {self.line}: {self.what} {self.why}"


def banned_names(probe_source: str) -> set[str]:
    """The names an exercise's probe bans with ``rec.forbid(owner, "name", ...)``."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(probe_source)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "forbid"):
            names.update(a.value for a in node.args[1:]
                         if isinstance(a, ast.Constant) and isinstance(a.value, str))
    return names


def violations(source: str, probe_source: str) -> list[Violation]:
    """What in `source` the exercise does not allow; empty when it may run. A syntax error
    is not a violation: the sandbox reports it with the candidate's own traceback."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    banned = banned_names(probe_source)
    found: list[Violation] = []
    for node in ast.walk(tree):
        for word in _words(node):
            found += _judge(node, word, banned)
    return sorted(set(found), key=lambda v: (v.line, v.what))


def _words(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        return [node.attr]
    if isinstance(node, ast.alias):
        return [*node.name.split("."), *([node.asname] if node.asname else [])]
    if isinstance(node, ast.ImportFrom) and node.module:
        return node.module.split(".")
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    return []


def _judge(node: ast.AST, word: str, banned: set[str]) -> list[Violation]:
    line = getattr(node, "lineno", 0)
    if isinstance(node, ast.Constant):  # "cdist" or "torch.cdist" names it; prose does not
        word = word.strip().rsplit(".", 1)[-1]
    out = [Violation(line, f"`{name}`", "is not allowed in this exercise: write it yourself")
           for name in banned if name == word]
    if word in INTROSPECTION_NAMES:
        out.append(Violation(line, f"`{word[:40]}`", "inspects the interpreter, which "
                             "exercises do not allow"))
    if (isinstance(node, ast.Attribute) and word == "modules"
            and isinstance(node.value, ast.Name) and node.value.id == "sys"):
        out.append(Violation(line, "`sys.modules`", "is not allowed in exercises"))
    if isinstance(node, (ast.alias, ast.ImportFrom)) and word in INTROSPECTION_MODULES:
        out.append(Violation(line, f"`import {word}`", "is not allowed in exercises"))
    return out
