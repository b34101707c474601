"""What the grader keeps of each intake, in the course folder, so that a regrade needs no zip:

    <course>/intake/<assignment>/report.csv          every file of the latest input and its fate
    <course>/intake/<assignment>/report-<time>.csv   the reports of earlier inputs
    <course>/intake/<assignment>/manifest.json       per student: the file graded, its time, LMS ids,
                                                     nbgrader's submission secret (for its exchange)
    <course>/intake/<assignment>/files/<student>/<the file as submitted>

A later intake of the same assignment (a second zip, late submitters) replaces the students it
holds and keeps the others. The course folder is the instructor's: no kernel ever sees it.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from .intake import Intake, Submission, safe_id

FOLDER = "intake"


def folder(course: Path, assignment: str) -> Path:
    return Path(course) / FOLDER / assignment


def save(course: Path, assignment: str, taken: Intake) -> Path:
    """Keep the intake's report and every submission it graded; return the report's path."""
    root = folder(course, assignment)
    report = root / "report.csv"
    if report.exists():
        stamp = dt.datetime.fromtimestamp(report.stat().st_mtime, dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
        report.rename(root / f"report-{stamp}.csv")
    taken.write(report)
    manifest = load_manifest(course, assignment)
    for sub in taken.submissions:
        name = _stored_name(Path(sub.name or sub.origin).name)
        target = root / "files" / sub.student
        if target.exists():
            for old in target.iterdir():
                old.unlink()
        target.mkdir(parents=True, exist_ok=True)
        (target / name).write_bytes(sub.raw)
        manifest[sub.student] = {
            "origin": sub.origin, "name": sub.name, "stored": name, "note": sub.note, "problem": sub.problem,
            "submitted_at": sub.submitted_at.isoformat() if sub.submitted_at else None,
            "time_source": sub.time_source, "late_marker": sub.late_marker, "lms": sub.lms,
            "secret": sub.secret}
    tmp = root / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, root / "manifest.json")
    return report


def _stored_name(name: str) -> str:
    """The submitted file's name as kept: safe, and short enough for any file system (the manifest
    keeps the original)."""
    name = safe_id(name)
    if len(name) <= 120:
        return name
    stem, dot, suffix = name.rpartition(".")
    return f"{stem[:100]}.{suffix[:15]}" if dot else name[:120]


def load_manifest(course: Path, assignment: str) -> dict:
    path = folder(course, assignment) / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def load(course: Path, assignment: str, students: list[str] | None = None) -> list[Submission]:
    """The submissions kept for `assignment` (only `students`' if given), as intake gave them."""
    manifest = load_manifest(course, assignment)
    if not manifest:
        raise SystemExit(f"nothing kept for {assignment} in {folder(course, assignment)}: grade it from the "
                         "submissions first (python -m autograder grade)")
    missing = sorted(set(students or ()) - set(manifest))
    if missing:
        raise SystemExit(f"no submission of {assignment} kept for {missing}; kept: {sorted(manifest)}")
    subs = []
    for student in sorted(students or manifest):
        m = manifest[student]
        raw = (folder(course, assignment) / "files" / student / m["stored"]).read_bytes()
        when = dt.datetime.fromisoformat(m["submitted_at"]) if m["submitted_at"] else None
        subs.append(Submission(student, raw, m["origin"], m["name"], m["note"], m["problem"], when,
                               m["time_source"], m["late_marker"], m["lms"],
                               secret=m.get("secret") or ""))   # (none in manifests from before secrets were kept)
    return subs
