"""A semester through an LMS, as an instructor runs it: roster import, intake of every shape the
LMSs and nbgrader produce (every file's fate reported), lateness, grading, regrading, and grades and
feedback back to Canvas and Moodle. The exports are made in the test in the LMSs' own layouts."""
import csv
import datetime as dt
import zipfile
from pathlib import Path

import jupytext
import nbformat
import pytest

from autograder import archive, grade, grade_class, intake, lateness, sample_class
from autograder.roster import Roster, RosterError, import_export

A = "03_softmax"
FULL = 12   # 03's autograded points (the other 4 are written answers, graded by hand)
# Canvas' LATE with no time (and no extension): late by the policy's grace and a second (course.yml: 15 minutes)
LATE_MARKED = lateness.policy().grace_minutes * 60 + 1


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory, built_course):
    """The three sample notebooks of 03 as bytes: solution, blank, half-right."""
    course, release = built_course
    written = sample_class.write_submissions(tmp_path_factory.mktemp("nb"), A, course, release)
    return {k.removeprefix("sample-"): p.read_bytes() for k, p in written.items()}


def _canvas_export(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    """A Canvas gradebook export (Grades > Export): header, the Points Possible row, the students,
    the Test Student last."""
    lines = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "03_softmax: Softmax (5003)", "Current Score"],
             ["    Points Possible", "", "", "", "", "16", "(read only)"]]
    lines += [[name, uid, f"S{uid}", login, section, "", ""] for name, uid, login, section in rows]
    lines.append(["Student, Test", "9999", "", "", "Section A", "", ""])
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        csv.writer(f).writerows(lines)
    return path


CANVAS_CLASS = [("Kim, Minji", "1001", "kim01", "Section A"), ("Kim, Minji", "1002", "kim02", "Section A"),
                ("Lee, Jun", "1003", "lee03", "Section B"), ("Park, Sora", "1004", "park04", "Section B"),
                ("Choi, Hana", "1005", "choi05", "Section B"), ("Yoon, Ara", "1006", "yoon06", "Section A")]


def _py(nb_bytes: bytes) -> bytes:
    """The notebook in jupytext's percent form, as a student exporting with jupytext saves it."""
    return jupytext.writes(nbformat.reads(nb_bytes.decode(), as_version=4), fmt="py:percent").encode()


def _canvas_zip(path: Path, notebooks: dict, extra: dict | None = None) -> Path:
    files = {
        "kimminji_1001_70001_03_softmax.ipynb": notebooks["solution"],
        "kimminji_1002_70002_03_softmax.ipynb": notebooks["blank"],          # same name, another student
        "leejun_1003_70003_03_softmax.ipynb": notebooks["half-right"],
        "leejun_1003_70004_scratch.pdf": b"%PDF-1.4",                          # not a notebook
        "leejun_1003_70000_03_softmax-1.ipynb": notebooks["blank"],          # an earlier upload
        "parksora_LATE_1004_70006_03_softmax.ipynb": notebooks["solution"],  # late (no time in the zip)
        "choihana_LATE_1005_70007_03_softmax.py": _py(notebooks["solution"]),  # jupytext; LATE, extended
        "__MACOSX/._kimminji_1001_70001_03_softmax.ipynb": b"junk",
    }
    files.update(extra or {})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return path


@pytest.fixture(scope="module")
def canvas_course(tmp_path_factory, copy_built_course, notebooks):
    """A course folder with a roster from a Canvas export, and a Canvas zip of 03 graded into it."""
    root = tmp_path_factory.mktemp("canvas")
    course = copy_built_course(root / "course")
    _, summary = import_export(_canvas_export(root / "export.csv", CANVAS_CLASS), course)
    roster = Roster.load(course)
    roster.by_id("choi05").extension_hours = "24"   # marked LATE by Canvas, but extended here
    roster.save(course)
    zipped = _canvas_zip(root / "submissions.zip", notebooks)
    results = grade_class.grade_class(A, zipped, course, workers=2, progress=False)
    return course, zipped, {r.student: r for r in results}, summary


def test_canvas_roster_import(canvas_course):
    course, _, _, summary = canvas_course
    roster = Roster.load(course)
    assert sorted(s.id for s in roster.students) == ["choi05", "kim01", "kim02", "lee03", "park04", "yoon06"]
    kim = roster.by_canvas("1002")
    assert (kim.id, kim.first_name, kim.last_name, kim.section) == ("kim02", "Minji", "Kim", "Section A")
    assert "6 students" in summary and roster.by_canvas("9999") is None   # the Test Student is not a student


