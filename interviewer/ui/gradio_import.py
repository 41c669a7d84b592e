"""Importing Gradio without its stub writer.

At import, Gradio's `ComponentMeta` calls `create_or_modify_pyi` for each of its ~80
component classes: it re-parses the class's source file with `ast` and rewrites the `.pyi`
stub beside it, in site-packages, when it differs. That is a tool for Gradio's own
developers: it is half of `import gradio` here (2.9 -> 1.5 s on this 2-core machine, every
`python app.py` and every test process), and a served app has no business writing into its
installed packages (as root, in some deployments). `install()` adds an import hook that
replaces the function with a no-op as soon as `gradio.component_meta` has run, before any
component class is made. Where Gradio is already imported, or a later Gradio has no such
function, nothing changes.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from types import ModuleType

MODULE = "gradio.component_meta"
STUB_WRITER = "create_or_modify_pyi"


def _no_stub(*_args, **_kwargs) -> None:
    """Gradio's stub writer, skipped."""


class _Loader(importlib.abc.Loader):
    """Gradio's own loader for `gradio.component_meta`, then the stub writer disarmed."""

    def __init__(self, loader: importlib.abc.Loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        if callable(getattr(module, STUB_WRITER, None)):
            setattr(module, STUB_WRITER, _no_stub)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != MODULE:
            return None
        sys.meta_path[:] = [f for f in sys.meta_path if f is not self]  # one module, once
        spec = importlib.machinery.PathFinder.find_spec(name, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _Loader(spec.loader)
        return spec


def install() -> None:
    """Disarm the stub writer of the Gradio imported next (idempotent)."""
    if MODULE in sys.modules or any(isinstance(f, _Finder) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _Finder())
