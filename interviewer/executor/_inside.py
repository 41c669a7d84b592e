"""The code that runs *inside* the sandbox: the warm worker and the per-run child.

This file is bound read-only into the bubblewrap sandbox and started there as a script, so it
imports only the standard library, torch and pyseccomp. The trusted side also imports it, for
`Recorder` and the value encoding, which lets the reference solution be probed with exactly
the same code as the candidate's.

Protocol. The trusted side talks to the worker over a SOCK_SEQPACKET socket (fd given by
``--control-fd``). A request is a tiny JSON message ``{"id": n}`` with five file descriptors
attached: request pipe (read), stdout, stderr, result pipe, status pipe (all write ends). The
worker forks; the child reads the full request (code, exercise probe, limits) from the request
pipe, locks itself down, runs the code, and writes one JSON result to the result pipe. The
worker answers ``{"id": n, "pid": p}`` with a pidfd of the child attached (the trusted side
kills through it), reaps the child and writes its exit status to the status pipe, which only
the worker holds. Nothing in the result is trusted: the verdict is computed outside.
"""

from __future__ import annotations

import base64
import ctypes
import ctypes.util
import gc
import json
import linecache
import os
import resource
import selectors
import signal
import socket
import sys
import traceback
import types
from contextlib import contextmanager
from typing import Any

CANDIDATE_FILE = "<candidate>"
MAX_REQUEST_BYTES = 4 << 20
# Syscalls candidate code never needs; each fails with EPERM.
DENIED_SYSCALLS = (
    "ptrace", "process_vm_readv", "process_vm_writev", "mount", "umount2", "pivot_root",
    "chroot", "unshare", "setns", "bpf", "perf_event_open", "userfaultfd", "keyctl",
    "add_key", "request_key", "kexec_load", "kexec_file_load", "init_module",
    "finit_module", "delete_module", "reboot", "swapon", "swapoff", "syslog", "acct",
    "open_by_handle_at", "name_to_handle_at", "fork", "vfork", "execve", "execveat",
    "mknod", "mknodat", "sethostname", "setdomainname", "settimeofday", "clock_settime",
    "adjtimex", "iopl", "ioperm", "quotactl", "fanotify_init", "kcmp", "personality",
    "tkill", "pidfd_open", "pidfd_send_signal", "pidfd_getfd", "move_mount", "fsopen",
    "fsmount", "fspick", "open_tree", "mount_setattr", "lookup_dcookie", "vhangup",
)
ENOSYS_SYSCALLS = ("clone3", "io_uring_setup", "io_uring_enter", "io_uring_register")
CLONE_THREAD, CLONE_NEWNS, CLONE_NEWUSER = 0x10000, 0x20000, 0x10000000
CLONE_NEWIPC, CLONE_NEWUTS = 0x08000000, 0x04000000
PR_SET_DUMPABLE = 4
# Files that must never be writable from inside: the host's kernel settings and triggers.
KERNEL_FILES = ("/proc/sys/kernel/core_pattern", "/proc/sys/kernel/hostname",
                "/proc/sys/vm/drop_caches", "/proc/sysrq-trigger")
AF_UNIX = 1


# ---------------------------------------------------------------- values on the wire

def encode_value(value: Any) -> Any:
    """Turn a probe's value into JSON: tensors become {dtype, shape, base64 bytes}."""
    import torch

    if isinstance(value, torch.Tensor):
        t = value.detach().to("cpu").contiguous()
        if t.is_quantized:
            t = t.dequantize()
        raw = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        return {"__tensor__": str(t.dtype).removeprefix("torch."), "shape": list(t.shape),
                "data": base64.b64encode(raw).decode("ascii")}
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [encode_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode_value(v) for k, v in value.items()}
    if isinstance(value, torch.dtype):
        return str(value)
    if isinstance(value, torch.Size):
        return list(value)
    raise TypeError(f"cannot record a value of type {type(value).__name__}")


