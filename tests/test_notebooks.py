"""Every notebook runs headless: the instructor's version passes all its tests, and the student's
blank version runs to the end with every autograded test failing (not crashing the grader).
Graded notebooks are read from the sample class's run (tests/conftest.py): executing them again
would only repeat the same runs."""
import nbformat
import pytest
from nbclient import NotebookClient

from autograder import build
from autograder.grade import grading_env
from autograder.grade_class import results_path


def _execute(path):
    """Run a notebook to the end, errors recorded in the outputs rather than raised."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def _errors(cell):
    return [o for o in cell.get("outputs", []) if o.output_type == "error"]


def _graded_code(nb):
    return [c for c in nb.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]


@pytest.fixture(autouse=True)
def _kernel_env(monkeypatch):
    for key, value in grading_env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PYTHONPATH", str(build.paths.ROOT))


@pytest.mark.parametrize("assignment", build.assignment_ids(graded=True))
def test_source_notebook_passes_all_its_tests(graded_class, assignment):
    """The instructor's notebook, as the grader ran it: the sample class's `sample-solution` is the
    source notebook with its own answers (the grader runs the source's test cells, hidden checks
    included; some end with a probe cell, tests/probes), executed in the sandbox. Every cell runs
    without an error and every test cell passes its visible and its hidden checks. Read from the
    graded class rather than executed again."""
    course, _ = graded_class
    nb = nbformat.read(results_path(course, assignment, "sample-solution"), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.execution_count is not None for c in code), "did not run to the end"
    raised = [(i, e.ename, e.evalue) for i, c in enumerate(nb.cells) for e in _errors(c)]
    assert not raised, f"{assignment} raised: {raised}"
    graded = _graded_code(nb)
    assert graded, f"{assignment} has no test cells"
    for cell in graded:
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        name = cell.metadata["nbgrader"]["grade_id"]
        assert text.count("\N{HEAVY CHECK MARK}") == 2, f"{name}: expected visible and hidden passes, got {text!r}"


@pytest.mark.parametrize("assignment", build.assignment_ids(graded=False))
def test_ungraded_release_notebook_runs_cleanly(built_course, assignment):
    """Nothing to answer (e.g. 00_setup): what a student gets runs to the end without an error.
    (Its release is the source notebook plus the Colab badge and set-up cell: this run covers both.)"""
    _, release = built_course
    nb = _execute(release / assignment / f"{assignment}.ipynb")
    assert nb.cells[-1].cell_type != "code" or nb.cells[-1].execution_count is not None
    assert not [e for c in nb.cells for e in _errors(c)], f"{assignment}: the release raises"


@pytest.mark.parametrize("assignment", build.assignment_ids(graded=True))
def test_release_notebook_runs_and_fails_its_tests(graded_class, assignment):
    """The blank release notebook, as the grader ran it (the sample class's `sample-blank` is the
    release file untouched): it runs to the end and every autograded test fails as not implemented.
    Read from the graded class rather than executed again: it is the same run, and each notebook
    execution costs CI time."""
    course, _ = graded_class
    path = results_path(course, assignment, "sample-blank")
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[-1].cell_type != "code" or nb.cells[-1].execution_count is not None, "did not run to the end"
    graded = _graded_code(nb)
    assert graded
    for cell in graded:
        errors = _errors(cell)
        name = cell.metadata["nbgrader"]["grade_id"]
        assert errors, f"blank {name} passed"
        assert errors[0].ename == "CheckFailure" and "not implemented yet" in errors[0].evalue, errors[0].evalue