def test_canvas_zip_every_file_has_a_fate(canvas_course):
    course, _, results, _ = canvas_course
    with open(archive.folder(course, A) / "report.csv", newline="", encoding="utf-8") as f:
        fates = {row["file"]: (row["student"], row["fate"]) for row in csv.DictReader(f)}
    assert fates == {
        "kimminji_1001_70001_03_softmax.ipynb": ("kim01", intake.GRADED),
        "kimminji_1002_70002_03_softmax.ipynb": ("kim02", intake.GRADED),
        "leejun_1003_70003_03_softmax.ipynb": ("lee03", intake.GRADED),
        "leejun_1003_70004_scratch.pdf": ("lee03", intake.NOT_NOTEBOOK),
        "leejun_1003_70000_03_softmax-1.ipynb": ("lee03", intake.SUPERSEDED),
        "parksora_LATE_1004_70006_03_softmax.ipynb": ("park04", intake.GRADED),
        "choihana_LATE_1005_70007_03_softmax.py": ("choi05", intake.GRADED),
        "__MACOSX/._kimminji_1001_70001_03_softmax.ipynb": ("", intake.IGNORED),
    }
    # the same-name pair stays two students; the jupytext file is graded, not zeroed
    half = sample_class.half_right_answers(A)[1]
    assert {s: r.score for s, r in results.items()} == {
        "kim01": FULL, "kim02": 0, "lee03": half, "park04": FULL, "choi05": FULL}


def test_lateness_reaches_nbgrader_the_csv_and_the_feedback(canvas_course):
    course, _, _, _ = canvas_course
    rows = {r.student: r for r in grade.results(course, [A])}
    late = rows["park04"]
    assert late.seconds_late == LATE_MARKED and late.late_penalty == pytest.approx(FULL * 0.10)
    assert late.score == pytest.approx(FULL * 0.9)
    assert rows["kim01"].late_penalty == 0 and rows["kim01"].seconds_late == 0
    # the due date and the extension are nbgrader's own (gradebook), read back through its export
    csv_path = grade.export_csv(course)
    with open(csv_path, newline="") as f:
        exported = {r["student_id"]: r for r in csv.DictReader(f) if r["assignment"] == A}
    assert float(exported["park04"]["late_submission_penalty"]) == pytest.approx(1.2)
    assert (exported["park04"]["first_name"], exported["park04"]["last_name"]) == ("Sora", "Park")
    feedback = (course / "feedback" / "park04" / A / f"{A}.html").read_text(encoding="utf-8")
    assert "Late submission penalty" in feedback and "Sora Park" in feedback
    assert "counted as late by under a day" in feedback and "10 % of the score taken off" in feedback
    # Canvas marks LATE against its own due date: an extension here wins where no time says otherwise
    assert rows["choi05"].seconds_late == 0 and rows["choi05"].late_penalty == 0
    extended = (course / "feedback" / "choi05" / A / f"{A}.html").read_text(encoding="utf-8")
    assert "(extension 1 day)" in extended and "within the extension" in extended


def test_unknown_students_stop_intake_unless_the_instructor_says(canvas_course, notebooks, tmp_path):
    course, _, _, _ = canvas_course
    roster = Roster.load(course)
    zipped = _canvas_zip(tmp_path / "more.zip", notebooks,
                         {"ghostwriter_2000_80001_03_softmax.ipynb": notebooks["solution"]})
    with pytest.raises(intake.UnknownStudents, match=r"canvas:2000: ghostwriter_2000_80001_03_softmax.ipynb"):
        intake.collect(zipped, A, roster=roster)
    skipped = intake.collect(zipped, A, roster=roster, unmatched="skip")
    assert "ghostwriter-2000" not in {s.student for s in skipped.submissions}
    assert [f.fate for f in skipped.fates if f.file.startswith("ghost")] == [intake.UNKNOWN]
    assigned = intake.collect(zipped, A, roster=roster, assign={"canvas:2000": "yoon06"})
    assert {s.student: s.origin for s in assigned.submissions}["yoon06"].startswith("ghostwriter")
    with pytest.raises(intake.IntakeError, match="no student 'nobody'"):
        intake.collect(zipped, A, roster=roster, assign={"canvas:2000": "nobody"})


