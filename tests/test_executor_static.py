"""The static rules for exercise code (interviewer/executor/static.py), without a sandbox."""

from __future__ import annotations

import pytest

from interviewer.executor import load_exercises
from interviewer.executor.static import banned_names, violations

PROBE = 'def probe(ns, case, rec):\n    with rec.forbid(torch, "cdist"):\n        pass\n'


def test_banned_names_come_from_the_probe():
    assert banned_names(PROBE) == {"cdist"}
    weighted = next(e for e in load_exercises() if e.id == "loss-weighted-ce-ignore-index")
    assert banned_names(weighted.probe) == {"cross_entropy", "nll_loss"}


@pytest.mark.parametrize("code, found", [
    ("import torch\ny = torch.cdist", "cdist"),
    ("from torch import cdist as d", "cdist"),
    ("import torch\nf = getattr(torch, 'cdist')", "cdist"),
    ("f = 'torch.cdist'", "cdist"),
    ("import sys\nsys._getframe(0)", "_getframe"),
    ("import gc", "import gc"),
    ("from importlib import import_module", "import importlib"),
    ("import sys\nm = sys.modules", "sys.modules"),
    ("def f():\n    pass\nf.__code__", "__code__"),
    ("try:\n    1/0\nexcept Exception as e:\n    e.__traceback__.tb_frame", "tb_frame"),
])
def test_refused(code, found):
    assert any(found in v.sentence() for v in violations(code, PROBE)), code


@pytest.mark.parametrize("code", [
    'def f(x, y):\n    """Like torch.cdist, squared, but written by hand."""\n    return x',
    "import torch\nimport torch.nn.functional as F\nx = F.relu(torch.ones(2))",
    "if __name__ == '__main__':\n    print('hi')",
    "def broken(:\n",  # a syntax error is reported by the run itself
])
def test_allowed(code):
    assert violations(code, PROBE) == []


def test_every_solution_and_starter_is_allowed():
    for ex in load_exercises():
        assert violations(ex.solution, ex.probe) == [], ex.id
        assert violations(ex.starter, ex.probe) == [], ex.id
