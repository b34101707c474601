"""The hidden checks' side in the student's kernel: call the student's function on inputs the grader
sent, and record what came back. Nothing here knows a hidden case, a reference or a judge.

When the grader runs a notebook, it builds the notebook's hidden cases in its own process and writes
their inputs (and nothing else) to a read-only JSON file whose path is in `COURSE_HIDDEN_INPUTS`:

    {"format": 1, "assignment": "03_softmax",
     "exercises": {"softmax": [{"label": "...", "args": <tuple>, "kwargs": <dict>, "call": null or <ref>},
                               ...], ...}}

(values encoded by `utils.checks.case_data`). A hidden test cell's `grade("softmax", softmax)` then
calls `softmax` on each case exactly as the visible checks do (`utils.checks.core.call_student`: a
private copy of the inputs, the case's driver if it has one) and records the outputs as evidence of
kind "hidden"; the grader judges them in its own process against the same cases, regenerated.

The grader's sandbox makes `grade` importable where the notebooks' hidden test cells look for it by
writing `SHIM` as that package's `__init__.py`.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable

from . import case_data, evidence
from .core import Case, CheckFailure, _record_outputs

#: the environment variable holding the path of the hidden inputs file
ENV = "COURSE_HIDDEN_INPUTS"
#: the version of the file's layout
FORMAT = 1
#: the whole text of the package the hidden test cells import `grade` from, in the grading sandbox
SHIM = "from utils.checks.hidden_harness import grade\n"


class HiddenInputsError(RuntimeError):
    """The hidden inputs are not there (not under the grader) or could not be read."""


def _judged_by_the_grader(output) -> None:
    raise RuntimeError("hidden cases are judged by the grader, not in the student's kernel")


def case_entry(case: Case) -> dict:
    """The JSON-able inputs of one case: what the kernel needs to call the student's function.
    Raises `evidence.Unencodable` (saying which input) for an input that cannot be sent as data."""
    where = f"case {case.label!r}" if case.label else "a case"
    return {"label": str(case.label),
            "args": case_data.encode(tuple(case.args), f"{where}: args"),
            "kwargs": case_data.encode(dict(case.kwargs), f"{where}: kwargs"),
            "call": None if case.call is None else case_data.encode(case.call, f"{where}: call")}


def case_from_entry(entry: dict) -> Case:
    """Inverse of `case_entry`: a case with the inputs, and no judge (calling it raises)."""
    if not isinstance(entry, dict) or set(entry) != {"label", "args", "kwargs", "call"}:
        raise case_data.CaseDataError("malformed case")
    args, kwargs = case_data.decode(entry["args"]), case_data.decode(entry["kwargs"])
    call = None if entry["call"] is None else case_data.decode(entry["call"])
    if not isinstance(args, tuple) or not isinstance(kwargs, dict) or not (call is None or callable(call)):
        raise case_data.CaseDataError("malformed case")
    return Case(args, _judged_by_the_grader, label=str(entry["label"]), kwargs=kwargs, call=call)


def load_cases(name: str, path: str | os.PathLike | None = None) -> list[Case]:
    """The hidden cases of exercise `name` from the file at `path` (default: `$COURSE_HIDDEN_INPUTS`)."""
    path = path or os.environ.get(ENV)
    if not path:
        raise HiddenInputsError(f"hidden checks of {name}: there are no hidden inputs here ({ENV} is not set). "
                                f"Hidden checks run only when the grader grades the notebook.")
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise HiddenInputsError(f"hidden checks of {name}: the hidden inputs could not be read "
                                f"({type(exc).__name__})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("exercises"), dict):
        raise HiddenInputsError(f"hidden checks of {name}: the hidden inputs file is not in format {FORMAT}")
    entries = data["exercises"].get(name)
    if not isinstance(entries, list):
        raise HiddenInputsError(f"hidden checks: the grader sent no hidden cases for {name!r} "
                                f"(for {data.get('assignment', 'this notebook')}); check the name in the test cell")
    try:
        return [case_from_entry(e) for e in entries]
    except (ImportError, ValueError, TypeError, AttributeError, RecursionError) as exc:
        raise HiddenInputsError(f"hidden checks of {name}: the hidden inputs could not be decoded "
                                f"({type(exc).__name__})") from None


def grade(name: str, fn: Callable) -> None:
    """Call `fn` on the hidden cases of exercise `name` and record the outputs for the grader.

    A failure (the function is missing, not implemented, or raised) is recorded and re-raised with
    its message only, as for the visible checks; the verdict on the outputs comes from the grader.
    """
    cases = load_cases(name)
    if not evidence.recording():
        raise HiddenInputsError(f"hidden checks of {name}: outputs can only be recorded for the grader "
                                f"({evidence.ENV} is not set)")
    try:
        _record_outputs("hidden", name, fn, cases)
    except CheckFailure as exc:
        failure = str(exc)
    else:
        return
    raise CheckFailure(f"hidden checks: {failure}") from None
