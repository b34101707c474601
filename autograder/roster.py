"""The class list: who the students are, under which ids the LMS knows them, and their extensions.

    python -m autograder roster EXPORT.csv [--course DIR]

The roster lives in the course folder as `roster.csv`, one row per student; the instructor may edit
it (extensions, a corrected id). Importing an LMS export (autograder/lms/) adds new students and
fills in what the export knows about known ones, matched by their LMS ids or email; the columns an
instructor edits (`id`, `extension_hours`, `extensions`) are kept. Every import also writes the
names and emails into nbgrader's gradebook, so the formgrader and the CSV export show them.
"""
from __future__ import annotations

import csv
import json
import datetime as dt
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from .intake import safe_id
from .sanitize import cell_text

FILE = "roster.csv"
CANVAS_COLUMNS = "canvas_columns.json"   # {assignment: the Canvas gradebook column it goes back into}


class RosterError(ValueError):
    """The roster or an LMS export cannot be used as it is (the message says why and where)."""


@dataclass
class Student:
    id: str                      # the course's id: gradebook, folders, feedback
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    section: str = ""
    canvas_user_id: str = ""     # Canvas' numeric user id (in its submission file names)
    sis_user_id: str = ""
    sis_login_id: str = ""
    moodle_participants: str = ""   # "<assignment>=<participant id>;..." from Moodle's grading worksheets
    extension_hours: str = ""    # an extension on every assignment, in hours
    extensions: str = ""         # per assignment, overriding it: "05_regularization=48; 07_cnn=24"

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    def moodle_participant(self, assignment: str) -> str:
        return _pairs(self.moodle_participants).get(assignment, "")

    def set_moodle_participant(self, assignment: str, participant: str) -> None:
        pairs = _pairs(self.moodle_participants)
        pairs[assignment] = participant
        self.moodle_participants = "; ".join(f"{k}={v}" for k, v in sorted(pairs.items()))

    def extension(self, assignment: str) -> dt.timedelta:
        """This student's extension on `assignment` (nbgrader adds it to the due date)."""
        hours = _pairs(self.extensions).get(assignment, self.extension_hours) or "0"
        try:
            return dt.timedelta(hours=float(hours))
        except ValueError:
            raise RosterError(f"roster: student {self.id!r} has extension {hours!r}; give it in hours, "
                              "e.g. 48") from None


def _pairs(text: str) -> dict[str, str]:
    out = {}
    for item in filter(None, (p.strip() for p in text.split(";"))):
        key, sep, value = item.partition("=")
        if not sep:
            raise RosterError(f"roster: {item!r} should read ASSIGNMENT=VALUE")
        out[key.strip()] = value.strip()
    return out


COLUMNS = [f.name for f in fields(Student)]
_KEPT = ("id", "extension_hours", "extensions")   # the instructor's columns: an import never overwrites them


