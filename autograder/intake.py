"""Find the submissions of one assignment, in whatever shape they were collected.

Accepted shapes (detected in this order):
- nbgrader's layout: `DIR/<student>/<assignment>/<any name>.ipynb`;
- a folder per student, e.g. notebooks downloaded from Colab: `DIR/<student>/<any name>.ipynb`;
- a flat folder, or a `.zip` downloaded from an LMS, with the student id in each file name:
  by default the part before the first `_` (`kim01_01_perceptron.ipynb` -> `kim01`); pass
  `id_pattern`, a regex with a `student` group, for other schemes.
A renamed notebook is fine; where a student has several files, the one named after the
assignment wins, else the newest, and the others are reported.
"""
from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ID = r"^(?P<student>[^_]+)_"
_SAFE = re.compile(r"[^A-Za-z0-9_.@-]+")


@dataclass
class Submission:
    student: str
    raw: bytes
    origin: str            # where it came from, for the report
    note: str = ""         # e.g. "2 files, graded 01_perceptron.ipynb"


def safe_id(name: str) -> str:
    return _SAFE.sub("-", name).strip("-.") or "unknown"


def _pick(student: str, files: list[tuple[str, bytes, float]], assignment: str) -> Submission:
    """One submission from a student's files: (name, content, mtime)."""
    def rank(f):
        name = Path(f[0]).name
        return (assignment in name, name.endswith(".ipynb"), f[2])
    files = sorted(files, key=rank)
    name, raw, _ = files[-1]
    note = f"{len(files)} files; graded {Path(name).name}" if len(files) > 1 else ""
    return Submission(safe_id(student), raw, name, note)


def collect(path: Path, assignment: str, id_pattern: str = DEFAULT_ID) -> list[Submission]:
    path = Path(path)
    if path.is_file() and zipfile.is_zipfile(path):
        return _flat(_zip_members(path), assignment, id_pattern)
    if not path.is_dir():
        raise FileNotFoundError(f"no folder or zip file at {path}")
    students = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    if any((p / assignment).is_dir() for p in students):            # nbgrader layout
        return [_pick(p.name, _files(p / assignment), assignment)
                for p in students if (p / assignment).is_dir() and _files(p / assignment)]
    if students and not any(p.is_file() for p in path.iterdir()):    # a folder per student
        return [_pick(p.name, _files(p), assignment) for p in students if _files(p)]
    return _flat(_files(path), assignment, id_pattern)


def _files(folder: Path) -> list[tuple[str, bytes, float]]:
    return [(str(f), f.read_bytes(), f.stat().st_mtime) for f in sorted(folder.iterdir())
            if f.is_file() and not f.name.startswith(".")]


def _zip_members(path: Path) -> list[tuple[str, bytes, float]]:
    out = []
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            name = Path(info.filename).name
            if info.is_dir() or name.startswith(".") or "__MACOSX" in info.filename:
                continue
            out.append((name, z.read(info), float(len(out))))
    return out


def _flat(files: list[tuple[str, bytes, float]], assignment: str, id_pattern: str) -> list[Submission]:
    pattern = re.compile(id_pattern)
    by_student: dict[str, list] = {}
    for f in files:
        m = pattern.search(Path(f[0]).name)
        student = m.group("student") if m else Path(f[0]).stem
        by_student.setdefault(student, []).append(f)
    return [_pick(s, fs, assignment) for s, fs in sorted(by_student.items())]
