"""Each isolation claim of interviewer/executor/sandbox.py, with a run that tries to break it."""

from __future__ import annotations

import os
import time

import pytest

from interviewer.executor import Executor

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/bin/bwrap"),
                                reason="bubblewrap not installed")


@pytest.fixture(scope="module")
def ex():
    with Executor(wall_s=3, memory_mb=512, output_kb=16, concurrency=2) as e:
        yield e


def test_no_network(ex):
    r = ex.run("import socket\n"
               "try:\n    socket.create_connection(('1.1.1.1', 80), timeout=1)\n"
               "except OSError as e:\n    print('blocked', e.errno)\n")
    assert r.status == "ok" and "blocked" in r.stdout


def test_no_network_even_on_loopback(ex):
    r = ex.run("import socket\ns = socket.socket()\ns.bind(('127.0.0.1', 0))\n")
    assert r.status == "error" and "PermissionError" in r.message


def test_host_files_invisible(ex):
    code = ("import os\n"
            "print(sorted(os.listdir('/')))\n"
            "for p in ['/etc/passwd', '/root/.bashrc', '/work/main/pyproject.toml', "
            "'/etc/hostname', '/proc/1/environ']:\n"
            "    try:\n        open(p).read(); print('READ', p)\n"
            "    except OSError as e:\n        print('denied', p)\n")
    r = ex.run(code)
    assert r.status == "ok", r
    assert "READ" not in r.stdout
    assert "'etc'" not in r.stdout and "'home'" not in r.stdout


def test_runtime_is_read_only(ex):
    import torch

    path = os.path.dirname(torch.__file__)
    r = ex.run(f"open({path!r} + '/evil.py', 'w').write('x')")
    assert r.status == "error" and ("Read-only" in r.message or "denied" in r.message)
    assert not os.path.exists(os.path.join(path, "evil.py"))


def test_no_secrets_in_environment(ex, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-123")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret")
    with Executor(wall_s=3) as fresh:  # started after the secrets were set
        r = fresh.run("import os\nprint(dict(os.environ))\n"
                      "print(open('/proc/1/environ', 'rb').read())\n"
                      "print(open('/proc/self/environ', 'rb').read())")
    assert r.status in ("ok", "error")
    assert "secret" not in r.stdout + r.stderr + r.message


def test_private_tmp_per_run(ex):
    first = ex.run("open('/tmp/note', 'w').write('hello')\nimport os; print(os.listdir('/tmp'))")
    second = ex.run("import os\nprint(os.listdir('/tmp'))")
    assert first.status == "ok" and "note" in first.stdout
    assert second.status == "ok" and "note" not in second.stdout


def test_infinite_loop_times_out(ex):
    t = time.monotonic()
    r = ex.run("while True:\n    pass")
    assert r.status == "timeout"
    assert time.monotonic() - t < 3 + 1


def test_sleep_times_out_on_wall_clock(ex):
    r = ex.run("import time\ntime.sleep(60)")
    assert r.status == "timeout" and r.seconds < 4


def test_huge_allocation_is_memory(ex):
    r = ex.run("import torch\nx = torch.empty(10**11)")
    assert r.status == "memory", r
    r = ex.run("x = bytearray(4 * 1024**3)")
    assert r.status == "memory", r


def test_gradual_allocation_is_memory(ex):
    r = ex.run("import torch\nkeep = []\nwhile True:\n    keep.append(torch.ones(2**24))")
    assert r.status == "memory", r


def test_fork_bomb_refused(ex):
    r = ex.run("import os\nwhile True:\n    os.fork()")
    assert r.status == "error" and "PermissionError" in r.message
    r = ex.run("import subprocess\nsubprocess.run(['/bin/sh', '-c', 'echo hi'])")
    assert r.status == "error"


def test_thread_bomb_bounded(ex):
    code = ("import threading, time\nts = []\n"
            "try:\n    while True:\n"
            "        t = threading.Thread(target=time.sleep, args=(30,), daemon=True)\n"
            "        t.start(); ts.append(t)\n"
            "except RuntimeError as e:\n    print('stopped at', len(ts))\n")
    r = ex.run(code)
    assert r.status in ("ok", "memory", "error"), r
    assert r.seconds < 4


def test_output_flood_stopped(ex):
    t = time.monotonic()
    r = ex.run("while True:\n    print('x' * 1000)")
    assert r.status == "output_limit" and r.truncated
    assert len(r.stdout) <= 16 * 1024
    assert time.monotonic() - t < 2