class Recorder:
    """What a probe hands back: named inputs (for messages) and named values (compared).

    On the reference side the keyword options (tolerances, exactness) decide how a value is
    compared; on the candidate side only the values are used.
    """

    def __init__(self, device: str = "cpu") -> None:
        self.device = device
        self.inputs: dict[str, Any] = {}
        self.values: dict[str, Any] = {}
        self.options: dict[str, dict[str, Any]] = {}

    def input(self, name: str, value: Any) -> None:
        self.inputs[name] = _snapshot(value)

    def value(self, name: str, value: Any, **options: Any) -> None:
        self.values[name] = _snapshot(value)
        self.options[name] = options

    def gradcheck(self, name: str, fn: Any, inputs: tuple, eps: float = 1e-6) -> None:
        """Record what a gradcheck needs, as raw numbers: f at x±eps·e_i and the analytic
        Jacobian from backward. The trusted side does the arithmetic and the comparison."""
        self.values[name] = _gradcheck_raw(fn, inputs, eps)
        self.options[name] = {"kind": "gradcheck", "eps": eps}

    @contextmanager
    def forbid(self, owner: Any, *names: str):
        """Make ``owner.name`` raise while the probe calls the candidate (a banned shortcut)."""
        saved = {n: getattr(owner, n) for n in names}

        def banned(n: str):
            def call(*a: Any, **k: Any) -> Any:
                raise RuntimeError(f"{n} is not allowed in this exercise")
            return call

        for n in names:
            setattr(owner, n, banned(n))
        try:
            yield
        finally:
            for n, f in saved.items():
                setattr(owner, n, f)


def _snapshot(value: Any) -> Any:
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu").clone()
    if isinstance(value, (list, tuple)):
        return [_snapshot(v) for v in value]
    if isinstance(value, dict):
        return {k: _snapshot(v) for k, v in value.items()}
    return value


def _gradcheck_raw(fn: Any, inputs: tuple, eps: float) -> dict[str, Any]:
    import torch

    xs = [x.detach().to(torch.float64).requires_grad_(True) for x in inputs]
    out = fn(*xs)
    rows = []
    for j in range(out.numel()):
        grads = torch.autograd.grad(out.reshape(-1)[j], xs, retain_graph=True,
                                    allow_unused=True)
        rows.append(torch.cat([(torch.zeros_like(x) if g is None else g).reshape(-1)
                               for g, x in zip(grads, xs)]))
    plus, minus = [], []
    with torch.no_grad():
        for i, x in enumerate(xs):
            for k in range(x.numel()):
                for sign, acc in ((1.0, plus), (-1.0, minus)):
                    moved = [y.detach().clone() for y in xs]
                    moved[i].view(-1)[k] += sign * eps
                    acc.append(fn(*moved).detach().reshape(-1))
    return {"analytic": torch.stack(rows) if rows else torch.zeros(0),
            "plus": torch.stack(plus), "minus": torch.stack(minus)}


# ---------------------------------------------------------------- running code

def _candidate_traceback(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == CANDIDATE_FILE]
    lines = traceback.format_list(frames) if frames else []
    return "".join(["Traceback (most recent call last):\n", *lines,
                    *traceback.format_exception_only(type(exc), exc)])


def _error(exc: BaseException, where: str) -> dict[str, Any]:
    return {"type": type(exc).__name__, "message": str(exc)[:2000], "where": where,
            "traceback": _candidate_traceback(exc)[-8000:]}