@dataclass
class Roster:
    students: list[Student] = field(default_factory=list)
    _canvas_index: tuple = field(default=(None, {}), repr=False, compare=False)

    # ---- lookups -------------------------------------------------------------------------------
    def by_id(self, student_id: str) -> Student | None:
        return next((s for s in self.students if s.id == student_id), None)

    def by_canvas(self, user_id: str) -> Student | None:
        # (an index: intake asks for every reading of every file's name; rebuilt when students change)
        key = (id(self.students), len(self.students))
        if self._canvas_index[0] != key:
            self._canvas_index = (key, {s.canvas_user_id: s for s in self.students if s.canvas_user_id})
        return self._canvas_index[1].get(user_id)

    def by_moodle(self, assignment: str, participant: str) -> Student | None:
        return next((s for s in self.students if s.moodle_participant(assignment) == participant), None)

    def by_name(self, full_name: str) -> list[Student]:
        key = _name_key(full_name)
        return [s for s in self.students if _name_key(s.full_name) == key
                or _name_key(f"{s.last_name} {s.first_name}") == key]

    def by_any_id(self, key: str) -> Student | None:
        """A student named by a folder or file name: their id, email, email's user part or SIS login."""
        key = key.strip().lower()
        for s in self.students:
            names = {s.id.lower(), s.email.lower(), s.sis_login_id.lower(), s.sis_user_id.lower()}
            if s.email:
                names.add(s.email.lower().split("@")[0])
            if key in names - {""}:
                return s
        return None

    # ---- merging an import ---------------------------------------------------------------------
    def merge(self, incoming: list[Student]) -> tuple[int, int]:
        """Add or update students from an LMS export: (added, updated)."""
        added = updated = 0
        for new in incoming:
            old = self._match(new)
            if old is None:
                new.id = self._free_id(new.id)
                self.students.append(new)
                added += 1
                continue
            for name in COLUMNS:
                value = getattr(new, name)
                if name == "moodle_participants":
                    for a, p in _pairs(value).items():
                        old.set_moodle_participant(a, p)
                elif name not in _KEPT and value:
                    setattr(old, name, value)
            updated += 1
        self._canvas_index = (None, {})
        self.check()
        return added, updated

    def _match(self, new: Student) -> Student | None:
        for s in self.students:
            if new.canvas_user_id and s.canvas_user_id == new.canvas_user_id:
                return s
            if new.email and s.email.lower() == new.email.lower():
                return s
            if new.sis_user_id and s.sis_user_id == new.sis_user_id:
                return s
        return None

    def _free_id(self, wanted: str) -> str:
        taken = {s.id for s in self.students}
        base = safe_id(wanted)
        candidate, k = base, 2
        while candidate in taken:
            candidate, k = f"{base}-{k}", k + 1
        return candidate

    def check(self) -> None:
        """No two students share an id or an LMS id: either would merge two students' work."""
        for attr in ("id", "canvas_user_id", "email"):
            seen: dict[str, str] = {}
            for s in self.students:
                value = getattr(s, attr).lower()
                if value and value in seen:
                    raise RosterError(f"roster: students {seen[value]!r} and {s.id!r} share {attr} {value!r}")
                seen[value] = s.id
        for s in self.students:
            if safe_id(s.id) != s.id:
                raise RosterError(f"roster: id {s.id!r} may hold only letters, digits and _.@- "
                                  f"(e.g. {safe_id(s.id)!r})")
            for a in {*_pairs(s.extensions)} | {""}:
                s.extension(a)   # (raises on a bad value)

    # ---- the file ------------------------------------------------------------------------------
    @classmethod
    def load(cls, course: Path) -> Roster | None:
        path = Path(course) / FILE
        if not path.exists():
            return None
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            missing = {"id"} - set(reader.fieldnames or ())
            if missing:
                raise RosterError(f"{path}: no `id` column (columns: {', '.join(COLUMNS)})")
            roster = cls([Student(**{k: _from_cell(row.get(k) or "") for k in COLUMNS}) for row in reader])
        roster.check()
        return roster

    def save(self, course: Path) -> Path:
        path = Path(course) / FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, COLUMNS, lineterminator="\n")   # (an instructor's file: plain lines)
            writer.writeheader()
            # (names come from the LMS, where a student may set their own: no formula reaches a spreadsheet)
            writer.writerows({k: cell_text(v) for k, v in asdict(s).items()}
                             for s in sorted(self.students, key=lambda s: s.id))
        tmp.replace(path)
        return path

    def sync_gradebook(self, course: Path) -> None:
        """Names and emails into nbgrader's gradebook (the formgrader and `nbgrader export` show them)."""
        from nbgrader.api import Gradebook
        with Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}") as gb:
            for s in self.students:
                gb.update_or_create_student(s.id, first_name=s.first_name or None, last_name=s.last_name or None,
                                            email=s.email or None, lms_user_id=s.canvas_user_id or None)


def _from_cell(text: str) -> str:
    """A roster cell as `save` wrote it: the `'` that keeps a formula-like name text is not the name's."""
    text = text.strip()
    return text[1:] if text.startswith("'") and cell_text(text[1:]) != text[1:] else text


def _name_key(name: str) -> str:
    return " ".join(name.lower().replace(",", " ").split())


def import_export(path: Path, course: Path, assignment: str | None = None) -> tuple[Roster, str]:
    """Read an LMS export into the course's roster (created if missing); (roster, a one-line summary).
    `assignment`: the one a Moodle grading worksheet belongs to (its participant ids are per assignment)."""
    from .lms import canvas_columns, read_roster_export
    kind, students = read_roster_export(Path(path), assignment)
    roster = Roster.load(course) or Roster()
    added, updated = roster.merge(students)
    roster.save(course)
    columns = canvas_columns(Path(path))
    if columns:   # the Canvas assignments the export shows: grades go back into them, not new ones
        known = json.loads((Path(course) / CANVAS_COLUMNS).read_text()) if (Path(course) / CANVAS_COLUMNS).exists() else {}
        (Path(course) / CANVAS_COLUMNS).write_text(json.dumps({**known, **columns}, indent=1, sort_keys=True))
    if (Path(course) / "gradebook.db").exists():
        roster.sync_gradebook(course)
    return roster, (f"{path.name}: {kind}, {len(students)} students ({added} new, {updated} updated); "
                    f"the roster has {len(roster.students)}: {Path(course) / FILE}")
