"""Hidden checks, used only when grading: random shapes and seeds the students never see,
judged against independent references (TensorFlow autodiff and finite differences).

A hidden test cell calls, inside nbgrader's hidden-test markers,

    from autograder.hidden import grade; grade("affine_backward", affine_backward)

The same `Case`/`judge` split as the visible checks (utils.checks.core) lets the grader judge
recorded outputs outside the student's kernel.

Under the grader this package never reaches the kernel: the grader builds the cases here, in its own
process, and sends the kernel their inputs only, as data (autograder/hidden_inputs.py); the cell's
`grade` is then the public harness `utils.checks.hidden_harness.grade`, which records the outputs,
and autograder/verdict.py judges them against the cases regenerated here. The `grade` below runs the
checks in the instructor's own process (tests, benchmarks).
"""
from __future__ import annotations

import importlib
import pkgutil

from utils.checks import NOT_CHECKS, evidence, find_in
from utils.checks.core import CheckFailure, Registry, run_checks


def modules():
    """(module name, registry) of each notebook, imported one at a time."""
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name not in NOT_CHECKS):
        yield module, importlib.import_module(f"{__name__}.{module}").checks


def registries():
    """Each notebook's registry (a lookup stops at the first match)."""
    for _, reg in modules():
        yield reg


def find(name: str, names=(), notebook: str | None = None) -> Registry:
    """The hidden registry with exercise `name` (see utils.checks.find_in: names are per notebook)."""
    return find_in(__name__, __path__, name, names, notebook)


def grade(name: str, fn) -> None:
    """Run the hidden checks of `name` on `fn`.

    A failure is re-raised from here with its message only: a traceback through this package
    would print hidden check code into the student's feedback.
    """
    try:
        import inspect
        count = run_checks(find(name, inspect.currentframe().f_back.f_globals), name, fn, quiet=True, kind="hidden")
    except CheckFailure as exc:
        failure = str(exc)
    else:
        if evidence.recording():
            return  # run_checks said what it recorded; the verdict comes from the grader
        print(f"\N{HEAVY CHECK MARK} {name}: {count} hidden check{'s' * (count != 1)} passed")
        return
    raise CheckFailure(f"hidden checks: {failure}") from None
