"""What the LMS formats share: reading a spreadsheet export, the course's titles and points, numbers
and times as the LMSes write them, and the generic submission-times CSV (`student,submitted_at`).

Exports are read as UTF-8 (a byte-order mark, as Excel writes, is dropped). Canvas writes `;` as the
separator where the user's locale has a decimal comma, and its importer guesses the separator from
the first lines; the reader does the same: of `,` and `;` it takes the one that splits the header
row into more columns.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..roster import RosterError, Student
from ..lateness import duration_text
from ..sanitize import cell_text  # noqa: F401  (the LMS modules use it from here)


@dataclass
class Table:
    """A spreadsheet export: its header and its rows, each with its line number in the file."""
    path: Path
    header: list[str]
    rows: list[tuple[int, list[str]]]
    delimiter: str

    def index(self, *names: str) -> int | None:
        """The column whose stripped header is one of `names` (case-insensitive), or None."""
        wanted = [n.lower() for n in names]
        stripped = [h.strip().lower() for h in self.header]
        for n in wanted:
            if n in stripped:
                return stripped.index(n)
        return None

    @staticmethod
    def cell(row: list[str], i: int | None) -> str:
        return row[i].strip() if i is not None and i < len(row) else ""


def read_table(path: Path) -> Table:
    """The CSV at `path`, its separator (`,` or `;`) guessed from the header row."""
    path = Path(path)
    raw = path.read_bytes()
    if raw[:4] == b"PK\x03\x04":
        raise RosterError(f"{path.name}: this is a spreadsheet (.xlsx) or a zip, not CSV; "
                          "download the export as CSV (or save it as CSV UTF-8)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RosterError(f"{path.name}: not UTF-8 text (byte {exc.start}); save the export as CSV UTF-8") from None
    first = next(iter(text.splitlines()), "")
    delimiter = max(",;", key=lambda d: len(next(csv.reader([first], delimiter=d), [])))
    lines = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if not lines:
        raise RosterError(f"{path.name}: the file is empty")
    header = [h.strip() for h in lines[0]]
    # csv.reader numbers rows, not physical lines; a quoted cell may span lines, so count them
    rows, line = [], 1 + _newlines(lines[0])
    for row in lines[1:]:
        line += 1
        rows.append((line, row))
        line += _newlines(row)
    return Table(path, header, rows, delimiter)


def _newlines(row: list[str]) -> int:
    return sum(c.count("\n") for c in row)


def blank(row: list[str]) -> bool:
    return not any(c.strip() for c in row)


# ---- the course ----------------------------------------------------------------------------------

def course_assignments() -> dict[str, dict]:
    """{assignment id: its course.yml entry (title, points)}, in course order."""
    from ..build import course_config
    return {a["id"]: a for a in course_config()["assignments"]}


def column_title(assignment: str, titles: dict[str, str] | None = None) -> str:
    """`<id> <title>`: how a new grade column is named in the LMS (the id keeps it unique and sortable)."""
    title = (titles if titles is not None else
             {k: v.get("title", "") for k, v in course_assignments().items()}).get(assignment, "")
    return f"{assignment} {title}".strip()


def ordered(assignments, titles: dict | None = None) -> list[str]:
    """`assignments` in course order (unknown ones last, by name)."""
    order = list(titles) if titles is not None else list(course_assignments())
    return sorted(set(assignments), key=lambda a: (order.index(a) if a in order else len(order), a))


def timezone():
    """The course's timezone (course.yml `timezone`; UTC by default)."""
    from .. import lateness
    return lateness.course_timezone()


# ---- values --------------------------------------------------------------------------------------

def number(x: float) -> str:
    """A score as both LMSes read it: dot decimal, at most 4 decimals, no exponent, no trailing zeros."""
    text = f"{round(float(x), 4):.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def file_name_part(text: str, budget: int) -> str:
    """`text` cut to at most `budget` bytes of UTF-8 (whole characters), without the invisible
    formatting characters (bidirectional overrides, zero-width ones) that disguise a file name."""
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    raw = text.encode("utf-8")[:max(0, budget)]
    return raw.decode("utf-8", errors="ignore")


