"""Find the submissions of one assignment, in whatever shape they were collected.

Accepted shapes (detected in this order):
- nbgrader's layout: `DIR/<student>/<assignment>/<any name>.ipynb`;
- a folder per student, e.g. notebooks downloaded from Colab: `DIR/<student>/<any name>.ipynb`;
- a flat folder, or a `.zip` downloaded from an LMS, with the student id in each file name:
  by default the part before the first `_` (`kim01_01_perceptron.ipynb` -> `kim01`); pass
  `id_pattern`, a regex with a `student` group, for other schemes. In a zip whose members are in
  folders (below any one folder wrapping it all), the folder names the student.
A renamed notebook is fine; where a student has several files, the one named after the
assignment wins, else the newest, and the others are reported.
"""
from __future__ import annotations

import functools
import os
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

DEFAULT_ID = r"^(?P<student>[^_]+)_"
MAX_FILE_BYTES = 100 << 20   # a notebook with its outputs; anything larger is not graded
_SAFE = re.compile(r"[^A-Za-z0-9_.@-]+")


@dataclass
class Submission:
    student: str
    raw: bytes
    origin: str            # where it came from, for the report
    note: str = ""         # e.g. "2 files, graded 01_perceptron.ipynb"
    problem: str = ""      # why the file cannot be graded (not a regular file, too large)


def safe_id(name: str) -> str:
    return _SAFE.sub("-", name).strip("-.") or "unknown"


def _pick(student: str, files: list[tuple[str, Callable, float]], assignment: str) -> Submission:
    """One submission from a student's files, (name, read, mtime): only the chosen one is read."""
    def rank(f):
        name = Path(f[0]).name
        return (assignment in name, name.endswith(".ipynb"), f[2])
    files = sorted(files, key=rank)
    name, read, _ = files[-1]
    note = f"{len(files)} files; graded {Path(name).name}" if len(files) > 1 else ""
    raw = read()
    if isinstance(raw, str):   # (the reason it could not be read)
        return Submission(safe_id(student), b"", name, note, problem=raw)
    return Submission(safe_id(student), raw, name, note)


class Collision(ValueError):
    """Two submissions map to one student id: grading them would merge two students."""


def collect(path: Path, assignment: str, id_pattern: str = DEFAULT_ID) -> list[Submission]:
    subs = _collect(Path(path), assignment, id_pattern)
    by_id: dict[str, Submission] = {}
    for sub in subs:
        if sub.student in by_id:
            raise Collision(f"{by_id[sub.student].origin} and {sub.origin} both map to student id "
                            f"{sub.student!r}: rename one (or pass --id-pattern) so that no two students merge")
        by_id[sub.student] = sub
    return subs


def _collect(path: Path, assignment: str, id_pattern: str) -> list[Submission]:
    if path.is_file() and zipfile.is_zipfile(path):
        return _zipped(path, assignment, id_pattern)
    if not path.is_dir():
        raise FileNotFoundError(f"no folder or zip file at {path}")
    # (a linked folder is not followed: it could lead to another student's work or the instructor's)
    students = sorted(p for p in path.iterdir() if _real_dir(p) and not p.name.startswith("."))
    if any(_real_dir(p / assignment) for p in students):            # nbgrader layout
        return [_pick(p.name, _files(p / assignment), assignment)
                for p in students if _real_dir(p / assignment) and _files(p / assignment)]
    if students and not any(p.is_file() for p in path.iterdir()):    # a folder per student
        return [_pick(p.name, _files(p), assignment) for p in students if _files(p)]
    return _flat(_files(path), assignment, id_pattern)


def _real_dir(p: Path) -> bool:
    return p.is_dir() and not p.is_symlink()


def _files(folder: Path) -> list[tuple[str, Callable, float]]:
    """The files of a folder: (name, a function reading its content or saying why it cannot be
    read, mtime). Submissions may come from students' own hands (an exchange, an upload): a
    symlink, a FIFO or a device is not read (it could point at the instructor's files or block for
    ever), nor is a file past the size cap."""
    out = []
    for f in sorted(folder.iterdir()):
        if f.name.startswith(".") or f.is_dir():
            continue
        info = f.lstat()
        out.append((str(f), functools.partial(_read_regular, f, info), info.st_mtime))
    return out


def _read_regular(path: Path, info: os.stat_result) -> bytes | str:
    if not stat.S_ISREG(info.st_mode):
        return "the submitted file is not a regular file (a link, a pipe or a device): not read"
    if info.st_size > MAX_FILE_BYTES:
        return f"the submitted file is {info.st_size >> 20} MB, over the {MAX_FILE_BYTES >> 20} MB limit: not read"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        return f"the submitted file could not be opened ({exc.strerror})"
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):   # replaced between the look and the open
            return "the submitted file is not a regular file: not read"
        return f.read(MAX_FILE_BYTES + 1)[:MAX_FILE_BYTES]


def _zipped(path: Path, assignment: str, id_pattern: str) -> list[Submission]:
    """An LMS zip: a member in a folder belongs to that folder's student (the file name inside is
    the student's own choice, and could name someone else); a member at the top is named by
    `id_pattern`. A folder that wraps the whole zip is not a student."""
    with zipfile.ZipFile(path) as z:
        members = [(Path(info.filename).parts, info) for info in z.infolist() if not info.is_dir()]
    members = [(parts, info) for parts, info in members
               if not parts[-1].startswith(".") and "__MACOSX" not in parts]
    while members and all(len(parts) > 1 and parts[0] == members[0][0][0] for parts, _ in members):
        members = [(parts[1:], info) for parts, info in members]
    in_folders: dict[str, list] = {}
    top: list = []
    for k, (parts, info) in enumerate(members):
        member = (info.filename, functools.partial(_read_member, path, info), float(k))
        (in_folders.setdefault(parts[0], []) if len(parts) > 1 else top).append(member)
    return _flat(top, assignment, id_pattern) + [_pick(s, fs, assignment) for s, fs in sorted(in_folders.items())]


def _read_member(path: Path, info: zipfile.ZipInfo) -> bytes | str:
    if info.file_size > MAX_FILE_BYTES:
        return f"the file is {info.file_size >> 20} MB unpacked, over the {MAX_FILE_BYTES >> 20} MB limit: not read"
    try:
        with zipfile.ZipFile(path) as z, z.open(info) as member:   # (no more than the cap, whatever the header says)
            data = member.read(MAX_FILE_BYTES + 1)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        return f"the file could not be unpacked ({type(exc).__name__}: {exc})"
    if len(data) > MAX_FILE_BYTES:
        return f"the file unpacks to more than the {MAX_FILE_BYTES >> 20} MB limit: not read"
    return data


def _flat(files: list[tuple[str, Callable, float]], assignment: str, id_pattern: str) -> list[Submission]:
    pattern = re.compile(id_pattern)
    by_student: dict[str, list] = {}
    for f in files:
        m = pattern.search(Path(f[0]).name)
        student = m.group("student") if m else Path(f[0]).stem
        by_student.setdefault(student, []).append(f)
    return [_pick(s, fs, assignment) for s, fs in sorted(by_student.items())]
