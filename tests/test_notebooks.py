"""Every notebook runs headless: the instructor's version passes all its tests, and the student's
blank version runs to the end with every autograded test failing (not crashing the grader)."""
import time

import nbformat
import pytest
from nbclient import NotebookClient

from autograder import build
from autograder.grade import grading_env


def _execute(path, *, allow_errors):
    nb = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=allow_errors,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb, time.perf_counter() - t0


def _errors(cell):
    return [o for o in cell.get("outputs", []) if o.output_type == "error"]


def _graded_code(nb):
    return [c for c in nb.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]


@pytest.fixture(autouse=True)
def _kernel_env(monkeypatch):
    for key, value in grading_env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PYTHONPATH", str(build.paths.ROOT))


@pytest.mark.parametrize("assignment", build.assignment_ids())
def test_source_notebook_passes_all_its_tests(built_course, assignment):
    course, _ = built_course
    nb, seconds = _execute(build.instructor_notebook(assignment, course), allow_errors=False)
    for cell in _graded_code(nb):
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        name = cell.metadata["nbgrader"]["grade_id"]
        assert text.count("\N{HEAVY CHECK MARK}") == 2, f"{name}: expected visible and hidden passes, got {text!r}"
    assert _graded_code(nb) or not build.is_graded(assignment), f"{assignment} has no test cells"
    print(f"{assignment}: {seconds:.1f} s")


@pytest.mark.parametrize("assignment", build.assignment_ids(graded=False))
def test_ungraded_release_notebook_runs_cleanly(built_course, assignment):
    """Nothing to answer (e.g. 00_setup): what a student gets runs to the end without an error."""
    _, release = built_course
    nb, _ = _execute(release / assignment / f"{assignment}.ipynb", allow_errors=True)
    assert nb.cells[-1].cell_type != "code" or nb.cells[-1].execution_count is not None
    assert not [e for c in nb.cells for e in _errors(c)], f"{assignment}: the release raises"


@pytest.mark.parametrize("assignment", build.assignment_ids(graded=True))
def test_release_notebook_runs_and_fails_its_tests(graded_class, assignment):
    """The blank release notebook, as the grader ran it (the sample class's `sample-blank` is the
    release file untouched): it runs to the end and every autograded test fails as not implemented.
    Read from the graded class rather than executed again: it is the same run, and each notebook
    execution costs CI time."""
    course, _ = graded_class
    path = course / "grader_results" / assignment / "sample-blank" / f"{assignment}.ipynb"
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[-1].cell_type != "code" or nb.cells[-1].execution_count is not None, "did not run to the end"
    graded = _graded_code(nb)
    assert graded
    for cell in graded:
        errors = _errors(cell)
        name = cell.metadata["nbgrader"]["grade_id"]
        assert errors, f"blank {name} passed"
        assert errors[0].ename == "CheckFailure" and "not implemented yet" in errors[0].evalue, errors[0].evalue
