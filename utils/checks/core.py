"""The check framework behind every test cell.

An exercise's checks are a generator of `Case`s: the arguments to call the student's function
with, and a `judge` that inspects what came back and raises `CheckFailure` with a message a
student can act on. Running a check is then: call the function on each case, judge the output.

Keeping "call" and "judge" apart is deliberate: the grader can record the outputs inside the
student's kernel (evidence) and run the judges in its own clean process (verdict), so nothing the
student's code does to the kernel can forge a pass, with no change to the notebooks.
"""
from __future__ import annotations

import contextlib
import copy
import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from ..gradcheck import rel_error
from . import evidence
from .references import _serving_checks


class CheckFailure(AssertionError):
    """A check failed; the message says what was expected and what came back."""


@dataclass
class Case:
    args: tuple
    judge: Callable[[Any], None]
    label: str = ""
    kwargs: dict = field(default_factory=dict)
    #: how to call the student's function: `call(fn, *args, **kwargs)`; None calls
    #: `fn(*args, **kwargs)` once. A driver lets one case call `fn` many times (e.g. an optimizer's
    #: update rule over 100 steps, threading its state); the judge still sees only the result.
    call: Callable | None = None


CaseFactory = Callable[[], Iterable[Case]]


class Registry:
    """The checks of one notebook, by exercise name."""

    def __init__(self, assignment: str):
        self.assignment = assignment
        self.factories: dict[str, CaseFactory] = {}

    def exercise(self, name: str):
        def register(factory: CaseFactory) -> CaseFactory:
            if name in self.factories:
                raise ValueError(f"{self.assignment}: two checks named {name!r}")
            self.factories[name] = factory
            return factory
        return register

    def cases(self, name: str) -> list[Case]:
        with _serving_checks():   # (making some cases asks the references, see references.py)
            return list(self.factories[name]())


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def call_student(name: str, fn: Callable, case: Case):
    """Call the student's function on a private copy of the case's inputs."""
    if not callable(fn):
        raise CheckFailure(f"{name}: expected a function, got {type(fn).__name__}. "
                           f"Did you run the cell that defines {name}?")
    args = copy.deepcopy(case.args)
    kwargs = copy.deepcopy(case.kwargs)
    try:
        return fn(*args, **kwargs) if case.call is None else case.call(fn, *args, **kwargs)
    except NotImplementedError:
        raise CheckFailure(f"{name} is not implemented yet: replace the "
                           f"`raise NotImplementedError` with your code.") from None
    except CheckFailure:
        raise
    except Exception as exc:  # the student's bug: report it, keep the original traceback chained
        raise CheckFailure(f"{name} raised {_describe(exc)} on {case.label or 'a test input'}") from exc