def test_regrade_one_student_keeps_hand_grades_lateness_and_the_report(canvas_course):
    from nbgrader.api import Gradebook
    course, zipped, _, _ = canvas_course
    report = (archive.folder(course, A) / "report.csv").read_bytes()
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        written = [g for g in gb.find_submission(A, "park04").notebooks[0].grades if g.cell_type == "markdown"]
        written[0].manual_score = written[0].max_score
        gb.db.commit()
        hand = written[0].max_score
    zipped.rename(zipped.with_suffix(".gone"))   # the zip is not needed again
    try:
        got = grade_class.regrade(A, course, ["park04"], workers=1, progress=False)
    finally:
        zipped.with_suffix(".gone").rename(zipped)
    assert [(r.student, r.score) for r in got] == [("park04", FULL)]
    row = {r.student: r for r in grade.results(course, [A])}["park04"]
    assert row.seconds_late == LATE_MARKED and row.score == pytest.approx((FULL + hand) * 0.9)
    assert (archive.folder(course, A) / "report.csv").read_bytes() == report


# ---- intake shapes without grading ----------------------------------------------------------------

def test_nbgrader_submitted_with_timestamps(notebooks, tmp_path):
    for student, stamp in (("stu01", "2027-03-23 14:00:00.000000 UTC"), ("stu02", "2027-03-24 16:30:00 UTC")):
        folder = tmp_path / student / A
        folder.mkdir(parents=True)
        (folder / f"{A}.ipynb").write_bytes(notebooks["solution"])
        (folder / "timestamp.txt").write_text(stamp)
        (folder / "submission_secret.txt").write_text("s3cret")
    (tmp_path / "stu01" / "02_backprop").mkdir()
    (tmp_path / "stu01" / "02_backprop" / "02_backprop.ipynb").write_bytes(notebooks["blank"])
    taken = intake.collect(tmp_path, A)
    assert taken.shape == "nbgrader submitted/"
    times = {s.student: s.submitted_at for s in taken.submissions}
    assert times == {"stu01": dt.datetime(2027, 3, 23, 14, tzinfo=dt.timezone.utc),
                     "stu02": dt.datetime(2027, 3, 24, 16, 30, tzinfo=dt.timezone.utc)}
    fates = {f.file: f.fate for f in taken.fates}
    assert fates["stu01/03_softmax/timestamp.txt"] == intake.METADATA
    assert fates["stu02/03_softmax/submission_secret.txt"] == intake.METADATA
    assert fates["stu01/02_backprop/02_backprop.ipynb"] == intake.IGNORED
    due = lateness.due_date(A)
    assert (times["stu02"] - due).total_seconds() > 0 > (times["stu01"] - due).total_seconds()


def _moodle_zip(path: Path, notebooks: dict, folders: bool) -> Path:
    files = {("Kim Minji", "501"): ("03_softmax.ipynb", notebooks["solution"]),
             ("Kim Minji", "502"): ("my work.ipynb", notebooks["blank"]),
             ("Lee Jun", "503"): ("03_softmax.ipynb", notebooks["half-right"])}
    with zipfile.ZipFile(path, "w") as z:
        for (name, pid), (fname, data) in files.items():
            prefix = f"{name}_{pid}_assignsubmission_file"
            z.writestr(f"{prefix}/{fname}" if folders else f"{prefix}_{fname}", data)
        z.writestr("Lee Jun_503_assignsubmission_onlinetext/onlinetext.html" if folders
                   else "Lee Jun_503_assignsubmission_onlinetext_onlinetext.html", b"<p>see file</p>")
    return path


@pytest.mark.parametrize("folders", [True, False], ids=["in folders", "flat"])
def test_moodle_download_never_merges_same_names(notebooks, tmp_path, folders):
    taken = intake.collect(_moodle_zip(tmp_path / "moodle.zip", notebooks, folders), A)
    assert taken.shape == "Moodle download"
    assert {s.student: s.lms["moodle_participant"] for s in taken.submissions} == {
        "Kim-Minji-501": "501", "Kim-Minji-502": "502", "Lee-Jun-503": "503"}
    assert sorted(f.fate for f in taken.fates) == [intake.GRADED] * 3 + [intake.NOT_NOTEBOOK]


