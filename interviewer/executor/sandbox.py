"""Starting the sandboxed worker with bubblewrap, and talking to it.

What the sandbox protects against (each claim has a test in tests/test_executor_isolation.py):

- network: a new network namespace with no interfaces but a down loopback; sockets other
  than AF_UNIX are refused by seccomp;
- the host kernel: candidate code never runs as root. A service started as root drops the
  worker to an unprivileged uid (``SANDBOX_HOST_UID``, "nobody") before anything else, so
  /proc/sys, /proc/sysrq-trigger and other processes' /proc files are not writable; the
  worker checks this (`isolation_problems`) and the executor refuses to start otherwise;
- host files: only the Python runtime (interpreter prefix, the virtualenv) and the system
  shared libraries are visible, read-only; the sandbox root and /dev are read-only;
- other runs: each run has its own user, mount, IPC and UTS namespaces, with a private,
  size-capped /tmp and /dev/shm that vanish when it ends (System V shared memory and message
  queues too); their sizes count against the run's memory limit;
- secrets: the environment is cleared (``--clearenv``) and bwrap itself starts with an empty
  environment, so OPENAI_API_KEY, Slack tokens etc. never enter;
- resources: CPU time, address space, file size and open files are bounded by rlimits; wall
  time by the trusted side (SIGKILL through a pidfd); output size by the trusted side;
  processes by seccomp (no fork/exec; threads only) and, where cgroups are writable, the pids
  and memory controllers bound the whole worker;
- the service: candidate code cannot signal the worker (kill() reaches only itself), cannot
  ptrace or read its memory (no capabilities, non-dumpable worker), and a dead worker is
  restarted for the next run.

It is not a defence against kernel exploits: it shares the host kernel.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import ctypes.util
from dataclasses import dataclass, field
from pathlib import Path

from interviewer.errors import ServiceError

INSIDE_SCRIPT = Path(__file__).with_name("_inside.py")
SANDBOX_SCRIPT = "/sandbox/inside.py"
GPU_DEVICE_NODES = ("/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools",
                    "/dev/nvidia-modeset")
SANDBOX_HOST_UID = 65534  # "nobody": the uid a root service runs candidate code as
SANDBOX_UID = 1000  # the uid candidate code sees inside its namespace
SAFE_ENV = {"HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8", "PATH": "/usr/bin:/bin",
            "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1"}


class SandboxUnavailable(ServiceError):
    """Isolation cannot be set up here; the run is refused rather than run unisolated."""


@dataclass
class SandboxConfig:
    bwrap: str = "bwrap"
    device: str = "cpu"
    tmp_mb: int = 64
    shm_mb: int = 16
    memory_fraction: float = 0.5
    start_timeout_s: float = 60.0
    cgroup_memory_mb: int | None = None
    cgroup_pids: int | None = None
    python: str = sys.executable


def gpu_present() -> bool:
    """A CUDA-capable torch build and NVIDIA device nodes; CUDA is not initialised here."""
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.version.cuda) and os.path.exists("/dev/nvidiactl") and any(
        Path("/dev").glob("nvidia[0-9]*"))


def _runtime_roots() -> list[Path]:
    roots = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(),
             Path(sys.executable).resolve().parent.parent}
    for lib in ("/usr/lib", "/usr/lib64", "/usr/lib32"):
        if os.path.isdir(lib):
            roots.add(Path(lib))
    if Path(sys.prefix) != Path(sys.prefix).resolve():
        roots.add(Path(sys.prefix))
    return sorted(roots)


def _under_tmp(path: Path) -> bool:
    return path == Path("/tmp") or Path("/tmp") in path.parents


def _runtime_binds() -> list[str]:
    """Read-only binds of the Python runtime and the shared libraries it loads. Roots under
    /tmp (a checkout there) are bound after the sandbox's own /tmp; see `_tmp_rebinds`."""
    args: list[str] = []
    for root in _runtime_roots():
        if not _under_tmp(root):
            args += ["--ro-bind", str(root), str(root)]
    for top in ("/lib", "/lib64", "/lib32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    return args


def _parent_dirs(paths: list[Path]) -> tuple[list[str], list[str]]:
    """Create the folders above each bind point first, as world-readable: bwrap would make
    them 0700 root-owned, which the unprivileged worker could not pass through. Returns the
    arguments for folders outside /tmp, and for those inside the sandbox's /tmp (a checkout
    under /tmp), which must come after that tmpfs is mounted."""
    parents = {p for path in paths for p in Path(path).parents
               if p not in (Path("/"), Path("/tmp"))}
    outside: list[str] = []
    inside: list[str] = []
    for p in sorted(parents, key=lambda q: len(q.parts)):
        (inside if _under_tmp(p) else outside).extend(["--perms", "0755", "--dir", str(p)])
    return outside, inside


def _tmp_rebinds() -> list[tuple[str, str]]:
    """(stash, path) for runtime roots under /tmp: each run's private /tmp hides them, so the
    worker also sees them at a stash path and binds them back read-only (_inside.py)."""
    return [(f"/sandbox/runtime/{i}", str(root))
            for i, root in enumerate(r for r in _runtime_roots() if _under_tmp(r))]


def bwrap_argv(config: SandboxConfig, control_fd: int) -> list[str]:
    # Run as root, bwrap makes no user namespace: the worker starts as uid 0 with only
    # CAP_SETUID/CAP_SETGID, and its first act is to drop to SANDBOX_HOST_UID (_inside.py).
    # (A user namespace of bwrap's would map only uid 0, and the drop would be impossible.)
    as_root = os.geteuid() == 0
    unshare = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
               "--unshare-cgroup-try"] if as_root else ["--unshare-all"]
    argv = [config.bwrap, *unshare, "--cap-drop", "ALL", "--die-with-parent",
            "--new-session", "--clearenv", "--hostname", "sandbox", "--chdir", "/tmp"]
    if as_root:
        argv += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    for key, value in SAFE_ENV.items():
        argv += ["--setenv", key, value]
    rebind = _tmp_rebinds()
    dirs, tmp_dirs = _parent_dirs([*_runtime_roots(), Path(SANDBOX_SCRIPT),
                                   *(Path(stash) for stash, _ in rebind)])
    argv += dirs + _runtime_binds()
    argv += ["--proc", "/proc", "--dev", "/dev",
             "--perms", "1777", "--size", str(config.shm_mb << 20), "--tmpfs", "/dev/shm",
             "--perms", "1777", "--size", str(config.tmp_mb << 20), "--tmpfs", "/tmp",
             *tmp_dirs, "--ro-bind", str(INSIDE_SCRIPT), SANDBOX_SCRIPT]
    for stash, path in rebind:
        argv += ["--ro-bind", path, path, "--ro-bind", path, stash]
    if config.device == "cuda":
        for node in [*GPU_DEVICE_NODES, *map(str, sorted(Path("/dev").glob("nvidia[0-9]*")))]:
            if os.path.exists(node):
                argv += ["--dev-bind", node, node]
    argv += ["--remount-ro", "/dev", "--remount-ro", "/"]  # after every mount point is made
    inner = {"control_fd": control_fd, "device": config.device, "rebind": rebind,
             "memory_fraction": config.memory_fraction,
             "host_uid": SANDBOX_HOST_UID if as_root else None, "uid": SANDBOX_UID,
             "libs": {"c": "libc.so.6", "seccomp": ctypes.util.find_library("seccomp") or ""}}
    return argv + [config.python, "-I", "-B", SANDBOX_SCRIPT, json.dumps(inner)]


