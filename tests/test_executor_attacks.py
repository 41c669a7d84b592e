"""The attacks of the sandbox security review (issue 11), each run through a public interface.

Every test performs the attack the review found and checks that it fails, then that the
service still serves. They matter most as root, which is how `make run` runs on our machines.
"""

from __future__ import annotations

import os

import pytest

from interviewer.executor import Executor, sandbox

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/bin/bwrap"),
                                reason="bubblewrap not installed")


@pytest.fixture(scope="module")
def ex():
    with Executor(wall_s=5, memory_mb=768, output_kb=16, concurrency=2) as e:
        yield e


def _serves(ex) -> bool:
    r = ex.run("import torch\nprint(torch.ones(3).sum().item())")
    return r.status == "ok" and r.stdout == "3.0\n"


# ------------------------------------------------------------------ 1. host kernel settings

WRITE_ATTEMPT = """
import os
for path in {paths!r}:
    try:
        fd = os.open(path, os.O_WRONLY)
        print('WROTE', path)
        os.close(fd)
    except OSError as e:
        print('denied', path, e.errno)
"""


@pytest.mark.parametrize("path", [
    "/proc/sys/kernel/core_pattern", "/proc/sys/kernel/hostname", "/proc/sys/vm/drop_caches",
    "/proc/sysrq-trigger", "/proc/1/oom_score_adj",
])
def test_host_kernel_files_are_not_writable(ex, path):
    r = ex.run(WRITE_ATTEMPT.format(paths=[path]))
    assert r.status == "ok", r
    assert "WROTE" not in r.stdout and f"denied {path}" in r.stdout
    assert _serves(ex)


def test_worker_oom_score_is_out_of_reach(ex):
    r = ex.run("import os\np = f'/proc/{os.getppid()}/oom_score_adj'\n"
               "try:\n    open(p, 'w').write('1000'); print('WROTE')\n"
               "except OSError as e:\n    print('denied', e.errno)")
    assert r.status == "ok" and "denied" in r.stdout and "WROTE" not in r.stdout


def test_code_runs_as_an_unprivileged_uid(ex):
    r = ex.run("import os\nprint(os.getuid(), os.geteuid())\n"
               "print(open('/proc/self/uid_map').read().split())")
    assert r.status == "ok", r
    ids, mapping = r.stdout.splitlines()
    assert "0" not in ids.split()
    inside, outside, count = eval(mapping)
    assert inside != "0" and outside != "0" and count == "1"


def test_cannot_make_itself_dumpable(ex):
    r = ex.run("import ctypes\nlibc = ctypes.CDLL('libc.so.6', use_errno=True)\n"
               "print(libc.prctl(4, 1, 0, 0, 0), ctypes.get_errno(), libc.prctl(3, 0, 0, 0, 0))")
    assert r.status == "ok" and r.stdout.split() == ["-1", "1", "0"]


@pytest.mark.skipif(os.geteuid() != 0, reason="the drop from root is tested as root")
def test_refuses_to_start_when_it_would_run_as_root(monkeypatch):
    monkeypatch.setattr(sandbox, "SANDBOX_HOST_UID", None)
    with Executor(wall_s=3) as e:
        r = e.run("print('should not run')")
    assert r.status == "refused" and "runs as root" in r.message
    assert r.stdout == ""


# ------------------------------------------------------------------ 2. writable shared paths

def test_sandbox_root_and_dev_are_read_only(ex):
    r = ex.run(WRITE_ATTEMPT.replace("os.O_WRONLY", "os.O_WRONLY | os.O_CREAT")
               .format(paths=["/persist", "/dev/persist", "/sandbox/persist"]))
    assert r.status == "ok" and "WROTE" not in r.stdout, r


def test_dev_shm_is_private_to_one_run(ex):
    first = ex.run("open('/dev/shm/persist', 'w').write('secret')\n"
                   "import os; print(os.listdir('/dev/shm'))")
    second = ex.run("import os; print(os.listdir('/dev/shm'), os.listdir('/tmp'))")
    assert first.status == "ok" and "persist" in first.stdout
    assert second.status == "ok" and "persist" not in second.stdout


def test_system_v_shared_memory_does_not_outlive_a_run(ex):
    make = ("import ctypes\nlibc = ctypes.CDLL('libc.so.6', use_errno=True)\n"
            "shm = libc.shmget(0x5EED, 1 << 20, 0o1666)\nprint(shm)")
    find = ("import ctypes\nlibc = ctypes.CDLL('libc.so.6', use_errno=True)\n"
            "print(libc.shmget(0x5EED, 0, 0), ctypes.get_errno())")
    first, second = ex.run(make), ex.run(find)
    assert first.status == "ok" and int(first.stdout) >= 0, first
    assert second.status == "ok" and second.stdout.split() == ["-1", "2"]  # ENOENT