def callable_as(fn: Callable, *args, **kwargs) -> None:
    """Raise the TypeError that `fn(*args, **kwargs)` would raise for its signature, before a
    driver spends seconds building what it passes (a model, a learner). A callable without a
    signature is left to the call."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return
    try:
        signature.bind(*args, **kwargs)
    except TypeError as exc:
        raise TypeError(f"{getattr(fn, '__name__', type(fn).__name__)}() {exc}") from None


def judge_output(name: str, case: Case, output, index: int, total: int) -> None:
    try:
        with _serving_checks():
            case.judge(output)
    except CheckFailure as exc:
        where = f"case {index + 1}/{total}" + (f" ({case.label})" if case.label else "")
        raise CheckFailure(f"{name}, {where}: {exc}") from None


def run_checks(registry: Registry, name: str, fn: Callable, *, quiet: bool = False,
               kind: str = "visible") -> int:
    """Run every case of `name` against `fn`; raise on the first failure. Returns the count.

    Under the grader (`evidence.recording()`), only record the outputs: the verdict is reached
    outside this kernel.
    """
    if name not in registry.factories:
        raise KeyError(f"no check named {name!r} in {registry.assignment}")
    cases = registry.cases(name)
    if evidence.recording():
        return _record_outputs(kind, name, fn, cases)
    for i, case in enumerate(cases):
        judge_output(name, case, call_student(name, fn, case), i, len(cases))
    if not quiet:
        print(f"\N{HEAVY CHECK MARK} {name}: {len(cases)} check{'s' * (len(cases) != 1)} passed")
    return len(cases)


def _record_outputs(kind: str, name: str, fn: Callable, cases: list[Case]) -> int:
    outputs = []
    try:
        for case in cases:
            outputs.append(call_student(name, fn, case))
    except CheckFailure as exc:
        evidence.record(kind, name, [], error=str(exc))
        raise
    evidence.record(kind, name, outputs)
    print(f"{name}: {len(cases)} {kind} output{'s' * (len(cases) != 1)} recorded for grading")
    return len(cases)


# ---- assertions a judge uses; each raises CheckFailure with expected vs got ----------------

_error_logs: list[list] = []


@contextlib.contextmanager
def recording_errors():
    """Collect `(what, relative error)` of every `expect_close` inside the block (benchmarks)."""
    log: list = []
    _error_logs.append(log)
    try:
        yield log
    finally:
        _error_logs.remove(log)


def _preview(a, n: int = 6) -> str:
    a = np.asarray(a)
    flat = a.ravel()[:n]
    body = np.array2string(flat, precision=6, separator=", ", suppress_small=False)
    return body + (" ..." if a.size > n else "")


def expect_array(what: str, got, *, shape=None, dtype_kind: str | None = "f") -> np.ndarray:
    """`got` must be a numpy array (of floats by default) with the given shape."""
    if isinstance(got, (list, tuple)) or np.isscalar(got):
        got = np.asarray(got)
    if not isinstance(got, np.ndarray):
        raise CheckFailure(f"{what} should be a numpy array, got {type(got).__name__}")
    if shape is not None and got.shape != tuple(shape):
        raise CheckFailure(f"{what} has shape {got.shape}, expected {tuple(shape)}")
    if dtype_kind == "f" and got.dtype.kind not in "fiu":
        raise CheckFailure(f"{what} should hold numbers, got dtype {got.dtype}")
    if dtype_kind is not None and dtype_kind != "f" and got.dtype.kind not in dtype_kind:
        raise CheckFailure(f"{what} should have dtype kind {dtype_kind!r}, got {got.dtype}")
    if got.dtype.kind == "f" and not np.all(np.isfinite(got)):
        bad = int(np.sum(~np.isfinite(got)))
        raise CheckFailure(f"{what} contains {bad} NaN/inf value(s): {_preview(got)}. "
                           f"Overflow in exp? Subtract the maximum first.")
    return got


def expect_close(what: str, got, expected, *, tol: float = 1e-7) -> None:
    """`got` must match `expected` in shape and to relative error `tol` (see utils.gradcheck.rel_error)."""
    expected = np.asarray(expected, dtype=np.float64)
    got = expect_array(what, got, shape=expected.shape)
    err = rel_error(got, expected)
    for log in _error_logs:
        log.append((what, err))
    if not err <= tol:
        diff = np.abs(got.astype(np.float64) - expected)
        worst = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.ndim else ()
        raise CheckFailure(
            f"{what} is wrong: relative error {err:.2e} (allowed {tol:.0e}).\n"
            f"  expected: {_preview(expected)}\n"
            f"  got:      {_preview(got)}\n"
            f"  largest difference at index {tuple(int(i) for i in worst)}: "
            f"expected {float(expected[worst]):.6g}, got {float(got[worst]):.6g}")


def expect_equal(what: str, got, expected) -> None:
    expected = np.asarray(expected)
    got_arr = expect_array(what, got, shape=expected.shape, dtype_kind=None)
    if not np.array_equal(got_arr, expected):
        raise CheckFailure(f"{what} is wrong.\n  expected: {_preview(expected, 12)}\n"
                           f"  got:      {_preview(got_arr, 12)}")


def expect_tuple(what: str, got, length: int) -> tuple:
    if not isinstance(got, tuple) or len(got) != length:
        kind = f"a tuple of {len(got)}" if isinstance(got, tuple) else type(got).__name__
        raise CheckFailure(f"{what} should return a tuple of {length} values, got {kind}")
    return got


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailure(message)


def random_array(rng: np.random.Generator, *shape, scale: float = 1.0, away_from_zero: float = 0.0):
    """Gaussian float64 test data; `away_from_zero` pushes entries off kinks such as ReLU's 0."""
    x = rng.standard_normal(shape) * scale
    if away_from_zero:
        x = np.where(np.abs(x) < away_from_zero, np.sign(x + 1e-12) * away_from_zero, x)
    return x


def iter_names(registries: Iterable[Registry]) -> Iterator[tuple[str, Registry]]:
    for reg in registries:
        for name in reg.factories:
            yield name, reg
