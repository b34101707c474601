"""Due dates, extensions and the late policy, applied through nbgrader's own late-penalty mechanism.

`course/course.yml` gives each assignment a `due` date (read in the course's `timezone` unless it
carries an offset) and the course a `late_policy`; the roster gives extensions. The grader writes
each submission's time as nbgrader's `timestamp.txt`, the due date and the student's extension into
the gradebook, and nbgrader's `AssignLatePenalties` asks `CoursePolicy` (configured in
course/nbgrader_config.py and by the grader) for the penalty. Before grades leave the course,
`apply` brings due dates, extensions and penalties up to date (a written answer graded by hand
later changes the score a penalty is taken from).
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from nbgrader.plugins import LateSubmissionPlugin

from . import build


@dataclass(frozen=True)
class Policy:
    percent_per_day: float = 0.0   # of the score, for each day or part of a day late
    max_days: float = math.inf     # later than this, no points
    grace_minutes: float = 0.0     # this late counts as on time

    def fraction(self, seconds_late: float) -> float:
        """The share of the score taken away for a submission `seconds_late` past its due date."""
        if seconds_late <= self.grace_minutes * 60:
            return 0.0
        days = math.ceil(seconds_late / 86400)
        if days > self.max_days:
            return 1.0
        return min(1.0, days * self.percent_per_day / 100)

    def describe(self) -> str:
        parts = [f"{self.percent_per_day:g} % of the score per day or part of a day late"]
        if math.isfinite(self.max_days):
            parts.append(f"no points after {self.max_days:g} days")
        if self.grace_minutes:
            parts.append(f"{self.grace_minutes:g} minutes' grace")
        return ", ".join(parts)


def course_timezone(cfg: dict | None = None) -> ZoneInfo:
    cfg = cfg or build.course_config()
    return ZoneInfo(cfg.get("timezone") or "UTC")


def policy(cfg: dict | None = None) -> Policy:
    cfg = cfg or build.course_config()
    raw = cfg.get("late_policy") or {}
    unknown = set(raw) - {"percent_per_day", "max_days", "grace_minutes"}
    if unknown:
        raise ValueError(f"course.yml late_policy: unknown keys {sorted(unknown)}")
    return Policy(float(raw.get("percent_per_day", 0)), float(raw.get("max_days", math.inf)),
                  float(raw.get("grace_minutes", 0)))


def due_date(assignment: str, cfg: dict | None = None) -> dt.datetime | None:
    """The assignment's due date as an aware datetime, or None if course.yml gives none."""
    cfg = cfg or build.course_config()
    entry = next((a for a in cfg["assignments"] if a["id"] == assignment), None)
    if entry is None or not entry.get("due"):
        return None
    due = entry["due"]
    if isinstance(due, dt.date) and not isinstance(due, dt.datetime):
        due = dt.datetime.combine(due, dt.time(23, 59))
    if isinstance(due, str):
        try:
            due = dt.datetime.fromisoformat(due)
        except ValueError:
            raise ValueError(f"course.yml: {assignment} due {due!r} is not a date (e.g. 2027-03-09 23:59)") from None
    return due if due.tzinfo else due.replace(tzinfo=course_timezone(cfg))


def naive_utc(when: dt.datetime) -> dt.datetime:
    """nbgrader's gradebook keeps naive UTC times."""
    return when.astimezone(dt.timezone.utc).replace(tzinfo=None) if when.tzinfo else when


def timestamp_text(when: dt.datetime) -> str:
    """`when` as nbgrader's exchange writes timestamp.txt."""
    return naive_utc(when).strftime("%Y-%m-%d %H:%M:%S.%f") + " UTC"


def duration_text(seconds: float) -> str:
    """`1 day 3 h`, `5 h`, `12 min`: how late (or how long an extension), for a person."""
    seconds = max(0, int(math.ceil(seconds)))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    parts = [f"{days} day{'s' if days != 1 else ''}"] if days else []
    if hours:
        parts.append(f"{hours} h")
    if not days and not hours:
        parts.append(f"{max(1, math.ceil(rest / 60))} min")
    return " ".join(parts)


class CoursePolicy(LateSubmissionPlugin):
    """nbgrader's late-penalty plugin, applying course.yml's `late_policy` (points taken off)."""

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float | None:
        return score * policy().fraction(total_seconds_late) if total_seconds_late > 0 else None


def apply(course: Path, assignments: list[str]) -> None:
    """The course's lateness into nbgrader's gradebook as it stands now: each assignment's due date
    (course.yml), each student's extension (the roster) and every late notebook's penalty from its
    current score (hand grades included). Run before grades leave the course: a due date, an
    extension or a hand grade changed since autograding changes them."""
    from nbgrader.api import Gradebook

    from .grade import submissions
    from .roster import Roster
    rule, roster, cfg = policy(), Roster.load(course), build.course_config()
    with Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}") as gb:
        for a, subs in submissions(gb, assignments):
            due = due_date(a, cfg)
            gb.find_assignment(a).duedate = naive_utc(due) if due else None
            for sub in subs:
                student = roster.by_id(sub.student.id) if roster else None
                if student is not None:
                    sub.extension = student.extension(a) or None
                late = sub.total_seconds_late
                for nb in sub.notebooks:
                    nb.late_submission_penalty = (round(nb.score * rule.fraction(late), 4) or None) if late > 0 else None
        gb.db.commit()
