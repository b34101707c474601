"""Moodle: the assignment's offline grading worksheet (class list, submission times, grades back), the
participants download (class list), the gradebook CSV import (grades of the whole course) and
"Upload multiple feedback files in a zip" (feedback back).

What this relies on in Moodle (mod/assign/gradingtable.php, mod/assign/feedback/offline/,
mod/assign/feedback/file/importziplib.php, grade/import/csv/):

* Inside an assignment every student has a participant id, `Participant 1234567` in the worksheet's
  `Identifier` column and `Full Name_1234567_…` in its download zip. It is the assignment's own
  pseudonymous id (table `assign_user_mapping`), not the Moodle user id, and differs from one
  assignment to the next: the roster keeps it per assignment.
* The worksheet's dates are written as `Friday, 5 March 2021, 2:05 PM` (`%A, %d %B %Y, %I:%M %p`, no
  leading zero on day or hour) in the downloading user's timezone, which is taken to be the course's;
  `-` means none. `Last modified (submission)` is the time Moodle itself judges lateness by.
* The worksheet upload needs the columns `Identifier`, `Grade` and `Last modified (grade)`, matches
  rows by the identifier alone, ignores `Status` and the other columns, and reads a feedback column by
  its title (`Feedback comments`). It skips a grade that is blank, unchanged or above the maximum, and
  skips a row entirely (grade and feedback) when `Last modified (grade)`, read with PHP's strtotime,
  is more than 60 s older than the grade in Moodle, unless "Ignore last modified date" is ticked. A
  feedback comment that differs from Moodle's replaces it, even a blank one. So a result that is
  final is written with its grade, a comment and the time of the export; a pending or missing one
  with a blank grade, a blank comment and `-` as its grade time (strtotime cannot read it, so the row
  counts as stale for a student Moodle has a grade for, and changes nothing for one it has not):
  leave "Ignore last modified date" unticked. strtotime reads the export time in the server's
  timezone; where that is behind the course's, a grade changed in Moodle within that offset before the
  upload counts as newer and is kept.
* A grade above the assignment's Maximum grade is skipped, and one below it is taken as is: give the
  Moodle assignment the course's points as its maximum grade (Moodle's default is 100).
* The feedback zip upload splits each file name with `explode('_', $name, 5)`: piece 1 must be a
  current participant id, pieces 2 and 3 must name an assignment plugin, and the rest is the name
  the file is stored under. The plugin named is `assignfeedback_file`: the feedback-files plugin
  must be enabled for the upload to exist at all, whereas `assignsubmission_file` (what Moodle's
  own download uses) may be switched off for an assignment. A flat name (no folders) and a full name
  with `_` turned into spaces (as Moodle's download writes it) keep the pieces where Moodle looks.
* The gradebook's CSV import maps one column to a user field (here `Email address` to the email) and
  each other column to a grade item; a blank cell gives no grade.
"""
from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

from ..roster import RosterError, Student
from .common import feedback_zip as common_feedback_zip
from .common import (MAX_NAME_BYTES, Table, blank, cell_text, column_title, email_user, file_name_part,
                     local_time, new_student, number, ordered, summary, timezone, warn)

WORKSHEET_KIND = "Moodle grading worksheet"
PARTICIPANTS_KIND = "Moodle participants export"
WORKSHEET_COLUMNS = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                     "Grade can be changed", "Last modified (submission)", "Last modified (grade)",
                     "Feedback comments"]
PARTICIPANT = "Participant "          # get_string('hiddenuser', 'assign') in English
FEEDBACK_PLUGIN = "assignfeedback_file"
_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]
_DATE = re.compile(r"^(?:[A-Za-z]+,\s*)?(\d{1,2})\s+([A-Za-z]+)\s+(\d{4}),?\s+(\d{1,2}):(\d{2})\s*([AaPp][Mm])$")


# ---- the grading worksheet ----------------------------------------------------------------------

