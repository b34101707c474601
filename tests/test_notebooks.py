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


@pytest.mark.parametrize("assignment", build.assignment_ids())
def test_release_notebook_runs_and_fails_its_tests(built_course, assignment):
    _, release = built_course
    nb, _ = _execute(release / assignment / f"{assignment}.ipynb", allow_errors=True)
    assert nb.cells[-1].cell_type != "code" or nb.cells[-1].execution_count is not None
    if not build.is_graded(assignment):   # nothing to answer: what a student gets runs cleanly
        assert not [e for c in nb.cells for e in _errors(c)], f"{assignment}: the release raises"
    for cell in _graded_code(nb):
        errors = _errors(cell)
        name = cell.metadata["nbgrader"]["grade_id"]
        assert errors, f"blank {name} passed"
        assert errors[0].ename == "CheckFailure" and "not implemented yet" in errors[0].evalue, errors[0].evalue