def test_file_size_bounded(ex):
    r = ex.run("f = open('/tmp/big', 'wb')\nwhile True:\n    f.write(b'x' * 2**20)")
    assert r.status in ("error", "crashed") and r.status != "ok"
    assert r.seconds < 3


def test_segfault_is_crashed(ex):
    r = ex.run("import ctypes\nctypes.string_at(0)")
    assert r.status == "crashed" and "SIGSEGV" in r.message


def test_killing_parent_does_not_hurt_service(ex):
    r = ex.run("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)")
    assert r.status == "error" and "PermissionError" in r.message
    r = ex.run("import os, signal\nos.kill(1, signal.SIGKILL)")
    assert r.status == "error"
    assert ex.run("print(1 + 1)").stdout == "2\n"


@pytest.mark.parametrize("attack", [
    # sigqueue() is rt_sigqueueinfo: a queued SIGKILL to the worker
    "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
    "rc = libc.sigqueue(os.getppid(), 9, 0)\nprint(rc, ctypes.get_errno())",
    # shrink the worker's limits so the next run cannot open files or allocate
    "import os, resource\nresource.prlimit(os.getppid(), resource.RLIMIT_NOFILE, (3, 3))",
    "import os\nos.setpriority(os.PRIO_PROCESS, os.getppid(), 19)",
    "import os\nos.sched_setaffinity(os.getppid(), {0})",
])
def test_cannot_reach_the_worker_by_other_calls(ex, attack):
    r = ex.run(attack)
    assert r.status in ("ok", "error")
    assert r.status == "error" or r.stdout.startswith("-1 1")  # EPERM
    after = ex.run("import torch\nprint(torch.ones(2).sum().item())")
    assert after.status == "ok" and after.stdout == "2.0\n"


def test_worker_death_is_survived(ex):
    ex._worker.kill()  # as if the worker had been killed from outside
    ex._worker.wait(5)
    r = ex.run("print('still serving')")
    assert r.status == "ok" and r.stdout == "still serving\n"


def test_no_process_survives(ex):
    r = ex.run("import threading, time\n"
               "threading.Thread(target=time.sleep, args=(100,)).start()\nprint('bye')")
    assert r.status == "ok" and r.seconds < 2  # the run ends with its code; threads die
    r = ex.run("import os\nprint(len(os.listdir('/proc/self/task')), "
               "sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))")
    assert r.status == "ok"
    threads, pids = r.stdout.split(" ", 1)
    assert threads == "1"
    assert len(eval(pids)) <= 4  # bwrap init, worker, this run (+ a concurrent one at most)


def test_no_ptrace_or_capabilities(ex):
    r = ex.run("print([l for l in open('/proc/self/status') if l.startswith('CapEff')])\n"
               "import ctypes\nlibc = ctypes.CDLL('libc.so.6', use_errno=True)\n"
               "print(libc.ptrace(16, 2, 0, 0), ctypes.get_errno())")
    assert r.status == "ok"
    assert "0000000000000000" in r.stdout and "-1 1" in r.stdout


def test_cannot_touch_other_runs_memory(ex):
    r = ex.run("import os\npids = [p for p in os.listdir('/proc') if p.isdigit() "
               "and int(p) != os.getpid()]\nfor p in pids:\n    try:\n"
               "        open(f'/proc/{p}/mem', 'rb'); print('OPENED', p)\n"
               "    except OSError:\n        pass\nprint('done')")
    assert r.status == "ok" and "OPENED" not in r.stdout


def test_refused_without_bubblewrap():
    with Executor(bwrap="/nonexistent/bwrap") as e:
        r = e.run("print('should not run')")
    assert r.status == "refused" and "bubblewrap" in r.message
    assert r.stdout == ""


def test_worker_sits_in_bounded_cgroups_where_writable(ex):
    root = "/sys/fs/cgroup/pids"
    if not (os.path.isdir(root) and os.access(root, os.W_OK)):
        pytest.skip("no writable cgroup v1 pids controller here")
    ex.run("pass")  # the worker is up
    mine = [d for d in os.listdir(root) if d.startswith(f"torch-interviewer-{os.getpid()}-")]
    # Other executors of this test process (e.g. an app's) may have groups of their own.
    populated = [d for d in mine if open(f"{root}/{d}/cgroup.procs").read().split()]
    assert populated  # the sandbox's processes are inside a group
    for d in populated:
        with open(f"{root}/{d}/pids.max") as f:
            assert int(f.read()) < 1000