def test_zip_limits(notebooks, tmp_path, monkeypatch):
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("kim01_03_softmax.ipynb", notebooks["solution"])
        with z.open("lee02_03_softmax.ipynb", "w", force_zip64=True) as member:
            block = b"\0" * (1 << 20)
            for _ in range((intake.MAX_FILE_BYTES >> 20) + 1):   # 101 MB of zeros in 100 KB
                member.write(block)
    assert bomb.stat().st_size < 1 << 20
    taken = intake.collect(bomb, A)
    fates = {f.file: (f.fate, f.reason) for f in taken.fates}
    assert fates["lee02_03_softmax.ipynb"][0] == intake.UNREADABLE and "limit" in fates["lee02_03_softmax.ipynb"][1]
    assert {s.student: bool(s.problem) for s in taken.submissions} == {"kim01": False, "lee02": True}
    monkeypatch.setattr(intake, "MAX_ZIP_BYTES", 50 << 20)
    with pytest.raises(intake.IntakeError, match="unpacks to 10[0-9] MB, over the limit"):
        intake.collect(bomb, A)
    monkeypatch.setattr(intake, "MAX_ZIP_MEMBERS", 1)
    with pytest.raises(intake.IntakeError, match="holds 2 files, over the limit of 1"):
        intake.collect(bomb, A)


def test_flat_folder_names_and_collisions(notebooks, tmp_path):
    for name in ("03_softmax_yoon07.ipynb", "kim-01_03_softmax.ipynb", "03_softmax (1).ipynb", "readme.txt"):
        (tmp_path / name).write_bytes(notebooks["blank"])
    taken = intake.collect(tmp_path, A)
    assert sorted(s.student for s in taken.submissions) == ["kim-01", "yoon07"]
    fates = {f.file: f.fate for f in taken.fates}
    assert fates["03_softmax (1).ipynb"] == intake.UNKNOWN and fates["readme.txt"] == intake.NOT_NOTEBOOK
    (tmp_path / "kim 01_03_softmax.ipynb").write_bytes(notebooks["blank"])
    with pytest.raises(intake.Collision, match="--assign 'kim 01=ID' --assign 'kim-01=ID2'"):
        intake.collect(tmp_path, A)
    resolved = intake.collect(tmp_path, A, assign={"kim 01": "kim01b"})
    assert sorted(s.student for s in resolved.submissions) == ["kim-01", "kim01b", "yoon07"]


def test_roster_rejects_what_would_merge_students(tmp_path):
    export = _canvas_export(tmp_path / "export.csv", [("Kim, Minji", "1001", "kim01", "A"),
                                                      ("Kim, Minji", "1002", "kim01", "A")])
    roster, _ = import_export(export, tmp_path)
    assert sorted(s.id for s in roster.students) == ["kim01", "kim01-2"]   # one login twice: two ids
    (tmp_path / "roster.csv").write_text("id,email\nkim01,k@x.edu\nkim02,K@x.edu\n")
    with pytest.raises(RosterError, match="share email"):
        Roster.load(tmp_path)


# ---- grades and feedback back to the LMS ------------------------------------------------------------

