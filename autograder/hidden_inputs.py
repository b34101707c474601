"""The hidden cases' inputs, as data for the student's kernel (the grader's side; instructor-only).

`hidden_inputs("03_softmax")` builds every hidden case of the notebook in this, the grader's,
process and returns a JSON text with, per exercise, only what the kernel needs to call the student's
function on each case: its label, args, kwargs and driver (`call`, a function of the public `utils`
package), encoded by `utils.checks.case_data`:

    {"format": 1, "assignment": "03_softmax",
     "exercises": {"softmax": [{"label": "...", "args": {"tuple": [...]}, "kwargs": {"dict": {...}},
                                "call": null}, ...], ...}}

No judge, reference or seed leaves this process. The grader writes the text to a read-only file
whose path it gives the kernel in `COURSE_HIDDEN_INPUTS` (`write_hidden_inputs`); the kernel's
`utils.checks.hidden_harness.grade` records the outputs; `autograder.verdict` regenerates the same
(seeded) cases from `autograder.hidden` and judges them.

A hidden case whose inputs cannot be sent as data (a lambda, a function of `autograder.hidden`) makes
this raise `Unencodable`, naming the exercise, the case and the input.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from utils.checks.core import Case, Registry
from utils.checks.evidence import Unencodable
from utils.checks.hidden_harness import ENV, FORMAT, case_entry

from . import hidden

__all__ = ["ENV", "hidden_inputs", "inputs_text", "registry_of", "write_hidden_inputs"]


def registry_of(assignment: str) -> Registry:
    """The hidden registry of `assignment` (e.g. "03_softmax")."""
    for _, reg in hidden.modules():
        if reg.assignment == assignment:
            return reg
    raise KeyError(f"no hidden checks for the assignment {assignment!r}")


def inputs_text(registry: Registry, cases: dict[str, list[Case]] | None = None) -> str:
    """The hidden inputs JSON of `registry`; `cases` (by exercise) when they were built already."""
    exercises = {}
    for name in registry.factories:
        built = registry.cases(name) if cases is None else cases[name]
        try:
            exercises[name] = [case_entry(case) for case in built]
        except Unencodable as exc:
            raise Unencodable(f"{registry.assignment}, hidden check {name!r}: {exc}") from None
    return json.dumps({"format": FORMAT, "assignment": registry.assignment, "exercises": exercises})


def hidden_inputs(assignment: str) -> str:
    """The JSON text of every hidden case's inputs of `assignment`, built in this process."""
    return inputs_text(registry_of(assignment))


def write_hidden_inputs(assignment: str, path: str | os.PathLike) -> Path:
    """Write `hidden_inputs(assignment)` to `path`, read-only; returns the path (for `ENV`)."""
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(hidden_inputs(assignment), encoding="utf-8")
    partial.chmod(0o444)
    os.replace(partial, path)
    return path
