"""The bundled sample class, autograded by nbgrader end to end: full marks, zero, and the
partial score each half-right submission declares."""
import contextlib
import csv
import io

import nbformat
import numpy as np
import pytest

from autograder import build
from autograder.sample_class import STUDENTS, half_right_answers, probe_cell, probed_facts, write_submissions


@pytest.mark.parametrize("assignment", build.assignment_ids(graded=True))
def test_scores(graded_class, assignment):
    _, scores = graded_class
    solution = scores[(assignment, "sample-solution")]
    blank = scores[(assignment, "sample-blank")]
    half = scores[(assignment, "sample-half-right")]
    assert solution.auto_max > 0
    assert solution.auto == solution.auto_max, "the reference solution must get full marks"
    assert blank.auto == 0
    _, expected = half_right_answers(assignment)
    assert half.auto == expected, f"half-right scored {half.auto}, its file declares {expected}"
    assert 0 < half.auto < half.auto_max


def test_csv_export_and_feedback(graded_class):
    course, _ = graded_class
    assignments = build.assignment_ids(graded=True)   # an ungraded notebook is not in the gradebook
    with open(course / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {(r["assignment"], r["student_id"]) for r in rows} == {(a, s) for a in assignments for s in STUDENTS}
    # names from the class's roster; a status that says whether written answers wait for a grader
    assert {(r["student_id"], r["first_name"], r["last_name"]) for r in rows} == {
        ("sample-solution", "Sample", "solution"), ("sample-blank", "Sample", "blank"),
        ("sample-half-right", "Sample", "half right")}
    status = {(r["assignment"], r["student_id"]): r["status"] for r in rows}
    assert status[assignments[0], "sample-blank"] == "graded"   # every written answer left as the stub
    assert status[assignments[0], "sample-solution"] == "waiting for manual grading"
    for student in STUDENTS:
        for a in assignments:
            html = (course / "feedback" / student / a / f"{a}.html").read_text(encoding="utf-8")
            assert "HIDDEN TESTS" not in html and "autograder.hidden" not in html, f"{student}/{a} feedback leaks"
    half = (course / "feedback" / "sample-half-right" / assignments[0] / f"{assignments[0]}.html").read_text()
    assert "CheckFailure" in half and "expected" in half  # the student sees why


def test_a_probe_reports_the_solution_run_and_only_the_solution_gets_it(built_course, tmp_path):
    course, release = built_course
    probe = "facts = {'mean': np.float32(0.5), 'counts': np.bincount([0, 1, 1]), 'shape': np.ones((2, 3)).shape}"
    written = write_submissions(tmp_path, "01_perceptron", course, release, probe=probe)
    cells = {s: nbformat.read(p, as_version=4).cells for s, p in written.items()}
    assert cells["sample-solution"][-1].source == probe_cell(probe).source
    assert len(cells["sample-blank"]) == len(cells["sample-half-right"]) == len(cells["sample-solution"]) - 1
    out = io.StringIO()
    with contextlib.redirect_stdout(out):   # the cell, as the kernel would run it
        exec(probe_cell(probe).source, {"np": np})
    nb = nbformat.v4.new_notebook(cells=[probe_cell(probe)])
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text=out.getvalue())]
    assert probed_facts(nb) == {"mean": 0.5, "counts": [1, 2], "shape": [2, 3]}
    with pytest.raises(LookupError, match="SAMPLE-FACTS"):
        probed_facts(nbformat.v4.new_notebook(cells=[probe_cell(probe)]))   # never ran
