"""The Executor API, result statuses, the CLI, concurrency, the wire format, GPU runs."""

from __future__ import annotations

import base64
import json
import os
import threading
import time

import pytest

from interviewer.cli import main
from interviewer.errors import InputError
from interviewer.executor import Executor
from interviewer.executor.results import STATUSES
from interviewer.executor.wire import decode_value
from interviewer.settings import Settings

needs_bwrap = pytest.mark.skipif(not os.path.exists("/usr/bin/bwrap"),
                                 reason="bubblewrap not installed")


def _cuda_available() -> bool:
    try:
        import torch
        return bool(torch.version.cuda) and torch.cuda.is_available()
    except Exception:  # noqa: BLE001
        return False


@pytest.fixture(scope="module")
def ex():
    with Executor(wall_s=3, memory_mb=512, concurrency=2) as e:
        yield e


def test_constructor_does_no_io():
    e = Executor(bwrap="/nonexistent/bwrap")
    assert e._worker is None
    e.close()


def test_settings_from_env():
    s = Settings.from_env({"INTERVIEWER_EXECUTOR_CONCURRENCY": "3",
                           "INTERVIEWER_EXECUTOR_WALL_S": "2.5",
                           "INTERVIEWER_EXECUTOR_DEVICE": "auto"})
    assert (s.executor_concurrency, s.executor_wall_s, s.executor_device) == (3, 2.5, "auto")
    assert Executor(s).concurrency == 3


@needs_bwrap
def test_ok_result_fields(ex):
    r = ex.run("import torch\nprint(torch.ones(2, 2).sum().item())")
    d = r.to_dict()
    assert d["status"] == "ok" and d["stdout"] == "4.0\n" and d["exit_code"] == 0
    assert set(d) >= {"status", "stdout", "stderr", "exit_code", "seconds", "truncated", "checks"}
    assert d["status"] in STATUSES and json.dumps(d)


@needs_bwrap
def test_syntax_error(ex):
    r = ex.run("def f(:\n    pass")
    assert r.status == "error" and "SyntaxError" in r.message and r.seconds < 1


@needs_bwrap
def test_exception_traceback_shows_candidate_lines(ex):
    r = ex.run("import torch\n\ndef f(x):\n    return x.view(5)\n\nf(torch.ones(4))")
    assert r.status == "error" and "RuntimeError" in r.message
    assert 'File "<candidate>", line 4, in f' in r.traceback
    assert "return x.view(5)" in r.traceback
    assert "/sandbox/inside.py" not in r.traceback


@needs_bwrap
def test_stderr_and_exit_code(ex):
    r = ex.run("import sys\nprint('oops', file=sys.stderr)\nsys.exit(3)")
    assert r.status == "error" and r.exit_code == 3 and r.stderr == "oops\n"
    assert ex.run("import sys\nsys.exit(0)").status == "ok"


@needs_bwrap
def test_service_keeps_serving_after_bad_input(ex):
    for bad in ("while True: pass", "import ctypes; ctypes.string_at(0)",
                "x = bytearray(8 * 1024**3)", "print('x' * 10**7)"):
        assert ex.run(bad).status != "ok"
    assert ex.run("print('next')").stdout == "next\n"


@needs_bwrap
def test_concurrent_runs_in_parallel(ex):
    results = []

    def go():
        results.append(ex.run("import time\ntime.sleep(0.5)\nprint('done')"))

    threads = [threading.Thread(target=go) for _ in range(4)]
    t = time.monotonic()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.monotonic() - t
    assert [r.status for r in results] == ["ok"] * 4
    assert 0.9 < elapsed < 1.9  # two at a time (concurrency=2): two rounds of 0.5 s


@needs_bwrap
def test_exercise_by_id_and_unknown_id(ex):
    from interviewer.executor import get_exercise

    e = get_exercise("basics-coordinate-grid")
    r = ex.run(e.solution, exercise="basics-coordinate-grid")
    assert r.status == "passed" and r.exercise == e.id and all(c.passed for c in r.checks)
    with pytest.raises(InputError):
        ex.run("x = 1", exercise="no-such-exercise")


def test_code_must_be_text():
    with pytest.raises(InputError):
        Executor().run(b"print(1)")  # type: ignore[arg-type]


def test_decode_tensor_roundtrip_and_rejects_malformed():
    import torch

    from interviewer.executor._inside import encode_value

    for t in (torch.randn(3, 2), torch.arange(6).reshape(2, 3), torch.tensor(True),
              torch.randn(2).to(torch.bfloat16), torch.zeros(0, 3)):
        back = decode_value(json.loads(json.dumps(encode_value(t))))
        assert back.dtype == t.dtype and torch.equal(back, t)
    good = encode_value(torch.ones(2))
    for bad in ({**good, "shape": [3]}, {**good, "__tensor__": "object"},
                {**good, "data": "!!"}, {**good, "extra": 1}):
        with pytest.raises(InputError):
            decode_value(bad)
    with pytest.raises(InputError):
        decode_value({"__tensor__": "float32", "shape": [2],
                      "data": base64.b64encode(b"12345678").decode(), "pickle": "x"})


@needs_bwrap
def test_cli_run_json(tmp_path, capsys):
    code = tmp_path / "c.py"
    code.write_text("print(6 * 7)")
    assert main(["run", str(code), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "ok" and doc["stdout"] == "42\n"


@needs_bwrap
def test_cli_run_exercise_failing(tmp_path, capsys):
    code = tmp_path / "c.py"
    code.write_text("def coordinate_grid(h, w):\n    return None\n")
    assert main(["run", str(code), "--exercise", "basics-coordinate-grid", "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "failed" and doc["checks"] and not doc["checks"][0]["passed"]


def test_cli_exercises_json(capsys):
    assert main(["exercises", "--topic", "Autograd & Gradients", "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert items and all(set(i) == {"id", "title", "topic", "difficulty"} for i in items)
    assert {i["topic"] for i in items} == {"Autograd & Gradients"}


def test_cuda_without_gpu_is_refused():
    if _cuda_available():
        pytest.skip("a GPU is present")
    with Executor(device="cuda") as e:
        r = e.run("print(1)")
    assert r.status == "refused" and "CUDA" in r.message


@pytest.mark.gpu
@pytest.mark.skipif(not _cuda_available(), reason="needs a CUDA device")
def test_gpu_run_uses_the_device():
    with Executor(device="cuda", wall_s=60) as e:
        r = e.run("import torch\nx = torch.ones(3, device='cuda')\nprint(x.device, x.sum().item())")
        assert r.status == "ok" and r.device == "cuda" and "cuda:0 3.0" in r.stdout, r
        r = e.run("import torch\nx = torch.empty(10**12, device='cuda')")
        assert r.status == "memory", r
        from interviewer.executor import get_exercise

        ex = get_exercise("tensor-pairwise-distances")
        assert e.run(ex.solution, ex).status == "passed"
        assert e.run("import socket\nsocket.create_connection(('1.1.1.1', 80), 1)").status == "error"
