"""The adversarial class (autograder/adversarial.py) graded in one run with honest students:
every submission gets its expected score with a stated reason, and nothing escapes the sandbox."""
import html
import re
import sqlite3
from pathlib import Path

import nbformat

from autograder import adversarial, grade, paths, sandbox
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


def _printed(course: Path, student: str) -> str:
    """What the student's cells printed in the grader's run."""
    nb = nbformat.read(results_path(course, adversarial.ASSIGNMENT, student), as_version=4)
    return "".join(str(o.get("text", "")) + str(o.get("evalue", "")) for c in nb.cells
                   if c.cell_type == "code" for o in c.outputs)


def test_attacks_on_the_grader_find_nothing_to_hit(adversarial_class):
    """No result file to rewrite, no socket to replace, no process to kill, no instructor module to
    import, no root-only file to read, no disk to fill beyond the sandbox's scratch space."""
    course = adversarial_class[0]
    forged = _printed(course, "forges-results")
    assert "blocked symlink PermissionError" in forged and "blocked kill" in forged
    imports = _printed(course, "imports-hidden")
    assert "LEAKED" not in imports and imports.count("blocked autograder.") == 3
    root = _printed(course, "root-in-disguise")
    assert "LEAKED" not in root and root.count("PermissionError") == 3
    full = int(re.search(r"disk full after (\d+) MB", root).group(1))
    assert full <= sandbox.Limits().scratch_mb, full
    assert "uid 0" not in root.replace("uid 0.", "")


# the adversarial students whose answers are the release stubs: nothing of the solution is theirs
BLANK_ANSWERS = ("edited-tests", "monkeypatch", "skip-execution", "deleted-answers", "forges-results",
                 "imports-hidden", "dumps-sandbox", "fifo", "symlink")


def _instructor_only(course: Path) -> dict[str, list[str]]:
    """Text that only the instructor has: solution lines and model answers (in the source notebook's
    answer cells, not in the release), hidden-check source lines, and the hidden checks' seeds."""
    source = nbformat.read(course / "source" / adversarial.ASSIGNMENT / f"{adversarial.ASSIGNMENT}.ipynb", as_version=4)
    release = "\n".join(c.source for c in nbformat.read(
        course / "release" / adversarial.ASSIGNMENT / f"{adversarial.ASSIGNMENT}.ipynb", as_version=4).cells)
    solution = {line.strip() for c in source.cells if c.get("metadata", {}).get("nbgrader", {}).get("solution")
                for line in c.source.splitlines() if len(line.strip()) >= 12 and "###" not in line}
    hidden_src = (paths.ROOT / "autograder" / "hidden" / "perceptron.py").read_text()
    hidden = {line.strip() for line in hidden_src.splitlines()
              if len(line.strip()) >= 30 and not line.strip().startswith(("from ", "import ", "#"))}
    seeds = [m.replace("_", "") for m in re.findall(r"SEED\s*=\s*([\d_]+)", hidden_src)]
    return {"solution": sorted(line for line in solution if line not in release),
            "hidden": sorted(hidden), "seed": seeds}


def _received(course: Path, student: str) -> str:
    """Every artifact the student receives, as text: the feedback HTML without its tags (code is
    split into highlighting spans there) and the graded notebook's sources and outputs."""
    html_text = (course / "feedback" / student / adversarial.ASSIGNMENT / f"{adversarial.ASSIGNMENT}.html").read_text()
    plain = html.unescape(re.sub(r"<[^>]+>", "", html_text))
    nb = nbformat.read(results_path(course, adversarial.ASSIGNMENT, student), as_version=4)
    return plain + nbformat.writes(nb)


def test_no_student_receives_instructor_only_text(adversarial_class):
    course, expected, _, _ = adversarial_class
    secret = _instructor_only(course)
    assert secret["solution"] and secret["hidden"] and secret["seed"], "the search must have something to find"
    for student in expected:
        got = _received(course, student)
        for kind in ("hidden", "seed") + (("solution",) if student in BLANK_ANSWERS else ()):
            found = [s for s in secret[kind] if s in got]
            assert not found, f"{student} received {kind} text: {found[:3]}"
    assert "/job/inputs" in _printed(course, "dumps-sandbox"), "the dump ran (it must see its own inputs)"
