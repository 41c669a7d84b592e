"""`Executor`: run candidate torch code in the sandbox and, for an exercise, grade it.

    with Executor() as ex:
        result = ex.run(code, exercise="tensor-pairwise-distances")

`run` is thread-safe; up to `concurrency` runs go in parallel and the rest wait their turn.
A run's failure (syntax error, timeout, crash...) is data on the RunResult, not an exception;
InputError is raised only for a bad call (unknown exercise id, code that is not text).
"""

from __future__ import annotations

import json
import signal
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from interviewer.errors import InputError, ServiceError
from interviewer.executor import checks, static
from interviewer.executor.collect import Collected, collect
from interviewer.executor.exercises import Exercise, get_exercise
from interviewer.executor.results import (MESSAGE_CHARS, TRACEBACK_CHARS, CheckResult,
                                          RunResult, clip)
from interviewer.executor.sandbox import (SandboxConfig, SandboxUnavailable, Submission,
                                          Worker, gpu_present)
from interviewer.executor.wire import decode_value

MAX_CODE_BYTES = 256 * 1024
RESULT_LIMIT = 8 << 20
MEMORY_WORDS = ("can't allocate memory", "not enough memory", "out of memory", "bad_alloc")


@dataclass(frozen=True)
class Limits:
    wall_s: float = 10.0
    memory_mb: int = 1024
    output_bytes: int = 64 * 1024
    file_mb: int = 32
    tmp_mb: int = 64
    shm_mb: int = 16
    open_files: int = 256

    def for_child(self, base_vm_kb: int, gpu: bool) -> dict:
        """rlimits and sizes for one run. Its /tmp and /dev/shm live in memory, so their caps
        come out of the run's memory budget."""
        files_mb = self.tmp_mb + self.shm_mb
        return {"cpu_s": max(1, int(self.wall_s + 0.999)), "fsize_bytes": self.file_mb << 20,
                "nofile": self.open_files, "nproc": 256, "core": 0, "tmp_mb": self.tmp_mb,
                "shm_mb": self.shm_mb, "as_bytes": None if gpu else
                (base_vm_kb << 10) + (max(self.memory_mb - files_mb, 64) << 20)}


