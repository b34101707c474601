"""Autograde with nbgrader and report: gradebook, CSV export, feedback HTML, a score table."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

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
    target = course / "grades.csv"
    nbgrader("export", "--to", str(target), cwd=course)
    return target


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


def format_table(rows: list[Score]) -> str:
    lines = [f"{'assignment':<20}{'student':<20}{'autograded':>12}{'written (manual)':>18}  status",
             "-" * 84]
    for r in rows:
        lines.append(f"{r.assignment:<20}{r.student:<20}{r.auto:>6g} / {r.auto_max:<4g}"
                     f"{'pending / ' + format(r.manual_max, 'g'):>18}  {r.status}")
    return "\n".join(lines)
