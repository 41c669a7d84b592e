"""Hidden checks, decided on the trusted side.

The same probe runs twice: in the sandbox against the candidate's code, and here against the
reference solution (our code, run in this process). Only the values the candidate's probe
recorded cross back, as raw data; what to compare and with which tolerance comes from the
reference side. A candidate that prints "passed" or returns extra keys changes nothing.
"""

from __future__ import annotations

import math
import random
import threading
from contextlib import nullcontext
from typing import Any

from interviewer.executor._inside import Recorder
from interviewer.executor.exercises import Exercise
from interviewer.executor.results import MESSAGE_CHARS, TRACEBACK_CHARS, CheckResult, clip
from interviewer.executor.wire import decode_value

DEFAULT_TOLERANCE = {"float64": (1e-7, 1e-7), "float32": (1e-5, 1.3e-5),
                     "float16": (1e-3, 1e-3), "bfloat16": (1e-2, 1.6e-2)}
GRADCHECK_TOL = (1e-5, 1e-3)
_REFERENCE_LOCK = threading.Lock()
_NAMESPACES: dict[str, dict[str, Any]] = {}


class TrustedRecorder(Recorder):
    """The reference never uses banned shortcuts; patching torch here would race other runs."""

    def forbid(self, owner: Any, *names: str):
        return nullcontext()


def concrete_cases(exercise: Exercise, rng: random.Random | None = None) -> list[dict]:
    """Cases with seeds: fixed ones as written, `random: true` ones drawn fresh per run."""
    rng = rng or random.SystemRandom()
    out = []
    for case in exercise.cases:
        for i in range(int(case.get("repeat", 1))):
            c = {k: v for k, v in case.items() if k not in ("random", "repeat")}
            if case.get("random"):
                c["seed"] = rng.randrange(1 << 31)
                c["name"] = f"{case['name']} (seed {c['seed']})"
            c.setdefault("seed", i)
            out.append(c)
    return out


def reference_records(exercise: Exercise, cases: list[dict]) -> list[TrustedRecorder]:
    import torch

    with _REFERENCE_LOCK, torch.random.fork_rng():
        ns = _NAMESPACES.get(exercise.id)
        if ns is None:
            ns = {"__name__": "__main__"}
            exec(compile(exercise.solution, f"<solution {exercise.id}>", "exec"), ns)
            _NAMESPACES[exercise.id] = ns
        scope: dict[str, Any] = {"__name__": "probe"}
        exec(compile(exercise.probe, "<checks>", "exec"), scope)
        records = []
        for case in cases:
            rec = TrustedRecorder("cpu")
            scope["probe"](ns, dict(case), rec)
            records.append(rec)
        return records


def evaluate(exercise: Exercise, cases: list[dict], refs: list[TrustedRecorder],
             got: Any) -> list[CheckResult]:
    """One CheckResult per case; the candidate's side is untrusted JSON."""
    if not isinstance(got, list) or len(got) != len(cases):
        return [CheckResult("checks", False, "the checks did not complete in the sandbox")]
    return [_check_case(case, ref, item, exercise.tolerance)
            for case, ref, item in zip(cases, refs, got)]


def _check_case(case: dict, ref: TrustedRecorder, item: Any, tol: dict) -> CheckResult:
    name = case["name"]
    if not isinstance(item, dict):
        return CheckResult(name, False, "no result for this case")
    if item.get("error"):
        err = item["error"] if isinstance(item["error"], dict) else {}
        msg = f"raised {clip(err.get('type', 'an error'), 100)}: " \
              f"{clip(err.get('message', ''), MESSAGE_CHARS)}"
        trace = clip(err.get("traceback", ""), TRACEBACK_CHARS)
        return CheckResult(name, False, _with_inputs(msg + "\n" + trace, ref))
    values = item.get("values") if isinstance(item.get("values"), dict) else {}
    for key, expected in ref.values.items():
        if key not in values:
            return CheckResult(name, False, _with_inputs(f"{key}: no value produced", ref))
        try:
            problem = compare(expected, decode_value(values[key]), ref.options.get(key, {}), tol)
        except Exception as e:  # noqa: BLE001 - malformed candidate data fails the case
            problem = f"unusable value ({type(e).__name__}: {e})"
        if problem:
            return CheckResult(name, False, _with_inputs(f"{key}: {problem}", ref))
    return CheckResult(name, True, "ok")


def compare(expected: Any, got: Any, options: dict, tol: dict) -> str | None:
    """None when `got` matches `expected`, else a sentence saying how it differs."""
    import torch

    if options.get("kind") == "gradcheck":
        return _compare_gradcheck(expected, got, options)
    if isinstance(expected, torch.Tensor):
        if not isinstance(got, torch.Tensor):
            return f"expected a tensor, got {type(got).__name__}"
        return _compare_tensor(expected, got, options, tol)
    if isinstance(expected, (list, tuple)):
        if not isinstance(got, list) or len(got) != len(expected):
            return f"expected a list of {len(expected)}, got {_short(got)}"
        for i, (e, g) in enumerate(zip(expected, got)):
            if problem := compare(e, g, options, tol):
                return f"[{i}] {problem}"
        return None
    if isinstance(expected, dict):
        if not isinstance(got, dict) or set(got) != set(expected):
            return f"expected keys {sorted(expected)}, got {_short(got)}"
        for k in expected:
            if problem := compare(expected[k], got[k], options, tol):
                return f"[{k!r}] {problem}"
        return None
    return _compare_scalar(expected, got, options)