MAX_NAME_BYTES = 255   # a file name in a zip that the LMS unpacks to disk (Linux, most file systems)


def status(result) -> str:
    """`graded`, `waiting for manual grading` or `no submission` (result None), as in grades.csv."""
    if result is None:
        return "no submission"
    return "waiting for manual grading" if result.needs_manual else "graded"


def summary(result) -> str:
    """A one-line plain-text account of a result (for the LMS's comment field)."""
    if result is None:
        return "No submission"
    raw = result.score + result.late_penalty
    text = (f"Autograded part {number(raw)}/{number(result.max_score)} so far; written answers waiting "
            f"for manual grading" if result.needs_manual else
            f"Graded {number(raw)}/{number(result.max_score)}")
    if result.seconds_late and result.seconds_late > 0:
        text += f"; {duration_text(result.seconds_late)} late"
        if result.late_penalty:
            text += f": -{number(result.late_penalty)}"
        else:
            text += ": no penalty"
    if not result.needs_manual and result.late_penalty:
        text += f"; final {number(result.score)}/{number(result.max_score)}"
    return text


def local_time(when) -> dt.datetime | None:
    """A Result's `submitted_at` (naive UTC, as nbgrader keeps it) in the course's timezone."""
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(timezone())


def feedback_zip(course: Path, assignment: str, manifest: dict, path: Path, lms: str, member) -> Path:
    """Each student's feedback HTML (`feedback/<student>/<assignment>/`) in a zip at `path`, named by
    `member(student, manifest entry's lms ids)`: a name, or a string starting `!` saying why the
    student cannot be in it (listed in a warning)."""
    course, path = Path(course), Path(path)
    skipped, written = [], 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for student, entry in sorted(manifest.items()):
            html = course / "feedback" / student / assignment / f"{assignment}.html"
            name = member(student, (entry or {}).get("lms") or {})
            if name.startswith("!"):
                skipped.append(f"{student} ({name[1:]})")
            elif not html.is_file():
                skipped.append(f"{student} (no feedback: {html})")
            else:
                z.write(html, name)
                written += 1
    warn(f"not in the {lms} feedback zip ({written} are)", skipped)
    return path


def warn(what: str, names: list[str]) -> None:
    if names:
        print(f"warning: {what} ({len(names)}): {', '.join(names)}")


# ---- the generic times file ----------------------------------------------------------------------

TIMES_COLUMNS = ("student", "submitted_at")


def is_times_csv(table: Table) -> bool:
    return all(table.index(c) is not None for c in TIMES_COLUMNS)


def read_times_csv(table: Table, roster) -> dict[str, dt.datetime]:
    """{roster id: aware time} from `student,submitted_at` (ISO 8601; without an offset, the course's
    timezone). `student` is a roster id, an email or a SIS login. A blank time means none is known."""
    who, when = table.index("student"), table.index("submitted_at")
    tz, out, seen = timezone(), {}, {}
    for line, row in table.rows:
        if blank(row):
            continue
        key, text = table.cell(row, who), table.cell(row, when)
        if not key:
            raise RosterError(f"{table.path.name} line {line}: no student")
        student = roster.by_any_id(key)
        if student is None:
            raise RosterError(f"{table.path.name} line {line}: no student {key!r} in the roster "
                              "(give a roster id, email or SIS login)")
        if student.id in seen:
            raise RosterError(f"{table.path.name} line {line}: {student.id!r} has a time already "
                              f"(line {seen[student.id]})")
        seen[student.id] = line
        if not text:
            continue
        try:
            stamp = dt.datetime.fromisoformat(text)
        except ValueError:
            raise RosterError(f"{table.path.name} line {line}: submitted_at {text!r} is not an ISO 8601 "
                              "time (e.g. 2027-03-09T23:59:00+01:00)") from None
        out[student.id] = stamp if stamp.tzinfo else stamp.replace(tzinfo=tz)
    return out


def email_user(text: str) -> str:
    """`bob@uni.edu` -> `bob`; anything else unchanged."""
    return text.split("@", 1)[0] if "@" in text else text


def new_student(key: str, **fields) -> Student:
    from ..intake import safe_id
    return Student(id=safe_id(key), **fields)