def test_canvas_grade_import_and_feedback_reupload(canvas_course, tmp_path):
    from autograder.lms import canvas
    course, _, _, _ = canvas_course
    results = {r.student: r for r in grade.results(course, [A])}
    paths = grade.export_lms_grades(course, [A], "canvas", tmp_path)
    with open(paths[0], newline="", encoding="utf-8") as f:
        table = list(csv.reader(f))
    assert table[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"] and len(table[0]) == 6
    # the grades go back into the Canvas assignment the roster's export showed (its id), not a new one
    assert table[0][5] == "03_softmax: Softmax (5003)" and table[1][0] == "    Points Possible" and table[1][5] == "16"
    rows = {r[1]: r for r in table[2:]}
    assert set(rows) == {"1001", "1002", "1003", "1004", "1005", "1006"}   # the roster, no Test Student
    roster = Roster.load(course)
    for uid, row in rows.items():
        r = results.get(roster.by_canvas(uid).id)
        # a score goes up only when final; pending (written answers not graded yet) and missing are blank
        assert row[5] == ("" if r is None or r.needs_manual else f"{r.score:g}"), (uid, row, r)
    assert any(r.needs_manual for r in results.values()) and any(not r.needs_manual for r in results.values())
    with open(paths[1], newline="", encoding="utf-8") as f:
        status = {row["student"]: row["status"] for row in csv.DictReader(f)}
    assert status["yoon06"] == "no submission"
    assert {status[s] for s, r in results.items() if r.needs_manual} == {"waiting for manual grading"}

    bundle = grade.export_lms_feedback(course, A, "canvas", tmp_path)
    manifest = archive.load_manifest(course, A)
    with zipfile.ZipFile(bundle) as z:
        names = {canvas.reupload_ids(n): n for n in z.namelist()}
        assert set(names) == {(m["lms"]["canvas_user_id"], m["lms"]["canvas_attachment_id"])
                              for m in manifest.values()}
        late = names[("1004", "70006")]
        assert late.startswith("parksora_LATE_1004_70006_") and late.endswith(".html")
        assert "Sora" in z.read(late).decode() and "Minji" not in z.read(late).decode()


def _moodle_worksheet(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    """A Moodle assignment's grading worksheet (View all submissions > Download grading worksheet)."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                    "Grade can be changed", "Last modified (submission)", "Last modified (grade)",
                    "Feedback comments"])
        for pid, name, email, when in rows:
            w.writerow([f"Participant {pid}", name, email, "Submitted for grading", "", "16.00", "Yes", when, "-", ""])
    return path


def test_moodle_loop_with_worksheet_times(tmp_path, copy_built_course, notebooks, monkeypatch):
    """The Moodle loop, with the course folder given relative to where the instructor stands."""
    from autograder.lms import moodle
    copy_built_course(tmp_path / "course")
    monkeypatch.chdir(tmp_path)
    course = Path("course")
    sheet = _moodle_worksheet(tmp_path / "worksheet.csv", [
        ("501", "Kim Minji", "minji.kim@uni.ac.kr", "Thursday, 25 March 2027, 1:05 AM"),   # 25 h late: 2 days
        ("502", "Kim Minji", "minji.kim2@uni.ac.kr", "Tuesday, 23 March 2027, 9:15 PM"),
        ("503", "Lee Jun", "jun.lee@uni.ac.kr", "Tuesday, 23 March 2027, 11:50 PM"),
        ("504", "Han Yuna", "yuna.han@uni.ac.kr", "-")])                                   # no submission
    with pytest.raises(RosterError, match="--assignment"):
        import_export(sheet, course)
    import_export(sheet, course, A)
    results = grade_class.grade_class(A, _moodle_zip(tmp_path / "moodle.zip", notebooks, folders=True), course,
                                      times=sheet, workers=2, progress=False)
    half = sample_class.half_right_answers(A)[1]
    assert {r.student: r.score for r in results} == {"minji.kim": FULL, "minji.kim2": 0, "jun.lee": half}
    rows = {r.student: r for r in grade.results(course, [A])}
    assert rows["minji.kim"].late_penalty == pytest.approx(FULL * 0.2)        # 2 started days, 10 % each
    assert rows["minji.kim2"].seconds_late == 0 and rows["jun.lee"].seconds_late == 0

    worksheet = grade.export_lms_grades(course, [A], "moodle", tmp_path / "out")[0]
    with open(worksheet, newline="", encoding="utf-8") as f:
        got = {row["Identifier"]: row for row in csv.DictReader(f)}
    assert set(got) == {"Participant 501", "Participant 502", "Participant 503", "Participant 504"}
    assert got["Participant 504"]["Status"] == "No submission" and got["Participant 504"]["Grade"] == ""
    for pid, student in (("501", "minji.kim"), ("502", "minji.kim2"), ("503", "jun.lee")):
        r = rows[student]
        assert got[f"Participant {pid}"]["Grade"] == ("" if r.needs_manual else f"{r.score:g}")

    bundle = grade.export_lms_feedback(course, A, "moodle", tmp_path / "out")
    with zipfile.ZipFile(bundle) as z:
        pieces = sorted(moodle.import_pieces(n)[:4] for n in z.namelist())
        assert pieces == [["Kim Minji", "501", "assignfeedback", "file"], ["Kim Minji", "502", "assignfeedback", "file"],
                          ["Lee Jun", "503", "assignfeedback", "file"]]
        mine = next(n for n in z.namelist() if "_501_" in n)
        text = z.read(mine).decode()
        assert "minji.kim" in text and "1 day 1 h late" in text and "20 % of the score taken off" in text