def test_filling_dev_shm_is_capped_and_harms_no_later_run(ex):
    r = ex.run("chunk = b'x' * (1 << 20)\nn = 0\n"
               "try:\n    with open('/dev/shm/fill', 'wb') as f:\n"
               "        for n in range(1400):\n            f.write(chunk); f.flush()\n"
               "except OSError as e:\n    print('stopped at MB', n, e.errno)")
    assert r.status in ("ok", "error"), r
    assert "stopped at MB" in r.stdout or r.status == "error"
    if "stopped at MB" in r.stdout:
        assert int(r.stdout.split()[3]) <= ex.limits.shm_mb
    big = ex.run("import torch\nx = torch.ones(200 * 2**20 // 4)\nprint(int(x.sum()))")
    assert big.status == "ok", big
    assert _serves(ex)


# ------------------------------------------------------------------ 3. untrusted result data

SOFTPLUS = """
import torch

class SoftPlus(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.log1p(torch.exp(-x.abs())) + x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        return grad_out * torch.sigmoid(x)

def softplus(x):
    return SoftPlus.apply(x)
"""
# Rewrites the result on its way out: gradcheck rows of shape (N, 1) and (1, N), which the
# trusted side used to subtract (an N x N float64 matrix) before looking at shapes.
BROADCAST_BOMB = SOFTPLUS + """
import base64, json, os
N = 10_000
def _tensor(shape):
    return {"__tensor__": "float64", "shape": shape,
            "data": base64.b64encode(bytes(8 * N)).decode()}
_write = os.write
def _forged(fd, data):
    if fd == 3:
        doc = json.loads(bytes(data))
        for case in doc.get("cases") or []:
            if "gradcheck" in case.get("values", {}):
                case["values"]["gradcheck"].update(plus=_tensor([N, 1]), minus=_tensor([1, N]))
        data = json.dumps(doc).encode()
        _write(fd, data)
        return len(data)
    return _write(fd, data)
os.write = _forged
"""


def test_gradcheck_shapes_checked_before_arithmetic(ex):
    import resource

    assert ex.run(SOFTPLUS, exercise="autograd-custom-function").status == "passed"
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    r = ex.run(BROADCAST_BOMB, exercise="autograd-custom-function")
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert r.status == "failed", r
    assert any("gradcheck: plus has shape (10000, 1)" in c.message for c in r.checks), r.checks
    assert grown_mb < 200  # the N x N difference would be 800 MB


def test_result_nested_too_deep_is_a_clean_crash(ex):
    r = ex.run("import os\nos.write(3, b'[' * 100_000 + b']' * 100_000)\nos._exit(0)")
    assert r.status in ("ok", "crashed"), r
    r = ex.run("import os\nos.write(3, b'{\"cases\": ' + b'[' * 50_000 + b']' * 50_000 + b'}')"
               "\nos._exit(0)", exercise="tensor-pairwise-distances")
    assert r.status == "failed" and r.checks, r
    assert _serves(ex)


def test_every_field_from_the_result_pipe_is_capped(ex):
    from interviewer.executor.results import MESSAGE_CHARS, TRACEBACK_CHARS

    forged = ("import json, os\nbig = 'A' * 3_000_000\n"
              "os.write(3, json.dumps({'error': {'type': 'B' * 10_000, 'message': big, "
              "'traceback': big}}).encode())\nos._exit(1)")
    r = ex.run(forged)
    assert r.status == "error", r
    assert len(r.message) < MESSAGE_CHARS + 200
    assert len(r.traceback or "") < TRACEBACK_CHARS + 20
    in_checks = ("import json, os\nbig = 'A' * 700_000\n"
                 "err = {'error': {'type': 'E', 'message': big, 'traceback': big}}\n"
                 "os.write(3, json.dumps({'cases': [err] * 4}).encode())\nos._exit(0)")
    r = ex.run(in_checks, exercise="tensor-pairwise-distances")
    assert r.status == "failed", r
    assert sum(len(c.message) for c in r.checks) < 4 * (MESSAGE_CHARS + TRACEBACK_CHARS + 600)


