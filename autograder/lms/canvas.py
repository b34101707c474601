"""Canvas: the gradebook export (the class list), the gradebook import CSV (grades back) and the
"Re-upload submissions" zip (feedback back).

What this relies on in Canvas (lib/gradebook_exporter.rb, lib/gradebook_importer.rb,
lib/content_zipper.rb, app/models/assignment.rb):

* The export's header is `Student,ID,[SIS User ID,]SIS Login ID,[Integration ID,][Root Account,]
  Section,...` (or `LastName,FirstName,ID,...` where the account shows first and last names). `Student`
  is the sortable name, "Last, First". A row of `Manual Posting` marks may come before the row whose
  first cell is `    Points Possible`; the Test Student ("Student, Test") is listed last. Where the
  locale uses a decimal comma the separator is `;`.
* The importer matches a student by the `ID` column (the Canvas user id) first, then the SIS ids, then
  the name. It needs `Student`, `ID` and `Section` in the header (section values are ignored); the
  `Points Possible` row is optional and gives a new column its points (an existing assignment keeps
  its own: give it the course's points). A column header of the form `Title (123)` updates
  assignment 123; any other header updates the assignment of that exact title, and failing that
  Canvas **creates a new assignment** of that title (it shows it as new before anything is applied).
  So the import file names a column `<id> <title>` (e.g. `03_softmax Softmax & negative
  log-likelihood`), which creates the assignment on the first import and updates it on the next
  ones; pass `columns` (e.g. from `assignment_columns` on a gradebook export) to fill in assignments
  that already exist under other titles. Headers containing
  "Current Score", "Final Points" and the like are dropped by the importer as totals.
* A blank cell where Canvas has no grade is no change (a blank over a score Canvas has is listed as a
  change on the confirmation page; what applying it does is not known here: check that page). A
  score is written with a dot decimal (the importer also accepts a decimal comma). Pending (written
  answers not graded yet) and missing results are left blank; the `_status.csv` beside the import
  says which is which.
* The "Download Submissions" zip names each file `<name>[_LATE]_<user id>_<attachment id>_<file>`: the
  second number is the attachment (file) id. "Re-upload submissions" reads the first two all-digit
  `_`-separated tokens of each file name as user id and attachment id, attaches the file to that
  submission as a comment and leaves the grade alone. The feedback zip therefore keeps the downloaded
  name up to the attachment id and appends `_feedback.html`.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

from ..roster import RosterError, Student
from .common import feedback_zip as common_feedback_zip
from .common import (MAX_NAME_BYTES, Table, blank, cell_text, column_title, email_user, file_name_part,
                     new_student, number, ordered, status, warn)

KIND = "Canvas gradebook export"
POINTS_POSSIBLE = "    Points Possible"    # the exporter's text, 4 leading spaces
TEST_STUDENT = "Student, Test"
_TITLE_WITH_ID = re.compile(r"\A(.*)\s\((\d+)\)\Z")   # the importer's `Title (assignment id)`
_TOTALS = re.compile(r"Current Score|Current Points|Current Grade|Final Score|Final Points|Final Grade|"
                     r"Override Score|Override Grade|Override Status")
_INFO = ("Student", "LastName", "FirstName", "ID", "SIS User ID", "SIS Login ID", "Integration ID",
         "Root Account", "Section")


# ---- reading the gradebook export ---------------------------------------------------------------

def is_gradebook_export(header: list[str]) -> bool:
    h = [c.strip() for c in header]
    return (len(h) >= 2 and h[0] == "Student" and h[1] == "ID") or h[:3] == ["LastName", "FirstName", "ID"]


def read_gradebook_export(table: Table) -> list[Student]:
    """The students of a Canvas gradebook export (the Test Student and the header-like rows left out)."""
    name, last, first = table.index("Student"), table.index("LastName"), table.index("FirstName")
    uid, sis_user, sis_login, section = (table.index("ID"), table.index("SIS User ID"),
                                         table.index("SIS Login ID"), table.index("Section"))
    students = []
    for line, row in table.rows:
        if blank(row) or _is_points_row(row) or _is_posting_row(row):
            continue
        if name is not None:
            last_name, first_name = _split_sortable(_unformula(table.cell(row, name)))
        else:
            last_name, first_name = _unformula(table.cell(row, last)), _unformula(table.cell(row, first))
        if f"{last_name}, {first_name}" == TEST_STUDENT:
            continue
        canvas_id = table.cell(row, uid)
        if not canvas_id.isdigit():
            raise RosterError(f"{table.path.name} line {line}: {'no' if not canvas_id else 'a non-numeric'} "
                              f"Canvas user ID {canvas_id!r} in the `ID` column ({last_name}, {first_name})")
        login, sis = table.cell(row, sis_login), table.cell(row, sis_user)
        key = email_user(login.lower()) if login else sis if sis else f"canvas-{canvas_id}"
        students.append(new_student(key, first_name=first_name, last_name=last_name,
                                    email=login if "@" in login else "", section=table.cell(row, section),
                                    canvas_user_id=canvas_id, sis_user_id=sis, sis_login_id=login))
    return students


def assignment_columns(table: Table, assignments: dict[str, str]) -> dict[str, str]:
    """{course assignment id: the export's column for it}: a column `Title (123)` whose title starts
    with the assignment id or equals its course title. `assignments`: {id: course title}."""
    out = {}
    for header in table.header:
        m = _TITLE_WITH_ID.match(header.strip())
        if not m or header.strip() in _INFO:
            continue
        title = m[1].strip()
        for a, course_title in assignments.items():
            if title == course_title or re.match(rf"{re.escape(a)}\b", title):
                out.setdefault(a, header.strip())
    return out


def _is_points_row(row: list[str]) -> bool:
    return bool(row) and row[0].strip() == POINTS_POSSIBLE.strip()


def _is_posting_row(row: list[str]) -> bool:
    """The row of `Manual Posting` (or older `Muted`) marks before the points row."""
    cells = [c.strip() for c in row if c.strip()]
    return bool(cells) and not row[0].strip() and all(c.startswith("Manual Posting") or c == "Muted"
                                                      for c in cells)


def _unformula(text: str) -> str:
    """The exporter writes a name starting with `=` as `="…"`."""
    return text[2:-1] if text.startswith('="') and text.endswith('"') else text


def _split_sortable(name: str) -> tuple[str, str]:
    """"Last, First" -> (last, first); a name without a comma is all last name."""
    last, _, first = name.partition(",")
    return last.strip(), first.strip()


# ---- grades: the gradebook import CSV -----------------------------------------------------------

STATUS_COLUMNS = ["student", "assignment", "status", "score", "max_score", "late_penalty"]


def grades_csv(rows, roster, path: Path, columns: dict[str, str] | None = None,
               titles: dict[str, str] | None = None) -> Path:
    """A Canvas gradebook import CSV of `rows` (Results) at `path`, and `<stem>_status.csv` beside it.

    One row per roster student with a Canvas user id; one column per assignment in `rows`, headed
    `columns[assignment]` or `<id> <title>`. A score is written only where it is final: pending
    (waiting for manual grading) and missing results are blank, which Canvas reads as no change.
    Results of students not in the roster, or without a Canvas user id, cannot be uploaded: they are
    listed in a warning and in the status file as `not uploaded: …`."""
    path = Path(path)
    columns = columns or {}
    assignments = ordered({r.assignment for r in rows}, titles)
    results = {(r.student, r.assignment): r for r in rows}
    students = sorted((s for s in roster.students if s.canvas_user_id),
                      key=lambda s: (s.last_name.lower(), s.first_name.lower(), s.id))
    headers = [columns.get(a) or _new_column(a, titles) for a in assignments]
    for h in headers:
        if _TOTALS.search(h):
            print(f"warning: Canvas drops a column named like a total: {h!r}; pass `columns` to rename it")
    points = {a: max((r.max_score for r in rows if r.assignment == a), default=0.0) for a in assignments}

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *headers])
        w.writerow([POINTS_POSSIBLE, "", "", "", "", *(number(points[a]) for a in assignments)])
        for s in students:
            cells = []
            for a in assignments:
                r = results.get((s.id, a))
                cells.append(number(r.score) if r is not None and not r.needs_manual else "")
            # (the importer matches by the ID column: the name and section cells are only read by people)
            w.writerow([cell_text(f"{s.last_name}, {s.first_name}" if s.first_name else s.last_name or s.id),
                        s.canvas_user_id, s.sis_user_id, s.sis_login_id, cell_text(s.section), *cells])

    uploaded = {s.id for s in students}
    skipped = {}
    for r in rows:
        if r.student not in uploaded:
            skipped[r.student] = ("not in the roster" if roster.by_id(r.student) is None
                                  else "no Canvas user id in the roster")
    with open(status_path(path), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(STATUS_COLUMNS)
        for sid in sorted(uploaded | set(skipped)):
            for a in assignments:
                r = results.get((sid, a))
                if sid in skipped and r is None:
                    continue
                state = f"not uploaded: {skipped[sid]}" if sid in skipped else status(r)
                w.writerow([cell_text(sid), a, state, "" if r is None else number(r.score),
                            number(points[a]) if r is None else number(r.max_score),
                            "" if r is None else number(r.late_penalty)])
    warn("not in the Canvas import (not in the roster or no Canvas user id)",
         [f"{sid} ({why})" for sid, why in sorted(skipped.items())])
    warn("left blank, waiting for manual grading",
         sorted(f"{r.student} {r.assignment}" for r in rows if r.needs_manual and r.student in uploaded))
    return path


def status_path(path: Path) -> Path:
    path = Path(path)
    return path.with_name(f"{path.stem}_status.csv")


def _new_column(assignment: str, titles: dict[str, str] | None) -> str:
    header = column_title(assignment, titles)
    # a title ending in "(digits)" would be read as the id of an existing Canvas assignment
    m = _TITLE_WITH_ID.match(header)
    return f"{m[1]} [{m[2]}]" if m else header


# ---- feedback: the "Re-upload submissions" zip --------------------------------------------------

def feedback_zip(course: Path, assignment: str, roster, manifest: dict, path: Path) -> Path:
    """Each student's feedback HTML, named so that Canvas' re-upload attaches it to their submission:
    `<downloaded name up to the attachment id>_feedback.html`."""
    def member(student: str, lms: dict) -> str:
        uid, att = str(lms.get("canvas_user_id") or ""), str(lms.get("canvas_attachment_id") or "")
        if not (uid.isdigit() and att.isdigit()):
            return "!no Canvas user and attachment ids: not from a Canvas zip"
        name = _feedback_name(_prefix(lms, uid, att, roster.by_id(student) if roster else None, manifest[student]))
        if reupload_ids(name) != (uid, att):   # (cannot happen with the names built here)
            return f"!the name {name!r} would not be matched"
        return name
    return common_feedback_zip(course, assignment, manifest, path, "Canvas", member)


def _feedback_name(prefix: str, suffix: str = "_feedback.html") -> str:
    """`<prefix>_feedback.html`, its name part (before `[LATE_]<user id>_<attachment id>`) shortened
    where the whole would not fit in a file name: the re-upload reads only the ids."""
    name = prefix + suffix
    if len(name.encode("utf-8")) <= MAX_NAME_BYTES:
        return name
    tokens = prefix.split("_")
    n = 3 if len(tokens) >= 3 and tokens[-3].lower() == "late" else 2
    head, ids = "_".join(tokens[:-n]), "_".join(tokens[-n:])
    head = file_name_part(head, MAX_NAME_BYTES - len(f"_{ids}{suffix}".encode("utf-8"))).rstrip("_")
    return f"{head}_{ids}{suffix}" if head else f"{ids}{suffix}"


def reupload_ids(name: str) -> tuple[str, str] | None:
    """(user id, attachment id) as Canvas' re-upload reads them from a file name: the first two
    all-digit `_`-separated tokens."""
    digits = [t for t in Path(name).name.split("_") if re.fullmatch(r"[0-9]+", t)]
    return (digits[0], digits[1]) if len(digits) >= 2 else None


def _prefix(lms: dict, uid: str, att: str, student: Student | None, entry: dict) -> str:
    """The downloaded file's name up to its attachment id, or one built the way Canvas builds it."""
    tokens = Path(str(lms.get("lms_file") or "")).name.split("_")
    digit_at = [i for i, t in enumerate(tokens) if re.fullmatch(r"[0-9]+", t)]
    if len(digit_at) >= 2 and (tokens[digit_at[0]], tokens[digit_at[1]]) == (uid, att):
        return "_".join(tokens[:digit_at[1] + 1])
    name = canvas_name(student) if student else ""
    late = "LATE" if entry.get("late_marker") else ""
    return "_".join(p for p in (name, late, uid, att) if p)


def canvas_name(student: Student) -> str:
    """A student's name part as Canvas writes it in a submission file name: the sortable name
    lower-cased, `_<digits>_` runs joined, anything but word characters removed."""
    sortable = f"{student.last_name}, {student.first_name}" if student.first_name else student.last_name
    name = re.sub(r"_(\d+)_", r"\1", sortable.lower())
    return re.sub(r"[^\w]", "", name)