class Executor:
    """Runs code in a warm sandboxed worker. Constructing it starts nothing; `start()` (or
    entering the `with` block) warms the worker so the first run is fast."""

    def __init__(self, settings=None, device: str | None = None, concurrency: int | None = None,
                 *, bwrap: str | None = None, wall_s: float | None = None,
                 memory_mb: int | None = None, output_kb: int | None = None,
                 exercises_dir: Path | None = None) -> None:
        from interviewer.settings import Settings

        s = settings or Settings()
        self.requested_device = device or s.executor_device
        if self.requested_device not in ("cpu", "cuda", "auto"):
            raise InputError(f"device must be cpu, cuda or auto, not {self.requested_device!r}")
        self.concurrency = concurrency or s.executor_concurrency
        self.limits = Limits(wall_s or s.executor_wall_s, memory_mb or s.executor_memory_mb,
                             (output_kb or s.executor_output_kb) * 1024)
        self.exercises_dir = exercises_dir or s.knowledge_dir / "exercises"
        self._bwrap = bwrap or s.executor_bwrap
        self._slots = threading.BoundedSemaphore(self.concurrency)
        self._lock = threading.Lock()
        self._worker: Worker | None = None
        self._spare: Future | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._device: str | None = None

    # ------------------------------------------------------------ lifecycle

    @property
    def device(self) -> str:
        if self._device is None:
            want = self.requested_device
            self._device = ("cuda" if gpu_present() else "cpu") if want == "auto" else want
        return self._device

    def __enter__(self) -> "Executor":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Warm the worker now; a refusal is remembered and reported by each run."""
        try:
            if self.device == "cuda":
                self._prefetch_gpu()
            else:
                self._cpu_worker()
        except SandboxUnavailable:
            pass

    def close(self) -> None:
        with self._lock:
            worker, self._worker = self._worker, None
            spare, self._spare = self._spare, None
        if worker:
            worker.close()
        if spare:
            try:
                spare.result(timeout=120).close()
            except Exception:  # noqa: BLE001 - a spare that failed to start has nothing to close
                pass
        if self._pool:
            self._pool.shutdown(wait=False)

    def _config(self, device: str) -> SandboxConfig:
        return SandboxConfig(bwrap=self._bwrap, device=device, tmp_mb=self.limits.tmp_mb,
                             shm_mb=self.limits.shm_mb,
                             cgroup_pids=64 * self.concurrency + 64,
                             cgroup_memory_mb=(self.limits.memory_mb + 512) * self.concurrency
                             + 1024)

    def _cpu_worker(self) -> Worker:
        with self._lock:
            if self._worker is None or not self._worker.alive:
                if self._worker:
                    self._worker.close()
                self._worker = None
                self._worker = Worker(self._config("cpu")).start()
            return self._worker

    def _prefetch_gpu(self) -> None:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(1, thread_name_prefix="gpu-worker")
            if self._spare is None:
                self._spare = self._pool.submit(
                    lambda: Worker(self._config("cuda"), single=True).start())

    def _gpu_worker(self) -> Worker:
        if not gpu_present():
            raise SandboxUnavailable("no CUDA device here (device=cuda was asked for)")
        self._prefetch_gpu()
        with self._lock:
            spare, self._spare = self._spare, None
        worker = spare.result()
        self._prefetch_gpu()
        return worker

    def _submit(self) -> Submission:
        for attempt in (1, 2):
            worker = self._gpu_worker() if self.device == "cuda" else self._cpu_worker()
            try:
                return worker.submit()
            except ServiceError:
                worker.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    # ------------------------------------------------------------ running

    def run(self, code: str, exercise: Exercise | str | None = None,
            wall_s: float | None = None) -> RunResult:
        if not isinstance(code, str):
            raise InputError("code must be text")
        if len(code.encode("utf-8", "replace")) > MAX_CODE_BYTES:
            raise InputError(f"code is longer than {MAX_CODE_BYTES // 1024} KiB")
        ex = get_exercise(exercise, self.exercises_dir) if isinstance(exercise, str) else exercise
        limits = self.limits if wall_s is None else Limits(
            wall_s, self.limits.memory_mb, self.limits.output_bytes)
        refused = _against_the_rules(code, ex) if ex else None
        if refused:
            result = refused
        else:
            with self._slots:
                result = self._run(code, ex, limits)
        result.exercise = ex.id if ex else None
        result.device = self.device
        return result

    def _run(self, code: str, ex: Exercise | None, limits: Limits) -> RunResult:
        cases = checks.concrete_cases(ex) if ex else []
        try:
            sub = self._submit()
        except SandboxUnavailable as e:
            return RunResult("refused", message=str(e))
        except ServiceError as e:
            return RunResult("crashed", message=str(e))
        try:
            gpu = sub.worker.single
            device = "cpu" if (ex and ex.cpu_only) or not gpu else "cuda"
            request = {"code": code, "probe": ex.probe if ex else None, "cases": cases,
                       "device": device,
                       "limits": limits.for_child(sub.worker.info.get("vm_kb", 0), gpu)}
            got = collect(sub, json.dumps(request).encode(), limits.wall_s,
                          limits.output_bytes, RESULT_LIMIT)
            status = _json_or_none(got.status)
            if sub.worker.single:
                code_ = sub.worker.wait(5)
                status = status or {"exit_code": code_}
                sub.worker.close()
            elif got.lost or not sub.worker.alive:
                sub.worker.close()
        finally:
            sub.close()
        result = classify(got, status, limits)
        if ex and result.status == "ok":
            grade(result, ex, cases, _json_or_none(got.result))
        return result


def _against_the_rules(code: str, ex: Exercise) -> RunResult | None:
    """A failed check, without running, for code that uses a banned shortcut or reaches for
    the hidden checks (see static.py)."""
    found = static.violations(code, ex.probe)
    if not found:
        return None
    text = "; ".join(v.sentence() for v in found[:5])
    return RunResult("failed", message=f"the code breaks the exercise's rules: {text}",
                     checks=[CheckResult("rules", False, text)])


def _json_or_none(data: bytes) -> dict | None:
    try:
        doc = json.loads(bytes(data)) if data else None
    except (ValueError, UnicodeDecodeError, RecursionError):  # nesting 100k deep, say
        return None
    return doc if isinstance(doc, dict) else None


def classify(got: Collected, status: dict | None, limits: Limits) -> RunResult:
    """Turn what came back into a status and a sentence; nothing here trusts the child."""
    doc = _json_or_none(got.result) or {}
    exit_code = status.get("exit_code") if status else None
    res = RunResult("ok", stdout=got.stdout.decode("utf-8", "replace"),
                    stderr=got.stderr.decode("utf-8", "replace"), exit_code=exit_code,
                    seconds=round(got.seconds, 4), truncated=got.truncated)
    uss = doc.get("uss_kb")
    res.memory_kb = uss if isinstance(uss, int) else None
    res.status, res.message = _status(got, doc, exit_code, status or {}, limits)
    err = doc.get("error") if isinstance(doc.get("error"), dict) else None
    if err and res.status in ("error", "memory"):
        res.traceback = clip(err.get("traceback", ""), TRACEBACK_CHARS)
    return res


def _status(got: Collected, doc: dict, exit_code: int | None, status: dict,
            limits: Limits) -> tuple[str, str]:
    if got.killed == "timeout":
        return "timeout", f"stopped after the wall-time limit of {limits.wall_s:g} s"
    if got.killed == "output_limit":
        return "output_limit", f"output passed the limit of {limits.output_bytes} bytes; " \
                               "the run was stopped"
    if got.killed == "result_limit":
        return "crashed", "the result was too large to send back"
    if exit_code == -signal.SIGXCPU:
        return "timeout", f"CPU-time limit of {limits.wall_s:g} s exceeded"
    if doc.get("setup_error"):
        return "refused", "sandbox setup failed, code not run: " + \
            clip(doc["setup_error"], MESSAGE_CHARS)
    if got.lost:
        return "crashed", "the sandbox worker stopped answering; it will be restarted"
    err = doc.get("error") if isinstance(doc.get("error"), dict) else None
    if err:
        text = f"{clip(err.get('type'), 100)}: {clip(err.get('message'), MESSAGE_CHARS)}"
        if err.get("type") == "MemoryError" or any(w in text for w in MEMORY_WORDS):
            return "memory", f"memory limit of {limits.memory_mb} MB reached ({text[:300]})"
        return "error", text
    return _exit_status(doc, exit_code)


def _exit_status(doc: dict, exit_code: int | None) -> tuple[str, str]:
    if exit_code is not None and exit_code < 0:
        name = signal.Signals(-exit_code).name if -exit_code in signal.valid_signals() \
            else str(-exit_code)
        hint = " (segmentation fault)" if exit_code == -signal.SIGSEGV else ""
        return "crashed", f"the process was killed by {name}{hint}"
    if not doc and exit_code:
        return "error", f"the process exited with code {exit_code} before finishing"
    if exit_code is None:
        return "crashed", "the sandbox worker did not report how the run ended"
    return "ok", "ran without errors"


def grade(result: RunResult, ex: Exercise, cases: list[dict], doc: dict | None) -> None:
    """Compare the candidate's raw values with the reference's, case by case."""
    try:
        refs = checks.reference_records(ex, cases)
    except Exception as e:  # noqa: BLE001 - a bug in the exercise, not in the candidate's code
        result.status = "crashed"
        result.message = f"the exercise's own reference failed ({type(e).__name__}: {e}); " \
                         "this is a bug in the exercise"
        return
    got = doc.get("cases") if doc else None
    result.checks = checks.evaluate(ex, cases, refs, got)
    failed = [c for c in result.checks if not c.passed]
    result.status = "failed" if failed else "passed"
    result.message = (f"{len(failed)} of {len(result.checks)} checks failed; first: "
                      f"{failed[0].name}") if failed else f"all {len(result.checks)} checks passed"


__all__ = ["Executor", "Limits", "RunResult", "classify", "decode_value"]