def is_worksheet(table: Table) -> bool:
    return table.index("Identifier") is not None and (
        table.index("Last modified (grade)") is not None or table.index("Grade") is not None)


def participant_id(identifier: str) -> str:
    """`Participant 1234567` -> `1234567` (whatever the language of the prefix); "" if none."""
    m = re.search(r"(\d+)\s*$", identifier)
    return m[1] if m else ""


def read_worksheet(table: Table, assignment: str | None) -> list[Student]:
    """The students of a grading worksheet, each with their participant id for `assignment`."""
    if not assignment:
        raise RosterError(f"{table.path.name} is a {WORKSHEET_KIND}: its participant ids belong to one "
                          "assignment; say which (--assignment, e.g. 03_softmax)")
    ident, name, email, idnumber = (table.index("Identifier"), table.index("Full name"),
                                    table.index("Email address", "Email"), table.index("ID number"))
    students = []
    for line, row in table.rows:
        if blank(row):
            continue
        pid = participant_id(table.cell(row, ident))
        if not pid:
            raise RosterError(f"{table.path.name} line {line}: the Identifier {table.cell(row, ident)!r} "
                              "carries no participant number (expected e.g. 'Participant 1234567')")
        mail, number_ = table.cell(row, email), table.cell(row, idnumber)
        key = number_ or email_user(mail)
        if not key:
            raise RosterError(f"{table.path.name} line {line}: participant {pid} has no email or ID number "
                              "(blind marking hides them; import a participants export instead)")
        first, last = split_full_name(table.cell(row, name))
        s = new_student(key, first_name=first, last_name=last, email=mail, sis_user_id=number_)
        s.set_moodle_participant(assignment, pid)
        students.append(s)
    return students


def read_times(table: Table, assignment: str, roster) -> dict[str, dt.datetime]:
    """{roster id: aware time} from the worksheet's `Last modified (submission)` (course timezone)."""
    ident, email, when = (table.index("Identifier"), table.index("Email address", "Email"),
                          table.index("Last modified (submission)"))
    if when is None:
        raise RosterError(f"{table.path.name}: the grading worksheet has no `Last modified (submission)` "
                          "column")
    tz, out = timezone(), {}
    for line, row in table.rows:
        text = table.cell(row, when)
        if blank(row) or text in ("", "-"):
            continue   # no submission: no time to give
        pid, mail = participant_id(table.cell(row, ident)), table.cell(row, email)
        student = (pid and roster.by_moodle(assignment, pid)) or (
            mail and next((s for s in roster.students if s.email.lower() == mail.lower()), None))
        if not student:
            raise RosterError(f"{table.path.name} line {line}: participant {pid or '?'} ({mail or 'no email'}) "
                              f"is not in the roster for {assignment}; import this worksheet into the "
                              "roster first (roster --assignment)")
        try:
            out[student.id] = parse_date(text).replace(tzinfo=tz)
        except ValueError:
            raise RosterError(f"{table.path.name} line {line}: {text!r} is not a Moodle date "
                              "(e.g. 'Friday, 5 March 2021, 2:05 PM')") from None
    return out


def parse_date(text: str) -> dt.datetime:
    """`Friday, 5 March 2021, 2:05 PM` -> a naive datetime (English month names, any locale here)."""
    m = _DATE.match(text.strip())
    if not m:
        raise ValueError(text)
    day, month, year, hour, minute, half = m.groups()
    months = [n.lower() for n in _MONTHS]
    month = month.lower()
    index = next((i for i, n in enumerate(months) if n == month or (len(month) >= 3 and n.startswith(month))), None)
    if index is None or not 1 <= int(hour) <= 12:
        raise ValueError(text)
    hour24 = int(hour) % 12 + (12 if half.lower() == "pm" else 0)
    return dt.datetime(int(year), index + 1, int(day), hour24, int(minute))


