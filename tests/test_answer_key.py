"""The student package holds no answer key: no public callable of the wheel `pip install` builds
(what Colab installs) passes a graded exercise's visible checks. The references those checks use
answer only for the visible cases, from stored values (utils.checks.references), and those values
are what the instructor's references compute."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograder import build, paths
from autograder.references import record
from utils.checks import evidence, references
from utils.checks.references import NoStoredValue

PROBE = Path(__file__).parent / "answer_key_probe.py"


def _control_answer(folder: Path) -> str:
    """A module holding one real answer (a correct softmax, from the 03 sample): the probe must
    find it, or it finds nothing at all."""
    source = (paths.SAMPLES / "03_softmax" / "half_right.py").read_text(encoding="utf-8")
    softmax = source.split("# %% softmax")[1].split("# %%")[0]
    (folder / "answer_control.py").write_text("import numpy as np\n" + softmax, encoding="utf-8")
    return "answer_control"


def test_no_public_callable_of_the_wheel_passes_an_exercise(wheel, tmp_path):
    site, control = tmp_path / "site", tmp_path / "control"
    control.mkdir()
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    module = _control_answer(control)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(control)])}
    run = subprocess.run([sys.executable, str(PROBE), module], env=env, cwd=tmp_path, capture_output=True,
                         text=True, timeout=900)
    lines = run.stdout.splitlines()
    assert run.returncode == 0 and lines[-1:] == ["done"], run.stderr[-3000:]
    assert f"utils from {site / 'utils'}" in lines, "the probe must use the installed wheel"
    found = [line for line in lines if line.startswith("PASSES")]
    assert found == [f"PASSES 03_softmax softmax {module}.softmax"], found


def test_a_reference_answers_only_the_checks_and_only_their_inputs():
    """In a student's kernel (stored values only) a reference raises when a notebook calls it, even
    on a visible case's inputs, and when a check asks it about inputs of its own."""
    from utils.checks.core import _serving_checks
    from utils.checks.softmax import ANIMAL_SCORES, tf_softmax
    assert np.allclose(tf_softmax(np.array([0.0, np.log(3.0)])), [0.25, 0.75])   # live here
    with references.stored_only():
        with pytest.raises(NoStoredValue):
            tf_softmax(ANIMAL_SCORES.copy())
        with _serving_checks():
            assert np.allclose(tf_softmax(ANIMAL_SCORES.copy()).sum(axis=1), 1.0)
            with pytest.raises(NoStoredValue):
                tf_softmax(np.array([0.0, np.log(3.0)]))


@pytest.mark.parametrize("assignment", build.assignment_ids(graded=True))
def test_stored_values_are_what_the_references_compute(assignment):
    """As release/ is checked against source/: the committed values are reproduced from the
    solutions (the values the right answers' checks ask for; the near misses' hint values come
    from the same references). To 1e-12 relative: TensorFlow may sum in another order from one
    run to the next (threads), which moves a float64 result in its last bits, far below the
    checks' 1e-7."""
    for file, names in record(assignment, near_misses=False).items():
        committed = json.loads((references.STORE / f"{file}.json").read_text(encoding="utf-8"))
        for name, values in names.items():
            for key, value in values.items():
                assert key in committed.get(name, {}), f"{file}.json lacks {name} for inputs {key}: run `python -m autograder expected`"
                _assert_close(evidence.decode(committed[name][key]), evidence.decode(value), f"{name}[{key}]")


def _assert_close(got, want, where: str) -> None:
    if isinstance(want, (tuple, list)):
        assert type(got) is type(want) and len(got) == len(want), where
        for g, w in zip(got, want):
            _assert_close(g, w, where)
    elif isinstance(want, dict):
        assert set(got) == set(want), where
        for k in want:
            _assert_close(got[k], want[k], f"{where}.{k}")
    elif isinstance(want, (np.ndarray, float, np.floating)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300, err_msg=where)
    else:
        assert got == want, where


def _nudged(value):
    """The same answer, not bit for bit: every float array moved by four units in the last place
    (a correct answer computed in another order; scalars are left, as some judges compare a score
    exactly with the objective they recompute)."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value * (1 + 4 * np.finfo(value.dtype).eps)
    if isinstance(value, (tuple, list)):
        return type(value)(_nudged(v) for v in value)
    if isinstance(value, dict):
        return {k: _nudged(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize("assignment", build.assignment_ids(graded=True))
def test_a_right_answer_passes_on_stored_values_alone(assignment):
    """A student's kernel has only the stored values: the reference answers pass every visible
    check there, and an answer equal to them up to rounding never asks for a value that is not
    stored (no stored value depends on the student's output; a judge stricter than rounding may
    still refuse it)."""
    from autograder.solutions import load_answers
    from utils.checks import registries
    from utils.checks.core import CheckFailure, call_student, judge_output
    answers = load_answers(assignment)
    registry = next(r for r in registries() if r.assignment == assignment)
    with references.stored_only():
        for name in registry.factories:
            cases = registry.cases(name)
            for i, case in enumerate(cases):
                out = call_student(name, answers[name], case)
                judge_output(name, case, out, i, len(cases))
                try:
                    judge_output(name, case, _nudged(out), i, len(cases))
                except CheckFailure:
                    pass
