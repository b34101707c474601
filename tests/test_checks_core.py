"""The check framework: messages a student can act on, and failures that cannot slip through."""
import numpy as np
import pytest

from utils.checks.core import (Case, CheckFailure, Registry, expect_array, expect_close, random_array,
                               run_checks)


def _registry():
    reg = Registry("demo")

    @reg.exercise("double")
    def _cases():
        x = np.array([1.0, 2.0, 3.0])
        yield Case((x,), lambda out: expect_close("double(x)", out, 2 * x), label="x = [1, 2, 3]")

    return reg


def test_pass_prints_summary(capsys):
    assert run_checks(_registry(), "double", lambda x: 2 * x) == 1
    assert "double: 1 check passed" in capsys.readouterr().out


def test_wrong_answer_says_expected_and_got():
    with pytest.raises(CheckFailure) as info:
        run_checks(_registry(), "double", lambda x: 3 * x)
    msg = str(info.value)
    assert "double, case 1/1 (x = [1, 2, 3])" in msg
    assert "expected: [2., 4., 6.]" in msg and "got:      [3., 6., 9.]" in msg


def test_not_implemented_and_student_errors():
    def stub(x):
        raise NotImplementedError()

    with pytest.raises(CheckFailure, match="not implemented yet"):
        run_checks(_registry(), "double", stub)
    with pytest.raises(CheckFailure, match=r"raised ZeroDivisionError: division by zero on x = \[1, 2, 3\]"):
        run_checks(_registry(), "double", lambda x: 1 / 0)
    with pytest.raises(CheckFailure, match="expected a function, got int"):
        run_checks(_registry(), "double", 42)


def test_student_cannot_mutate_the_case():
    def in_place(x):
        x *= 2
        return x

    reg = _registry()
    run_checks(reg, "double", in_place)   # passes: it got a copy
    run_checks(reg, "double", in_place)   # and the case is intact for the next run


def test_expect_array_rejects_nan_shape_and_type():
    with pytest.raises(CheckFailure, match="NaN/inf"):
        expect_array("p", np.array([np.nan, 1.0]))
    with pytest.raises(CheckFailure, match=r"shape \(2,\), expected \(3,\)"):
        expect_array("p", np.zeros(2), shape=(3,))
    with pytest.raises(CheckFailure, match="numpy array, got dict"):
        expect_array("p", {})


def test_random_array_away_from_zero():
    x = random_array(np.random.default_rng(0), 1000, away_from_zero=1e-2)
    assert np.min(np.abs(x)) >= 1e-2


def test_hidden_failure_hides_check_code():
    """A hidden failure is re-raised with no traceback into the hidden modules."""
    from autograder.hidden import grade

    def wrong(X, w, b):
        return np.zeros(len(X), dtype=int)

    with pytest.raises(CheckFailure) as info:
        grade("perceptron_predict", wrong)
    assert str(info.value).startswith("hidden checks: perceptron_predict")
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert info.traceback[-1].path.name == "__init__.py"  # raised from grade() itself


def test_check_all_summarises_every_exercise_of_the_notebook(capsys):
    from autograder.solutions import load_solutions
    from utils.checks import check_all
    ns = load_solutions("01_perceptron")
    assert all(check_all(ns).values())
    assert "4/4 exercises pass" in capsys.readouterr().out
    broken = dict(ns, one_hot=lambda values, categories: 0)
    del broken["xor_params"]
    results = check_all(broken)
    out = capsys.readouterr().out
    assert results["one_hot"] is False and results["xor_params"] is False
    assert "not defined yet" in out and "2/4 exercises pass" in out


def test_exercise_names_are_per_notebook(monkeypatch, capsys):
    """A name two notebooks share (01 given an exercise named like 03's `softmax`, as if added to its
    source) changes neither 03's summary nor which check 03's test cell runs."""
    import utils.checks as checks_pkg
    from autograder.solutions import load_solutions
    from utils.checks import check_all, perceptron, softmax
    ns = load_solutions("03_softmax")
    monkeypatch.setitem(perceptron.checks.factories, "softmax", perceptron.checks.factories["one_hot"])
    scan = checks_pkg.likely_modules
    monkeypatch.setattr(checks_pkg, "likely_modules",
                        lambda path, name: sorted({*scan(path, name), "perceptron"}) if name == "softmax" else scan(path, name))
    results = check_all(ns)
    assert set(results) == set(softmax.checks.factories) and all(results.values())
    assert f"{len(results)}/{len(results)} exercises pass" in capsys.readouterr().out
    # a test cell's check() goes by what the notebook defines
    exec("from utils.checks import check\ncheck('softmax', softmax)", dict(ns))
    assert "softmax:" in capsys.readouterr().out
    # a notebook that defines nothing else cannot be told: a clear message, and `notebook=` says it
    with pytest.raises(KeyError, match="exercise of 01_perceptron and 03_softmax: say which"):
        exec("from utils.checks import check\ncheck('softmax', softmax)", {"softmax": ns["softmax"]})
    exec("from utils.checks import check\ncheck('softmax', softmax, notebook='03_softmax')", {"softmax": ns["softmax"]})


def test_check_all_goes_on_when_a_check_itself_breaks(monkeypatch, capsys):
    """A check that raises something other than a CheckFailure (e.g. a library's dtype error) fails
    that exercise with the reason; the others are still checked."""
    from autograder.solutions import load_solutions
    from utils.checks import check_all, perceptron
    ns = load_solutions("01_perceptron")

    def broken():
        raise RuntimeError("cannot compute Mul as input #1 was expected to be a float tensor")
        yield
    monkeypatch.setitem(perceptron.checks.factories, "one_hot", broken)
    results = check_all(ns)
    out = capsys.readouterr().out
    assert results["one_hot"] is False and sum(results.values()) == len(results) - 1
    assert "one_hot" in out and "its check raised RuntimeError: cannot compute Mul" in out


def test_a_numpy_function_argument_is_fingerprinted_by_name_alone():
    """Stored reference values are found by a digest of the check's arguments. numpy 2.0 (what Colab
    ships) gives its ufuncs no `__module__` and numpy 2.4 does: a digest that read it missed the
    stored value of 04's `np.tanh` case on Colab (NoStoredValue). A ufunc counts by its name only."""
    import hashlib

    from utils.checks.references import fingerprint
    digest = hashlib.sha256(b"tuple1(ufunc:tanh;)d0()").hexdigest()[:32]
    assert fingerprint((np.tanh,), {}) == digest
    assert fingerprint((np.tanh,), {}) != fingerprint((np.sin,), {})