def test_cli_json_output_stays_small(tmp_path):
    import json
    import subprocess
    import sys

    code = tmp_path / "big.py"
    code.write_text("import json, os\nbig = 'A' * 3_000_000\nos.write(3, json.dumps("
                    "{'error': {'type': 'E', 'message': big, 'traceback': big}}).encode())\n"
                    "os._exit(1)\n")
    out = subprocess.run([sys.executable, "-m", "interviewer", "run", str(code), "--json"],
                         capture_output=True, text=True, timeout=120,
                         env={**os.environ, "INTERVIEWER_HOME": str(tmp_path / "home")})
    doc = json.loads(out.stdout)
    assert doc["status"] == "error" and len(out.stdout) < 20_000


# ------------------------------------------------------------------ 4. reaching the checks

@pytest.mark.parametrize("exercise, code, word", [
    ("tensor-pairwise-distances",
     "from torch import cdist as d\ndef pairwise_sq_dists(x, y):\n    return d(x, y) ** 2\n",
     "cdist"),
    ("autograd-custom-function",
     "import torch.nn.functional as F\nsp = F.softplus\ndef softplus(x):\n    return sp(x)\n",
     "softplus"),
    ("tensor-pairwise-distances",
     "import torch\nf = getattr(torch, 'cdist')\n"
     "def pairwise_sq_dists(x, y):\n    return f(x, y) ** 2\n", "cdist"),
    ("tensor-pairwise-distances",
     "import sys\nfrom contextlib import nullcontext\n"
     "sys.modules['__main__'].Recorder.forbid = lambda *a: nullcontext()\n"
     "def pairwise_sq_dists(x, y):\n    return ((x[:, None] - y[None]) ** 2).sum(-1)\n",
     "sys.modules"),
    ("tensor-pairwise-distances",
     "import sys\nleak = sys._getframe(1).f_locals.get('request')\nprint(leak)\n"
     "def pairwise_sq_dists(x, y):\n    return ((x[:, None] - y[None]) ** 2).sum(-1)\n",
     "_getframe"),
])
def test_banned_shortcuts_and_introspection_fail_before_running(ex, exercise, code, word):
    r = ex.run(code, exercise=exercise)
    assert r.status == "failed" and word in r.message, r
    assert r.stdout == "" and "probe" not in r.message


def test_worker_module_is_not_the_candidates_main(ex):
    code = ("import __main__\nprint(sorted(k for k in vars(__main__) if not k.startswith('__')))\n"
            "def pairwise_sq_dists(x, y):\n    return ((x[:, None] - y[None]) ** 2).sum(-1)\n")
    r = ex.run(code, exercise="tensor-pairwise-distances")
    assert r.status == "passed", r
    assert "Recorder" not in r.stdout and "run_probe" not in r.stdout
    patch = ("import __main__\n__main__.Recorder = None\n"
             "def pairwise_sq_dists(x, y):\n    return ((x[:, None] - y[None]) ** 2).sum(-1)\n")
    assert ex.run(patch, exercise="tensor-pairwise-distances").status == "passed"


def test_every_mount_is_made_before_the_tree_turns_read_only(monkeypatch):
    """GPU device nodes are bound into /dev: that must happen before /dev is read-only."""
    real_exists = os.path.exists
    monkeypatch.setattr(sandbox.os.path, "exists",
                        lambda p: str(p).startswith("/dev/nvidia") or real_exists(p))
    argv = sandbox.bwrap_argv(sandbox.SandboxConfig(device="cuda"), 3)
    first_ro = argv.index("--remount-ro")
    makes = [i for i, a in enumerate(argv) if a in ("--dev-bind", "--ro-bind", "--tmpfs",
                                                     "--dir", "--symlink", "--proc", "--dev")]
    assert "--dev-bind" in argv and max(makes) < first_ro
    assert argv[first_ro:first_ro + 4] == ["--remount-ro", "/dev", "--remount-ro", "/"]


def test_folders_above_a_checkout_in_tmp_are_made_inside_the_sandbox_tmp(monkeypatch):
    """A checkout (and its venv) under /tmp is bound into the sandbox's own /tmp: the folders
    above it must be made after that tmpfs, passable by the unprivileged worker."""
    from pathlib import Path

    monkeypatch.setattr(sandbox, "_runtime_roots", lambda: [Path("/usr/lib"),
                                                            Path("/tmp/ci/main/.venv")])
    argv = sandbox.bwrap_argv(sandbox.SandboxConfig(), 3)
    tmpfs = max(i for i, a in enumerate(argv) if a == "/tmp" and argv[i - 1] == "--tmpfs")
    made = {argv[i + 1]: i for i, a in enumerate(argv) if a == "--dir"}
    assert tmpfs < made["/tmp/ci"] < made["/tmp/ci/main"] < argv.index("/tmp/ci/main/.venv")
    assert argv[made["/tmp/ci"] - 1] == "0755" and "/sandbox/runtime" in made
