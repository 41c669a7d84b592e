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
