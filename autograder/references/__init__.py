"""The references behind the visible checks (instructor only): TensorFlow and Keras computations
that utils declares by signature alone (utils.checks.references), and the build step that stores
their values for the visible cases in `utils/checks/expected/`.

Each module here implements the references of one utils module, of the same name:

    @implements(public.tf_softmax)
    def tf_softmax(scores): ...

Importing this package makes every reference compute its value in this process (the grader, the
build, the tests); a student's kernel has only the stored values.

    python -m autograder expected      # recompute utils/checks/expected/*.json from the solutions
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import numpy as np

from utils.checks import references as declared

declared._live_from(__name__)


def implements(stub: Callable):
    """Register the decorated function as the implementation of the declared reference `stub`."""
    def register(impl: Callable) -> Callable:
        declared._implement(stub, impl)
        return impl
    return register


# ---- the build: values for the visible cases ----------------------------------------------------

def _variants(out, depth: int = 0):
    """Wrong answers near a right one (scaled, negated, shifted, zeroed), so that the judges' hint
    paths ask the references what they ask for a real student's usual slips."""
    if depth > 4:
        return
    if isinstance(out, np.ndarray) and out.dtype.kind in "fiu":
        x = out.astype(np.float64)
        yield from (x * 2, -x, x / 2, x + 1e-3, np.zeros_like(x), x.T.copy())
        if x.ndim:
            yield x[:-1] if len(x) > 1 else x * 3
    elif isinstance(out, (float, int, np.floating)) and not isinstance(out, bool):
        yield from (out * 2, -out, out / 2, out + 1e-3, 0.0)
    elif isinstance(out, (tuple, list)):
        for i, v in enumerate(out):
            for w in _variants(v, depth + 1):
                yield type(out)([*out[:i], w, *out[i + 1:]]) if isinstance(out, list) else (*out[:i], w, *out[i + 1:])
    elif isinstance(out, dict):
        for k, v in out.items():
            for w in _variants(v, depth + 1):
                yield {**out, k: w}


def record(assignment: str, *, near_misses: bool = True) -> dict:
    """Run the visible checks of `assignment` on its reference answers (each must pass), and (with
    `near_misses`) on wrong answers near them and the sample half-right answers; return the
    references' values."""
    from utils.checks import registries
    from utils.checks.core import judge_output

    from ..sample_class import half_right_answers
    from ..solutions import load_answers

    registry = next(r for r in registries() if r.assignment == assignment)
    answers = load_answers(assignment)
    half_right = dict(answers)
    for source in half_right_answers(assignment)[0].values():
        try:
            exec(compile(source, f"<{assignment} half right>", "exec"), half_right)
        except Exception:
            pass
    declared._start_recording()   # (before the cases are made: making some asks the references)
    try:
        calls = _outputs(registry, answers, half_right if near_misses else None)
        # every right answer first (a judge may remember what it saw first), then the wrong ones
        for name, i, cases, out, _ in calls:
            judge_output(name, cases[i], out, i, len(cases))   # the reference answer must pass
        for name, i, cases, _, wrong in calls:
            for w in wrong:
                try:
                    judge_output(name, cases[i], w, i, len(cases))
                except Exception:
                    pass
    finally:
        values = declared._stop_recording()
    return values


def _outputs(registry, answers: dict, half_right: dict | None) -> list:
    """(exercise, case index, cases, the right output, wrong outputs near it) for every case."""
    from utils.checks.core import call_student
    calls = []
    for name in registry.factories:
        cases = registry.cases(name)
        for i, case in enumerate(cases):
            out = call_student(name, answers[name], case)
            if half_right is None:
                calls.append((name, i, cases, out, []))
                continue
            wrong = list(_variants(out))
            if half_right.get(name) is not answers[name]:
                try:
                    wrong.append(call_student(name, half_right[name], case))
                except Exception:
                    pass
            calls.append((name, i, cases, out, wrong))
    return calls


def write_expected(assignments: list[str], store: Path = declared.STORE, *, every: bool = True) -> list[Path]:
    """Record the assignments' values and write one file per utils module. `every`: these are all
    the graded assignments, so the files are written anew (else the values are added to them)."""
    recorded: dict = {}
    for assignment in assignments:
        for file, names in record(assignment).items():
            for name, values in names.items():
                recorded.setdefault(file, {}).setdefault(name, {}).update(values)
    store.mkdir(exist_ok=True)
    written = []
    for file, names in sorted(recorded.items()):
        path = store / f"{file}.json"
        if not every and path.exists():
            old = json.loads(path.read_text(encoding="utf-8"))
            names = {n: {**old.get(n, {}), **names.get(n, {})} for n in {*old, *names}}
        ordered = {n: dict(sorted(v.items())) for n, v in sorted(names.items())}
        path.write_text(json.dumps(ordered, indent=0, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
    for stale in (set(store.glob("*.json")) - set(written)) if every else ():
        stale.unlink()
    return written