def format_date(when: dt.datetime) -> str:
    """Moodle's `%A, %d %B %Y, %I:%M %p` without leading zeros: `Friday, 5 March 2021, 2:05 PM`."""
    hour = when.hour % 12 or 12
    return (f"{_WEEKDAYS[when.weekday()]}, {when.day} {_MONTHS[when.month - 1]} {when.year}, "
            f"{hour}:{when.minute:02d} {'AM' if when.hour < 12 else 'PM'}")


def worksheet_csv(rows, roster, assignment: str, path: Path, now: dt.datetime | None = None,
                  points: float | None = None) -> Path:
    """A grading worksheet to upload to the Moodle assignment `assignment`: one row per roster student
    with a participant id for it. Final results carry their grade and a one-line comment; pending and
    missing ones a blank grade, no comment and `-` as grade time, so the upload leaves them alone."""
    path = Path(path)
    mine = [r for r in rows if r.assignment == assignment]
    results = {r.student: r for r in mine}
    if points is None:
        points = max((r.max_score for r in mine), default=None)
    if points is None:
        points = float(_course_points(assignment))
    stamp = format_date((now or dt.datetime.now(dt.timezone.utc)).astimezone(timezone()))
    students = sorted((s for s in roster.students if s.moodle_participant(assignment)),
                      key=lambda s: (s.last_name.lower(), s.first_name.lower(), s.id))
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(WORKSHEET_COLUMNS)
        for s in students:
            r = results.get(s.id)
            final = r is not None and not r.needs_manual
            when = local_time(r.submitted_at) if r is not None else None
            # (the upload matches by Identifier alone: the name and email cells are only read by people)
            w.writerow([f"{PARTICIPANT}{s.moodle_participant(assignment)}", cell_text(s.full_name),
                        cell_text(s.email),
                        "No submission" if r is None else "Waiting for manual grading" if r.needs_manual
                        else "Graded",
                        number(r.score) if final else "", number(r.max_score if r else points), "Yes",
                        format_date(when) if when else "-", stamp if final else "-",
                        summary(r) if final else ""])
    written = {s.id for s in students}
    warn(f"not in the Moodle worksheet for {assignment} (not in the roster or no participant id: "
         f"import this assignment's worksheet into the roster)", sorted(r.student for r in mine
                                                                         if r.student not in written))
    warn(f"left blank in the worksheet for {assignment}, waiting for manual grading",
         sorted(r.student for r in mine if r.needs_manual and r.student in written))
    return path


def _course_points(assignment: str):
    from .common import course_assignments
    return course_assignments().get(assignment, {}).get("points", 0)


def split_full_name(name: str) -> tuple[str, str]:
    """"Ada King Lovelace" -> ("Ada King", "Lovelace"): the last word is the last name."""
    first, _, last = name.strip().rpartition(" ")
    return first.strip(), last.strip()


# ---- the participants export --------------------------------------------------------------------

_P_FIRST, _P_LAST, _P_FULL = ("first name", "firstname"), ("last name", "lastname", "surname"), ("full name",)
_P_EMAIL, _P_IDNUMBER, _P_USERNAME = ("email address", "email"), ("id number", "idnumber"), ("username",)
_P_GROUPS = ("groups", "group")


def is_participants(table: Table) -> bool:
    named = (table.index(*_P_FIRST) is not None and table.index(*_P_LAST) is not None) or \
        table.index(*_P_FULL) is not None
    keyed = any(table.index(*k) is not None for k in (_P_EMAIL, _P_IDNUMBER, _P_USERNAME))
    return named and keyed


