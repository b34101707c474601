"""Autograde with nbgrader and report: gradebook, CSV export, feedback HTML, a score table."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import ExportPlugin

from .build import nbgrader


def grading_env() -> dict:
    """The kernel's environment while grading (PYTHONPATH is set by `nbgrader`): quiet TF,
    short experiments, no display."""
    return {"COURSE_FAST": "1", "TF_CPP_MIN_LOG_LEVEL": "2", "MPLBACKEND": "Agg"}


def unsandboxed_autograde(course: Path, assignment: str) -> None:
    """Plain `nbgrader autograde` then `generate_feedback`: the benchmark's baseline only. It runs
    the students' code on this machine, unsandboxed, so the course's config refuses it
    (autograder.preprocessors.SandboxedResultsOnly); the baseline puts nbgrader's own exporter
    back. nbgrader exits 1 when any submission failed to process (the others are still graded),
    so its exit code is reported, not trusted."""
    proc = nbgrader("autograde", assignment, "--force",
                    "--Autograde.exporter_class=nbconvert.exporters.NotebookExporter",
                    cwd=course, env=grading_env(), check=False)
    if proc.returncode != 0:
        print(f"warning: nbgrader autograde {assignment} reported failures:\n{proc.stderr[-2000:]}")
    nbgrader("generate_feedback", assignment, "--force", cwd=course)


def export_csv(course: Path) -> Path:
    """`nbgrader export` (CourseCsvExport, set in the course's config), late penalties recomputed first."""
    from . import lateness
    from .build import assignment_ids
    course = Path(course).resolve()   # (nbgrader runs in the course folder)
    lateness.apply(course, assignment_ids(graded=True))
    target = course / "grades.csv"
    nbgrader("export", "--to", str(target), cwd=course)
    return target


class CourseCsvExport(ExportPlugin):
    """nbgrader's CSV export, quoted (a name may hold a comma), with what an instructor needs before
    uploading: the LMS user id, how late, and a status that says whether written answers still wait
    for a grader (the score is then not final). Assignments not graded yet have no rows."""

    COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
               "lms_user_id", "seconds_late", "raw_score", "late_submission_penalty", "score", "max_score",
               "status"]

    def export(self, gradebook: Gradebook) -> None:
        import csv
        with open(self.to or "grades.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(self.COLUMNS)
            for a in gradebook.assignments:
                if (self.assignment and a.name not in self.assignment) or not a.submissions:
                    continue   # (an assignment not graded yet: no rows of zeros)
                for st in gradebook.students:
                    if self.student and st.id not in self.student:
                        continue
                    row = {"assignment": a.name, "duedate": a.duedate or "", "student_id": st.id,
                           "last_name": st.last_name or "", "first_name": st.first_name or "",
                           "email": st.email or "", "lms_user_id": st.lms_user_id or "", "max_score": a.max_score}
                    try:
                        sub = gradebook.find_submission(a.name, st.id)
                    except MissingEntry:
                        row.update(timestamp="", seconds_late="", raw_score=0.0, late_submission_penalty=0.0,
                                   score=0.0, status="no submission")
                    else:
                        penalty = sub.late_submission_penalty or 0.0
                        row.update(timestamp=sub.timestamp or "", seconds_late=sub.total_seconds_late,
                                   raw_score=round(sub.score, 4), late_submission_penalty=round(penalty, 4),
                                   score=round(max(0.0, sub.score - penalty), 4),
                                   status="waiting for manual grading" if sub.needs_manual_grade else "graded")
                    writer.writerow([row[k] for k in self.COLUMNS])


@dataclass
class Score:
    student: str
    assignment: str
    auto: float          # points earned in autograded test cells
    auto_max: float
    manual_max: float    # written answers, waiting for the instructor
    status: str


def scores(course: Path, assignments: list[str]) -> list[Score]:
    rows = []
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for a in assignments:
            for student in sorted(s.id for s in gb.students):
                try:
                    sub = gb.find_submission(a, student)
                except MissingEntry:
                    continue
                auto = sum(g.score for nb in sub.notebooks for g in nb.grades if g.auto_score is not None)
                auto_max = sum(g.max_score for nb in sub.notebooks for g in nb.grades if g.cell_type == "code")
                manual_max = sum(g.max_score for nb in sub.notebooks for g in nb.grades if g.cell_type != "code")
                rows.append(Score(student, a, float(auto), float(auto_max), float(manual_max),
                                  "needs manual grade" if sub.needs_manual_grade else "graded"))
    return rows


@dataclass
class Result:
    """One student's result on one assignment, as it goes back to the LMS."""
    student: str
    assignment: str
    score: float            # after the late penalty, hand-graded answers included
    max_score: float
    late_penalty: float
    seconds_late: float
    submitted_at: object    # naive UTC datetime (nbgrader's), or None
    needs_manual: bool      # written answers still waiting for a grader: the score is not final


def submissions(gb: Gradebook, assignments: list[str]):
    """(assignment, its submissions in the gradebook) for each of `assignments` the gradebook has."""
    for a in assignments:
        try:
            yield a, gb.find_assignment(a).submissions
        except MissingEntry:
            continue


def results(course: Path, assignments: list[str]) -> list[Result]:
    """Every graded submission of `assignments` in the course's gradebook (due dates, extensions and
    late penalties brought up to date first: lateness.apply)."""
    from . import lateness
    lateness.apply(course, assignments)
    rows = []
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for a, subs in submissions(gb, assignments):
            for sub in sorted(subs, key=lambda s: s.student.id):
                penalty = float(sub.late_submission_penalty or 0)
                rows.append(Result(sub.student.id, a, max(0.0, float(sub.score) - penalty), float(sub.max_score), penalty,
                                   float(sub.total_seconds_late), sub.timestamp, bool(sub.needs_manual_grade)))
    return rows


def export_lms_grades(course: Path, assignments: list[str], lms: str, out: Path) -> list[Path]:
    """Grade import files for `lms` ("canvas" or "moodle") from the gradebook and the roster, and
    grades.csv anew."""
    import json

    from . import lms as lms_formats
    from .roster import CANVAS_COLUMNS
    roster = _roster(course)
    known = Path(course) / CANVAS_COLUMNS   # (from a Canvas gradebook export's roster import)
    columns = json.loads(known.read_text()) if known.exists() else None
    written = lms_formats.export_grades(results(course, assignments), roster, Path(out), lms, columns=columns)
    export_csv(course)   # (grades.csv tells the same story as what goes to the LMS)
    return written


def export_lms_feedback(course: Path, assignment: str, lms: str, out: Path) -> Path:
    """The bulk feedback upload for `lms`, after regenerating every student's feedback HTML (hand
    grades and late penalties given since autograding show in it)."""
    from . import archive
    from . import lms as lms_formats
    from .grade_class import nbgrader_api, RESULTS
    roster = _roster(course)
    pending = sorted(r.student for r in results(course, [assignment]) if r.needs_manual)   # (lateness.apply too)
    if pending:
        print(f"warning: the feedback of {len(pending)} student(s) shows scores still waiting for manual grading "
              f"(written answers count 0 until graded in the formgrader): {', '.join(pending)}")
    api = nbgrader_api(course, course / RESULTS / assignment)
    manifest = archive.load_manifest(course, assignment)
    for student in sorted(manifest):
        out_ = api.generate_feedback(assignment, student, force=True)
        if not out_["success"]:
            raise RuntimeError(f"feedback for {student}: {out_.get('error', '')[-1500:]}")
    return lms_formats.export_feedback(course, assignment, roster, manifest, Path(out), lms)


def _roster(course: Path):
    from .roster import Roster
    roster = Roster.load(course)
    if roster is None:
        raise SystemExit(f"no roster in {course}: import the class list first "
                         "(python -m autograder roster EXPORT.csv)")
    return roster


def format_table(rows: list[Score]) -> str:
    lines = [f"{'assignment':<20}{'student':<20}{'autograded':>12}{'written (manual)':>18}  status",
             "-" * 84]
    for r in rows:
        lines.append(f"{r.assignment:<20}{r.student:<20}{r.auto:>6g} / {r.auto_max:<4g}"
                     f"{'pending / ' + format(r.manual_max, 'g'):>18}  {r.status}")
    return "\n".join(lines)