def run_code(request: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Compile and run the candidate's code, then the exercise probe over every case."""
    result: dict[str, Any] = {"error": None, "cases": None}
    try:
        source = request["code"]
        linecache.cache[CANDIDATE_FILE] = (len(source), None, source.splitlines(True),
                                           CANDIDATE_FILE)
        compiled = compile(source, CANDIDATE_FILE, "exec", dont_inherit=True)
        namespace = _candidate_module().__dict__
        exec(compiled, namespace)
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if code:
            result["error"] = {"type": "SystemExit", "message": f"exited with code {code}",
                               "where": "code", "traceback": ""}
        return result, code
    except BaseException as e:  # noqa: BLE001 - candidate code may raise anything
        result["error"] = _error(e, "code")
        return result, 1
    if request.get("probe"):
        result["cases"] = run_probe(request["probe"], request.get("cases", []), namespace,
                                    request.get("device", "cpu"))
    return result, 0


def _candidate_module() -> types.ModuleType:
    """The candidate's code is the program: ``__main__`` (and ``import __main__``) is its own
    module, not this worker's, whose probe runner and Recorder it must not patch."""
    module = types.ModuleType("__main__")
    module.__dict__["__builtins__"] = __builtins__
    sys.modules["__main__"] = module
    return module


def run_probe(probe_src: str, cases: list[dict], namespace: dict, device: str) -> list[dict]:
    scope: dict[str, Any] = {"__name__": "probe"}
    exec(compile(probe_src, "<checks>", "exec"), scope)
    out = []
    for case in cases:
        rec = Recorder(device)
        try:
            scope["probe"](namespace, dict(case), rec)
            out.append({"values": {k: encode_value(v) for k, v in rec.values.items()}})
        except BaseException as e:  # noqa: BLE001
            out.append({"error": _error(e, "check")})
    return out


# ---------------------------------------------------------------- locking the child down

def _libc() -> ctypes.CDLL:
    return ctypes.CDLL("libc.so.6", use_errno=True)


# Runtime folders that live under /tmp on the host (a checkout in /tmp), as (stash, path):
# the private /tmp would hide them, so they are bound back read-only from their stash.
REBIND: list[tuple[str, str]] = []
RUN_UID = [1000]  # the uid a run has inside its own namespace (set from the worker's config)
MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC = 0x1, 0x20, 0x1000, 0x4000


def private_tmp(tmp_mb: int, shm_mb: int, uid: int) -> None:
    """Fresh user, mount, IPC and UTS namespaces with their own /tmp and /dev/shm: runs never
    see each other's files or shared memory, and all of it is gone when the run ends. Inside,
    the run is `uid`; outside it stays the worker's unprivileged uid."""
    libc = _libc()
    outer_uid, outer_gid = os.getuid(), os.getgid()
    flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS
    if libc.unshare(flags) != 0:
        raise OSError(ctypes.get_errno(), "unshare(user+mount+ipc+uts) failed")
    for path, text in (("setgroups", "deny"), ("uid_map", f"{uid} {outer_uid} 1"),
                       ("gid_map", f"{uid} {outer_gid} 1")):
        with open(f"/proc/self/{path}", "w") as f:
            f.write(text)
    if libc.mount(None, b"/", None, 0x4000 | 0x40000, None) != 0:  # MS_REC | MS_PRIVATE
        raise OSError(ctypes.get_errno(), "making mounts private failed")
    for where, size in ((b"/tmp", tmp_mb), (b"/dev/shm", shm_mb)):
        opts = f"size={size}m,mode=1777".encode()
        if libc.mount(b"tmpfs", where, b"tmpfs", 0x2 | 0x4, opts) != 0:  # nosuid, nodev
            raise OSError(ctypes.get_errno(), f"mounting a private {where.decode()} failed")
    for stash, path in REBIND:
        os.makedirs(path, exist_ok=True)
        if libc.mount(stash.encode(), path.encode(), None, MS_BIND | MS_REC, None) != 0:
            raise OSError(ctypes.get_errno(), f"binding the runtime at {path} failed")
        flags = MS_BIND | MS_REMOUNT | MS_RDONLY | 0x2 | 0x4  # keep nosuid, nodev
        libc.mount(None, path.encode(), None, flags, None)
        if not os.statvfs(path).f_flag & os.ST_RDONLY:
            raise OSError(1, f"{path} could not be made read-only")


def drop_to_unprivileged(host_uid: int | None) -> None:
    """A worker started by root gives up uid 0 (and with it every capability) for good."""
    if host_uid is None or os.getuid() != 0:
        return
    os.setgroups([])
    os.setresgid(host_uid, host_uid, host_uid)
    os.setresuid(host_uid, host_uid, host_uid)


def isolation_problems() -> list[str]:
    """What is wrong with this sandbox, checked from inside before any code runs."""
    problems = []
    if 0 in os.getresuid() or 0 in os.getresgid():
        problems.append("the worker runs as root")
    with open("/proc/self/status") as f:
        caps = {k: v.strip() for k, v in (line.split(":", 1) for line in f if ":" in line)}
    if int(caps.get("CapEff", "1"), 16) or int(caps.get("CapPrm", "1"), 16):
        problems.append("the worker holds capabilities")
    for path in KERNEL_FILES:
        try:
            os.close(os.open(path, os.O_WRONLY))
            problems.append(f"{path} is writable")
        except OSError:
            pass
    for path in ("/", "/dev"):
        if not os.statvfs(path).f_flag & os.ST_RDONLY:
            problems.append(f"{path} is writable")
    return problems


def drop_capabilities() -> None:
    """Clear every capability (those the private namespace granted) and set no_new_privs."""
    libc = _libc()
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)
    data = (ctypes.c_uint32 * 6)()
    if libc.capset(header, data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")
    libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS


def apply_rlimits(limits: dict[str, int]) -> None:
    pairs = {"cpu_s": resource.RLIMIT_CPU, "as_bytes": resource.RLIMIT_AS,
             "fsize_bytes": resource.RLIMIT_FSIZE, "nofile": resource.RLIMIT_NOFILE,
             "nproc": resource.RLIMIT_NPROC, "core": resource.RLIMIT_CORE}
    for key, which in pairs.items():
        if limits.get(key) is not None:
            soft = int(limits[key])
            hard = soft + 1 if key == "cpu_s" else soft
            resource.setrlimit(which, (soft, hard))


def apply_seccomp(threads: bool = False) -> None:
    """Deny what code never needs; processes cannot be created, signals reach only itself."""
    import pyseccomp as sc

    me = os.getpid()
    f = sc.SyscallFilter(sc.ALLOW)
    if threads:
        f.set_attr(sc.Attr.CTL_TSYNC, 1)
    for name in DENIED_SYSCALLS:
        f.add_rule(sc.ERRNO(1), name)
    for name in ENOSYS_SYSCALLS:
        f.add_rule(sc.ERRNO(38), name)
    f.add_rule(sc.ERRNO(1), "clone", sc.Arg(0, sc.MASKED_EQ, CLONE_THREAD, 0))
    # Signals, queued signals, rlimits, priority and scheduling reach only this process:
    # the worker and other runs share its uid inside the sandbox.
    for name in ("kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo"):
        f.add_rule(sc.ERRNO(1), name, sc.Arg(0, sc.NE, me))
    for name in ("prlimit64", "sched_setaffinity", "sched_setscheduler", "sched_setparam"):
        f.add_rule(sc.ERRNO(1), name, sc.Arg(0, sc.NE, 0))  # 0 = this process
    f.add_rule(sc.ERRNO(1), "setpriority", sc.Arg(1, sc.NE, 0))
    f.add_rule(sc.ERRNO(13), "socket", sc.Arg(0, sc.NE, AF_UNIX))
    # A run stays non-dumpable: no other process may open its memory through /proc.
    f.add_rule(sc.ERRNO(1), "prctl", sc.Arg(0, sc.EQ, PR_SET_DUMPABLE))
    f.load()


def _fresh_stdio() -> None:
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
    sys.stdin = open(os.devnull)


def _read_all(fd: int, limit: int) -> bytes:
    chunks, total = [], 0
    while chunk := os.read(fd, 1 << 16):
        total += len(chunk)
        if total > limit:
            raise ValueError("request too large")
        chunks.append(chunk)
    return b"".join(chunks)


def child_main(fds: list[int], forked: bool) -> None:
    """The per-run process: wire fds, lock down, run, write the result, exit. Never returns."""
    code = 70
    try:
        req_r, out_w, err_w, res_w = fds[:4]
        request = json.loads(_read_all(req_r, MAX_REQUEST_BYTES))
        null = os.open(os.devnull, os.O_RDONLY)
        for src, dst in ((null, 0), (out_w, 1), (err_w, 2), (res_w, 3)):
            os.dup2(src, dst)
        os.closerange(4, 1 << 16)
        try:
            lockdown(request, forked)
        except Exception as e:  # noqa: BLE001 - reported, then the run ends
            _report({"setup_error": f"{type(e).__name__}: {e}", "where": traceback.format_exc()[-600:]})
            raise
        result, code = run_code(request)
        _report(result)
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001 - the stream may be closed by candidate code
                pass
        os._exit(code)


def lockdown(request: dict[str, Any], forked: bool) -> None:
    limits = request.get("limits", {})
    if forked:
        prctl = _libc().prctl
        prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE 1: needed to write our own uid_map
        private_tmp(int(limits.get("tmp_mb", 64)), int(limits.get("shm_mb", 16)), RUN_UID[0])
        prctl(4, 0, 0, 0, 0)  # and off again: other runs cannot open our /proc/PID/mem
    os.chdir("/tmp")
    drop_capabilities()
    apply_rlimits(limits)
    apply_seccomp(threads=not forked)
    _fresh_stdio()


def _report(result: dict[str, Any]) -> None:
    result["uss_kb"] = _uss_kb()
    data = json.dumps(result).encode()
    view = memoryview(data)
    while view:
        view = view[os.write(3, view):]


def _uss_kb() -> int | None:
    try:
        with open("/proc/self/smaps_rollup") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        return sum(int(fields[k].split()[0]) for k in ("Private_Clean", "Private_Dirty"))
    except (OSError, KeyError, ValueError):
        return None


# ---------------------------------------------------------------- the warm worker

def _import_seccomp(libs: dict[str, str]) -> None:
    """pyseccomp looks libraries up with ldconfig, which the sandbox does not have."""
    original = ctypes.util.find_library
    ctypes.util.find_library = lambda name: libs.get(name) or original(name)
    try:
        import pyseccomp  # noqa: F401
    finally:
        ctypes.util.find_library = original


def warm_up(device: str, memory_fraction: float) -> dict[str, Any]:
    import torch

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    if device == "cuda":
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.cuda.set_per_process_memory_fraction(memory_fraction)
        torch.zeros(1, device="cuda")
    _touch_lazy_imports(torch)
    prctl = _libc().prctl
    prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: children cannot read or write our memory
    gc.collect()
    gc.freeze()
    return {"torch": torch.__version__, "threads": _thread_count(), "vm_kb": _vm_kb(),
            "pid": os.getpid()}


def _touch_lazy_imports(torch: Any) -> None:
    """Import now what torch imports lazily (optimizers pull in torch._dynamo: ~1 s), so
    each forked run does not pay for it again."""
    import io

    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.LayerNorm(4))
    for opt in (torch.optim.SGD(model.parameters(), lr=0.1),
                torch.optim.Adam(model.parameters()), torch.optim.AdamW(model.parameters())):
        model(torch.randn(2, 4)).sum().backward()
        opt.step()
        torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0).step()
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    buf.seek(0)
    torch.load(buf, weights_only=True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        model(torch.randn(2, 4))
    torch.amp.GradScaler("cpu")
    torch.nn.LSTM(2, 2)(torch.randn(3, 1, 2))
    torch.utils.data.DataLoader(list(range(4)), batch_size=2)


def _thread_count() -> int:
    return len(os.listdir("/proc/self/task"))


def _vm_kb() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmSize:"))


def _send(sock: socket.socket, doc: dict[str, Any], fds: list[int] | None = None) -> None:
    socket.send_fds(sock, [json.dumps(doc).encode()], fds or [])


def serve(sock: socket.socket, forked: bool) -> None:
    """Answer requests until the control socket closes; in single mode, exactly one."""
    sel = selectors.DefaultSelector()
    sel.register(sock, selectors.EVENT_READ, None)
    while True:
        for key, _ in sel.select():
            if key.data is None:
                if not _accept(sock, sel, forked):
                    return
            else:
                _reap(sel, key)


def _accept(sock: socket.socket, sel: selectors.BaseSelector, forked: bool) -> bool:
    msg, fds, _, _ = socket.recv_fds(sock, 1 << 16, 8)
    if not msg:
        return False
    req = json.loads(msg)
    if not forked:
        _send(sock, {"id": req["id"], "pid": os.getpid()}, [])
        os.close(fds[4])
        child_main(fds, forked=False)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        sock.close()
        child_main(fds, forked=True)
    pidfd = os.pidfd_open(pid)
    _send(sock, {"id": req["id"], "pid": pid}, [pidfd])
    for fd in fds[:4]:
        os.close(fd)
    sel.register(pidfd, selectors.EVENT_READ, (pid, fds[4]))
    return True


def _reap(sel: selectors.BaseSelector, key: selectors.SelectorKey) -> None:
    pid, status_w = key.data
    sel.unregister(key.fileobj)
    os.close(key.fd)
    _, status, usage = os.wait4(pid, 0)
    doc = {"exit_code": os.waitstatus_to_exitcode(status), "cpu_s": usage.ru_utime +
           usage.ru_stime, "maxrss_kb": usage.ru_maxrss}
    try:
        os.write(status_w, json.dumps(doc).encode())
    except OSError:
        pass
    os.close(status_w)


def main(argv: list[str]) -> None:
    config = json.loads(argv[1])
    REBIND.extend((stash, path) for stash, path in config.get("rebind", []))
    RUN_UID[0] = int(config.get("uid", RUN_UID[0]))
    sock = socket.socket(fileno=config["control_fd"])
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    drop_to_unprivileged(config.get("host_uid"))
    _import_seccomp(config["libs"])
    info = warm_up(config["device"], config.get("memory_fraction", 0.5))
    _send(sock, {"ready": True, "isolation_problems": isolation_problems(), **info})
    serve(sock, forked=config["device"] == "cpu")


if __name__ == "__main__":
    main(sys.argv)
