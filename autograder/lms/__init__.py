"""The LMS side of grading: class lists and submission times in, grades and feedback out.

Each LMS has its module with everything about its formats (`canvas`, `moodle`); `common` reads a
spreadsheet export (UTF-8 with or without a byte-order mark, `,` or `;`) and holds what both share.
This module only recognises an export by its header row and hands it to the module that reads it.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..roster import RosterError, Student
from . import canvas, moodle
from .common import is_times_csv, ordered, read_table, read_times_csv

LMSES = ("canvas", "moodle")


def read_roster_export(path: Path, assignment: str | None = None) -> tuple[str, list[Student]]:
    """(what the export is, its students): a Canvas gradebook export, a Moodle grading worksheet
    (whose participant ids belong to `assignment`) or a Moodle participants export."""
    table = read_table(Path(path))
    if canvas.is_gradebook_export(table.header):
        return canvas.KIND, canvas.read_gradebook_export(table)
    if moodle.is_worksheet(table):
        return moodle.WORKSHEET_KIND, moodle.read_worksheet(table, assignment)
    if moodle.is_participants(table):
        return moodle.PARTICIPANTS_KIND, moodle.read_participants(table)
    raise RosterError(
        f"{Path(path).name}: not an export this tool reads (header: {', '.join(table.header[:8]) or 'none'}"
        f"{', …' if len(table.header) > 8 else ''}). Expected a Canvas gradebook export (Student, ID, "
        "[SIS User ID,] SIS Login ID, Section, …), a Moodle grading worksheet (Identifier, Full name, "
        "Email address, Status, Grade, …) or a Moodle participants export (First name, Last name or "
        "Full name, with Email address, ID number or Username)")


def canvas_columns(path: Path) -> dict[str, str]:
    """{course assignment id: its column} in a Canvas gradebook export ({} for any other file), so
    that grades go back into the Canvas assignments that exist instead of new ones."""
    from .common import course_assignments
    table = read_table(Path(path))
    if not canvas.is_gradebook_export(table.header):
        return {}
    return canvas.assignment_columns(table, {a: v.get("title", "") for a, v in course_assignments().items()})


def read_times(path: Path, assignment: str, roster) -> dict[str, dt.datetime]:
    """{roster id: aware submission time} from a Moodle grading worksheet of `assignment` or a CSV
    with columns `student,submitted_at`."""
    table = read_table(Path(path))
    if moodle.is_worksheet(table):
        return moodle.read_times(table, assignment, roster)
    if is_times_csv(table):
        return read_times_csv(table, roster)
    raise RosterError(f"{Path(path).name}: not a file of submission times (header: "
                      f"{', '.join(table.header[:8]) or 'none'}). Expected a Moodle grading worksheet "
                      "(Identifier, …, Last modified (submission), …) or a CSV with columns "
                      "student,submitted_at (ISO 8601; without an offset, the course's timezone)")


def export_grades(rows: list, roster, out_dir: Path, lms: str, columns: dict[str, str] | None = None) -> list[Path]:
    """Grade files for `lms` in `out_dir`. Canvas: `canvas_grades.csv` (gradebook import; `columns`
    names existing Canvas columns) and its `_status.csv`. Moodle: one grading worksheet per assignment
    (`moodle_<assignment>_worksheet.csv`) and `moodle_gradebook.csv` (gradebook import)."""
    out_dir = Path(out_dir)
    if _lms(lms) == "canvas":
        path = canvas.grades_csv(rows, roster, out_dir / "canvas_grades.csv", columns=columns)
        return [path, canvas.status_path(path)]
    paths = [moodle.worksheet_csv(rows, roster, a, out_dir / f"moodle_{a}_worksheet.csv")
             for a in ordered({r.assignment for r in rows})]
    return [*paths, moodle.gradebook_csv(rows, roster, out_dir / "moodle_gradebook.csv")]


def export_feedback(course: Path, assignment: str, roster, manifest: dict, out_dir: Path, lms: str) -> Path:
    """The feedback HTML of `assignment` as a zip `lms` takes back (see canvas/moodle.feedback_zip)."""
    module = canvas if _lms(lms) == "canvas" else moodle
    return module.feedback_zip(course, assignment, roster, manifest,
                               Path(out_dir) / f"{assignment}_{lms}_feedback.zip")


def _lms(lms: str) -> str:
    if lms not in LMSES:
        raise ValueError(f"unknown LMS {lms!r}: give one of {', '.join(LMSES)}")
    return lms