def check_bwrap(config: SandboxConfig) -> str:
    """The bwrap binary to use, or SandboxUnavailable saying what to install."""
    path = shutil.which(config.bwrap)
    if not path:
        raise SandboxUnavailable(
            f"bubblewrap not found at {config.bwrap!r}: code is not run without isolation. "
            "Install it (Debian: apt-get install bubblewrap) or set INTERVIEWER_EXECUTOR_BWRAP.")
    if not ctypes.util.find_library("seccomp"):
        raise SandboxUnavailable("libseccomp not found (Debian: apt-get install libseccomp2)")
    return path


@dataclass
class Submission:
    """One run in flight: our ends of its pipes and a way to kill it."""

    worker: "Worker"
    pid: int
    req_w: int
    out_r: int
    err_r: int
    res_r: int
    status_r: int
    pidfd: int | None = None

    def kill(self) -> None:
        if self.pidfd is not None:
            try:
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            except ProcessLookupError:
                pass
        else:
            self.worker.kill()

    def close(self) -> None:
        for fd in (self.req_w, self.out_r, self.err_r, self.res_r, self.status_r, self.pidfd):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass


@dataclass
class Worker:
    """A warm python with torch imported, inside bubblewrap. Cheap to construct; `start` runs it.

    On CPU it forks a child per run (``single=False``); on GPU it runs one submission in
    itself and exits, since CUDA cannot be used across fork.
    """

    config: SandboxConfig
    single: bool = False
    info: dict = field(default_factory=dict)
    _proc: subprocess.Popen | None = None
    _sock: socket.socket | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _next_id: int = 0
    _cgroup: "Cgroup | None" = None
    _stderr_path: Path | None = None

    def start(self) -> "Worker":
        try:
            return self._start()
        except BaseException:
            self.close()  # the socket, the log file and the cgroup of a failed start
            raise

    def _start(self) -> "Worker":
        bwrap = check_bwrap(self.config)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        cfg = SandboxConfig(**{**self.config.__dict__, "bwrap": bwrap})
        argv = bwrap_argv(cfg, theirs.fileno())
        self._cgroup = Cgroup.create(self.config)
        if self._cgroup:
            argv = self._cgroup.wrap(argv)
        log = _log_file()
        self._stderr_path = Path(log.name)
        try:
            self._proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                          stderr=log, pass_fds=[theirs.fileno()],
                                          env={"PATH": SAFE_ENV["PATH"]},
                                          start_new_session=True)
        except OSError as e:
            raise SandboxUnavailable(f"cannot start bubblewrap: {e}") from e
        finally:
            theirs.close()
            log.close()
            self._sock = ours
        self.info = self._wait_ready()
        return self

    def _wait_ready(self) -> dict:
        self._sock.settimeout(self.config.start_timeout_s)
        try:
            msg = self._sock.recv(1 << 16)
        except (TimeoutError, OSError) as e:
            self.kill()
            raise SandboxUnavailable(f"sandbox did not start: {e}; {self.log_tail()}") from e
        if not msg:
            self.wait(5)
            raise SandboxUnavailable(f"sandbox failed to start: {self.log_tail()}")
        self._sock.settimeout(None)
        info = json.loads(msg)
        if info.get("isolation_problems"):
            self.kill()
            raise SandboxUnavailable("sandbox isolation could not be set up, so code is not "
                                     "run: " + "; ".join(info["isolation_problems"]))
        return info

    def log_tail(self, limit: int = 2000) -> str:
        try:
            text = self._stderr_path.read_text(errors="replace") if self._stderr_path else ""
        except OSError:
            text = ""
        return text.strip()[-limit:] or "(no output)"

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def submit(self) -> Submission:
        """Hand the worker a fresh set of pipes; it forks a child that will read the request."""
        pipes = [os.pipe() for _ in range(5)]  # request, stdout, stderr, result, status
        theirs = [pipes[0][0], pipes[1][1], pipes[2][1], pipes[3][1], pipes[4][1]]
        try:
            with self._lock:
                self._next_id += 1
                reply, fds = self._exchange({"id": self._next_id}, theirs)
        except OSError as e:
            for r, w in pipes:
                os.close(r), os.close(w)
            raise ServiceError(f"sandbox worker is gone: {e}") from e
        for fd in theirs:
            os.close(fd)
        return Submission(self, reply["pid"], pipes[0][1], pipes[1][0], pipes[2][0],
                          pipes[3][0], pipes[4][0], fds[0] if fds else None)

    def _exchange(self, doc: dict, fds: list[int]) -> tuple[dict, list[int]]:
        socket.send_fds(self._sock, [json.dumps(doc).encode()], fds)
        self._sock.settimeout(10)
        msg, got, _, _ = socket.recv_fds(self._sock, 1 << 16, 2)
        if not msg:
            raise OSError("control channel closed")
        return json.loads(msg), got

    def kill(self) -> None:
        if self._proc and self._proc.poll() is None:
            self._proc.kill()

    def wait(self, timeout: float) -> int | None:
        try:
            return self._proc.wait(timeout) if self._proc else None
        except subprocess.TimeoutExpired:
            return None

    def close(self) -> None:
        if self._sock:
            self._sock.close()
            self._sock = None
        self.kill()
        self.wait(5)
        if self._cgroup:
            self._cgroup.remove()
        if self._stderr_path:
            self._stderr_path.unlink(missing_ok=True)


