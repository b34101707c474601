"""The adversarial class (autograder/adversarial.py) graded in one run with honest students:
every submission gets its expected score with a stated reason, and nothing escapes the sandbox."""
import sqlite3
from pathlib import Path

import nbformat

from autograder import adversarial, grade
from autograder.grade_class import results_path


def test_every_submission_is_graded_as_expected_with_a_reason(adversarial_class):
    _, expected, results, _ = adversarial_class
    assert set(results) == set(expected)
    for student, exp in expected.items():
        r = results[student]
        said = " ".join(r.notes + [v.message for v in r.verdicts] + [r.problem])
        assert exp.accepts(r.score), f"{student} ({exp.what}): {r.score} != {exp.score}; {said[:400]}"
        assert exp.reason in said, f"{student}: reason {exp.reason!r} not in {said[:400]!r}"
        if r.score < adversarial.FULL:
            assert said.strip(), f"{student} lost points without a reason"


def test_gradebook_matches_and_is_intact(adversarial_class):
    course, expected, results, _ = adversarial_class
    with sqlite3.connect(course / "gradebook.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = {r.student: r for r in grade.scores(course, [adversarial.ASSIGNMENT])}
    for student in expected:
        assert rows[student].auto == results[student].score, student


def test_nothing_escaped_the_sandbox(adversarial_class):
    course, _, _, before = adversarial_class
    for path, content in before.items():
        assert path.read_bytes() == content, f"{path} was modified"
    for target in adversarial.escape_targets(course)[2:]:
        assert not Path(target).exists(), f"a submission wrote {target}"
    reader = results_path(course, adversarial.ASSIGNMENT, "reads-solutions")
    printed = "".join(o.get("text", "") for c in nbformat.read(reader, as_version=4).cells
                      if c.cell_type == "code" for o in c.outputs)
    assert "NOTHING-FOUND" in printed and "LEAKED" not in printed


def test_feedback_for_everyone_without_hidden_tests(adversarial_class):
    course, expected, _, _ = adversarial_class
    for student in expected:
        html = (course / "feedback" / student / adversarial.ASSIGNMENT / f"{adversarial.ASSIGNMENT}.html").read_text()
        assert "from autograder.hidden import grade" not in html and "BEGIN HIDDEN TESTS" not in html
    notes = (course / "feedback" / "no-metadata" / adversarial.ASSIGNMENT / f"{adversarial.ASSIGNMENT}.html").read_text()
    assert "Grader notes" in notes


def test_a_cell_past_its_limit_is_interrupted_and_the_rest_runs(adversarial_class):
    """The kernel is interrupted (not left running), the cells after it run, and the notebook keeps
    its cells as submitted (the grader's probe cell replaces none of them)."""
    course, _, results, _ = adversarial_class
    executed = results_path(course, adversarial.ASSIGNMENT, "slow-cell")
    cells = nbformat.read(executed, as_version=4).cells
    original = nbformat.read(course.parent / "submissions" / "slow-cell" / adversarial.ASSIGNMENT
                             / f"{adversarial.ASSIGNMENT}.ipynb", as_version=4).cells
    assert cells[0].source == original[0].source and "pass" not in [c.source for c in cells]
    sleeper = next(i for i, c in enumerate(cells) if "time.sleep(3600)" in c.source)
    after = [c for c in cells[sleeper + 1:] if c.cell_type == "code"]
    assert after and all(c.execution_count is not None for c in after), "cells after the timeout did not run"
    assert any("ran past the" in p for p in results["slow-cell"].notes + [results["slow-cell"].problem])