def read_participants(table: Table) -> list[Student]:
    """The students of a participants download (columns matched by name, any case). The id is the
    ID number, else the username, else the email's user part. The ID number is kept as the SIS user
    id and the username as the SIS login, so that either names the student elsewhere."""
    cols = {k: table.index(*names) for k, names in (("first", _P_FIRST), ("last", _P_LAST), ("full", _P_FULL),
                                                   ("email", _P_EMAIL), ("idnumber", _P_IDNUMBER),
                                                   ("username", _P_USERNAME), ("groups", _P_GROUPS))}
    students = []
    for line, row in table.rows:
        if blank(row):
            continue
        get = {k: table.cell(row, i) for k, i in cols.items()}
        key = get["idnumber"] or get["username"] or email_user(get["email"])
        if not key:
            raise RosterError(f"{table.path.name} line {line}: no ID number, username or email address")
        first, last = (get["first"], get["last"]) if cols["first"] is not None and cols["last"] is not None \
            else split_full_name(get["full"])
        groups = "" if get["groups"].lower() in ("no groups", "-") else get["groups"]
        students.append(new_student(key, first_name=first, last_name=last, email=get["email"], section=groups,
                                    sis_user_id=get["idnumber"], sis_login_id=get["username"]))
    return students


# ---- the gradebook CSV import -------------------------------------------------------------------

def gradebook_csv(rows, roster, path: Path, titles: dict[str, str] | None = None) -> Path:
    """Every assignment in `rows` for the course gradebook's Import > CSV file: `Email address,
    ID number,<id> <title>…` (map `Email address` to the users' email; each other column to its grade
    item or to a new one). Pending and missing results are blank."""
    path = Path(path)
    assignments = ordered({r.assignment for r in rows}, titles)
    results = {(r.student, r.assignment): r for r in rows}
    students = sorted((s for s in roster.students if s.email),
                      key=lambda s: (s.last_name.lower(), s.first_name.lower(), s.id))
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Email address", "ID number", *(column_title(a, titles) for a in assignments)])
        for s in students:
            cells = []
            for a in assignments:
                r = results.get((s.id, a))
                cells.append(number(r.score) if r is not None and not r.needs_manual else "")
            w.writerow([s.email, s.sis_user_id, *cells])
    written = {s.id for s in students}
    warn("not in the Moodle gradebook import (not in the roster or no email)",
         sorted({r.student for r in rows if r.student not in written}))
    warn("left blank in the Moodle gradebook import, waiting for manual grading",
         sorted(f"{r.student} {r.assignment}" for r in rows if r.needs_manual and r.student in written))
    return path


# ---- feedback: "Upload multiple feedback files in a zip" ----------------------------------------

def feedback_zip(course: Path, assignment: str, roster, manifest: dict, path: Path) -> Path:
    """Each student's feedback HTML as `<Full name>_<participant id>_assignfeedback_file_feedback.html`
    (the participant id from the manifest's `lms.moodle_participant`, else the roster's)."""
    def member(student: str, lms: dict) -> str:
        known = roster.by_id(student) if roster else None
        pid = str(lms.get("moodle_participant") or (known.moodle_participant(assignment) if known else ""))
        if not pid.isdigit():
            return f"!no participant id for {assignment}"
        return feedback_name(lms.get("moodle_name") or (known.full_name if known else ""), pid)
    return common_feedback_zip(course, assignment, manifest, path, "Moodle", member)


def feedback_name(full_name: str, pid: str, filename: str = "feedback.html") -> str:
    """`<Full name>_<pid>_assignfeedback_file_<filename>`: the name with `_` (Moodle's separator) and
    characters unsafe in a file name turned into spaces, never starting with `.` or `~` (ignored),
    without invisible formatting characters, and cut so that the whole fits in a file name (Moodle
    unpacks the zip to disk and reads only the participant id)."""
    name = re.sub(r"[_/\\:*?\"<>|\x00-\x1f\x7f]", " ", full_name)
    tail = f"_{pid}_{FEEDBACK_PLUGIN}_{filename}"
    name = file_name_part(" ".join(name.split()).lstrip(".~ "), MAX_NAME_BYTES - len(tail.encode("utf-8")))
    return f"{name.strip() or 'Participant'}{tail}"


def import_pieces(name: str) -> list[str]:
    """PHP's `explode('_', $name, 5)`, as the zip import splits a name."""
    return name.split("_", 4)
