"""The bundled sample class, autograded by nbgrader end to end: full marks, zero, and the
partial score each half-right submission declares."""
import csv

import pytest

from autograder import build
from autograder.sample_class import STUDENTS, half_right_answers


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
    for student in STUDENTS:
        for a in assignments:
            html = (course / "feedback" / student / a / f"{a}.html").read_text(encoding="utf-8")
            assert "HIDDEN TESTS" not in html and "autograder.hidden" not in html, f"{student}/{a} feedback leaks"
    half = (course / "feedback" / "sample-half-right" / assignments[0] / f"{assignments[0]}.html").read_text()
    assert "CheckFailure" in half and "expected" in half  # the student sees why