def _compare_scalar(expected: Any, got: Any, options: dict) -> str | None:
    if isinstance(expected, float) and isinstance(got, (int, float)) and \
            not isinstance(got, bool):
        atol, rtol = options.get("atol", 1e-6), options.get("rtol", 1e-5)
        if math.isclose(expected, got, rel_tol=rtol, abs_tol=atol) or \
                (math.isnan(expected) and math.isnan(got)):
            return None
        return f"expected {expected!r}, got {got!r} (atol {atol}, rtol {rtol})"
    if type(expected) is not type(got) or expected != got:
        return f"expected {_short(expected)}, got {_short(got)}"
    return None


def _compare_tensor(expected: Any, got: Any, options: dict, tol: dict) -> str | None:
    import torch

    if options.get("check_dtype", True) and got.dtype != expected.dtype:
        return f"dtype {got.dtype}, expected {expected.dtype}"
    if tuple(got.shape) != tuple(expected.shape):
        return f"shape {tuple(got.shape)}, expected {tuple(expected.shape)}"
    if not (expected.is_floating_point() or expected.is_complex()):
        if torch.equal(got.to(expected.dtype), expected):
            return None
        bad = (got.to(expected.dtype) != expected).nonzero()[0].tolist()
        return f"differs at index {tuple(bad)}: got {got[tuple(bad)].item()}, " \
               f"expected {expected[tuple(bad)].item()}"
    dt = str(expected.dtype).removeprefix("torch.")
    atol, rtol = tol.get(dt, DEFAULT_TOLERANCE.get(dt, (1e-5, 1e-5)))
    atol, rtol = options.get("atol", atol), options.get("rtol", rtol)
    e, g = expected.to(torch.float64), got.to(torch.float64)
    if torch.allclose(g, e, rtol=rtol, atol=atol, equal_nan=True):
        return None
    diff = (g - e).abs().nan_to_num(nan=math.inf)
    idx = tuple(torch.unravel_index(diff.argmax(), diff.shape)) if diff.dim() else ()
    idx = tuple(int(i) for i in idx)
    return (f"max abs difference {diff.max().item():.3g} at index {idx}: got "
            f"{g[idx].item():.6g}, expected {e[idx].item():.6g} (atol {atol:g}, rtol {rtol:g})")


def _compare_gradcheck(expected: Any, got: Any, options: dict) -> str | None:
    """Numerical Jacobian from the candidate's own forward values vs its backward. Every
    shape is checked against the reference's before any arithmetic: (N,1) minus (1,N) would
    otherwise broadcast to N x N on our side."""
    import torch

    if not isinstance(got, dict) or set(got) != {"analytic", "plus", "minus"}:
        return "gradcheck data missing"
    for key in ("analytic", "plus", "minus"):
        value, shape = got[key], tuple(expected[key].shape)
        if not isinstance(value, torch.Tensor) or not value.is_floating_point():
            return f"gradcheck: {key} is not a floating-point tensor"
        if tuple(value.shape) != shape:
            return f"gradcheck: {key} has shape {tuple(value.shape)}, expected {shape}"
    eps = options.get("eps", 1e-6)
    numerical = ((got["plus"].to(torch.float64) - got["minus"].to(torch.float64))
                 / (2 * eps)).T
    analytic = got["analytic"].to(torch.float64)
    atol, rtol = GRADCHECK_TOL
    if not torch.allclose(analytic, numerical, atol=atol, rtol=rtol):
        worst = (analytic - numerical).abs().max().item()
        return f"gradcheck failed: backward disagrees with finite differences of forward " \
               f"(max difference {worst:.3g})"
    return _compare_tensor(expected["analytic"], analytic, {}, {"float64": (1e-6, 1e-5)})


def _short(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _with_inputs(message: str, ref: TrustedRecorder) -> str:
    import torch

    if not ref.inputs:
        return message
    with _print_options(torch):
        parts = [f"  {k} = {_short(v, 600)}" for k, v in ref.inputs.items()]
    return message.rstrip() + "\ninput:\n" + "\n".join(parts)


def _print_options(torch: Any):
    class _Opts:
        def __enter__(self):
            self.saved = torch._tensor_str.PRINT_OPTS.__dict__.copy()
            torch.set_printoptions(precision=4, threshold=40, edgeitems=3, linewidth=100)

        def __exit__(self, *exc: Any) -> None:
            torch._tensor_str.PRINT_OPTS.__dict__.update(self.saved)

    return _Opts()