def _log_file():
    import tempfile

    return tempfile.NamedTemporaryFile("wb", prefix="interviewer-sandbox-", suffix=".log",
                                       delete=False)


@dataclass
class Cgroup:
    """Best effort: a pids/memory cgroup around a whole worker, where cgroupfs is writable."""

    dirs: list[Path]

    @classmethod
    def create(cls, config: SandboxConfig) -> "Cgroup | None":
        if not (config.cgroup_memory_mb or config.cgroup_pids):
            return None
        name = f"torch-interviewer-{os.getpid()}-{time.monotonic_ns()}"
        limits = {"pids": {"pids.max": config.cgroup_pids},
                  "memory": {"memory.limit_in_bytes": (config.cgroup_memory_mb or 0) << 20}}
        root = Path("/sys/fs/cgroup")
        _sweep_stale(root)
        made = []
        try:
            if (root / "cgroup.controllers").exists():
                made.append(cls._make_v2(root / name, config))
            else:
                made += [cls._make_v1(root / ctl / name, files) for ctl, files in limits.items()
                         if (root / ctl).is_dir()]
        except OSError:
            cls(made).remove()
            return None
        return cls(made) if made else None

    @staticmethod
    def _make_v1(path: Path, files: dict) -> Path:
        path.mkdir()
        for fname, value in files.items():
            if value:
                (path / fname).write_text(str(value))
        return path

    @staticmethod
    def _make_v2(path: Path, config: SandboxConfig) -> Path:
        path.mkdir()
        if config.cgroup_pids:
            (path / "pids.max").write_text(str(config.cgroup_pids))
        if config.cgroup_memory_mb:
            (path / "memory.max").write_text(str(config.cgroup_memory_mb << 20))
        return path

    def wrap(self, argv: list[str]) -> list[str]:
        """Join the cgroups before exec'ing bwrap, so no process starts outside them."""
        joins = " && ".join(f'echo $$ > "{d}/cgroup.procs"' for d in self.dirs)
        return ["/bin/sh", "-c", f'{joins} && exec "$@"', "sh", *argv]

    def remove(self) -> None:
        for d in self.dirs:
            for _ in range(250):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)


def _sweep_stale(root: Path) -> None:
    """Remove empty groups left by executors whose process is gone (a crash, a kill -9)."""
    for d in [*root.glob("torch-interviewer-*"), *root.glob("*/torch-interviewer-*")]:
        owner = d.name.split("-")[2]
        if owner.isdigit() and not Path(f"/proc/{owner}").exists():
            try:
                d.rmdir()
            except OSError:
                pass
