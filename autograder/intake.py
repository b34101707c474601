"""Find the submissions of one assignment, in whatever shape they were collected, and account for
every file of the input.

Shapes (a folder or a `.zip`; a folder wrapping a whole zip is not a student):
- nbgrader's exchange inbound itself (`<exchange>/<course>/inbound/`, what `nbgrader submit`
  writes: `<student>+<assignment>+<time>+<random>/<files>`), read in place: a submission counts
  only if its folder and files belong to the user it names (`pwd`: a Hub's grading machine knows them),
  its time is when its files reached the exchange (their change times, which a student cannot
  set back), and links are never followed. Better than `nbgrader collect`'s copy, which follows
  links with the instructor's rights and believes the folder name and `timestamp.txt`;
- nbgrader's `submitted/`: `<student>/<assignment>/<any name>.ipynb`, with `timestamp.txt` and
  `submission_secret.txt` (kept for the feedback nbgrader's exchange releases);
- Canvas' "Download Submissions" zip: `<name>[_LATE]_<user id>_<attachment id>_<file name>`;
- Moodle's "Download all submissions", flat (`<Full name>_<participant id>_assignsubmission_file_<file>`)
  or in folders (`<Full name>_<participant id>_assignsubmission_file/<file>`);
- a folder per student (`<student>/<any name>.ipynb`, e.g. notebooks downloaded from Colab);
- a flat folder, the student named in each file name: by default what is left of the name once
  the assignment id is taken out (`kim01_01_perceptron.ipynb`, `01_perceptron_kim01.ipynb`), or
  `id_pattern`, a regex with a `student` group.
With a roster (autograder/roster.py) every submission must name a student of the roster (by LMS
user id, participant id, id, email or SIS login); without one, ids are made from what the files
carry. A jupytext `.py`/`.md` notebook counts as a notebook. Where a student has several, the one
named after the assignment wins, then an `.ipynb`, then the latest; the others are superseded.
Every file ends in the report with its fate and the reason.
"""
from __future__ import annotations

import collections
import csv
import datetime as dt
import functools
import os
import pwd
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .sanitize import cell_text

MAX_FILE_BYTES = 100 << 20        # a notebook with its outputs; anything larger is not read
MAX_ZIP_MEMBERS = 20_000          # a class of 1000 with 20 files each
MAX_ZIP_BYTES = 8 << 30           # all members unpacked, as the zip declares them (reads never exceed it)
MAX_DEPTH = 4                     # folders below the input that are looked into
TEXT_NOTEBOOK_SUFFIXES = (".py", ".md")         # a notebook in jupytext's text form
NOTEBOOK_SUFFIXES = (".ipynb", *TEXT_NOTEBOOK_SUFFIXES)
_SAFE = re.compile(r"[^A-Za-z0-9_.@-]+")

# Canvas: <name>[_LATE]_<user id>_<attachment id>_<file> (old Canvas wrote `late`); the name keeps
# `_` and may end in `_<digits>`, so every split is a possible reading (_canvas_readings).
CANVAS_TAIL = re.compile(r"(?:(?P<late>(?i:late))_)?(?P<user>\d+)_(?P<att>\d+)_(?P<file>.+)")
CANVAS_ANON = re.compile(r"(?:(?P<late>(?i:late))_)?anon_(?P<aid>[A-Za-z0-9]+)_(?P<att>\d+)_(?P<file>.+)")
MOODLE_FILE = re.compile(r"^(?P<name>.+?)_(?P<pid>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<file>.+)$")
MOODLE_FOLDER = re.compile(r"^(?P<name>.+?)_(?P<pid>\d+)_assignsubmission_(?P<plugin>[a-z]+)_?$")

NBGRADER = "nbgrader submitted/"
INBOUND = "nbgrader exchange inbound"
# `nbgrader submit`'s folder in the inbound: student+assignment+time[+random] (nbgrader refuses a
# student id with `+`; a name of another form is no submission)
INBOUND_NAME = re.compile(r"(?P<user>[^+]*)\+(?P<assignment>[^+]+)\+(?P<time>[^+]+)(?:\+(?P<random>[^+]*))?")
# a timestamp.txt this much earlier than its files reached the exchange is reported, not believed
CLOCK_SLACK = dt.timedelta(minutes=2)
# nbgrader's exchange names each released feedback file md5(secret + notebook id), from the
# submission_secret.txt that `nbgrader submit` writes (secrets.token_hex(64)) beside the notebook and
# into the student's own cache: the secret is carried through intake so that fetch_feedback finds
# the feedback. It is the student's input: only nbgrader's form is taken.
SECRET_FORM = re.compile(rb"[0-9a-f]{32,256}")

# The fates of a file, in the report.
GRADED, SUPERSEDED, NOT_NOTEBOOK, UNKNOWN, UNREADABLE, METADATA, IGNORED = (
    "graded", "superseded", "not a notebook", "unknown student", "unreadable", "submission metadata",
    "ignored")


class IntakeError(ValueError):
    """The input cannot be taken in as it is; the message says why and what to do."""


class Collision(IntakeError):
    """Two different students' files map to one student id: grading them would merge two students."""


class UnknownStudents(IntakeError):
    """Files that name no student of the roster."""


@dataclass
class Submission:
    student: str
    raw: bytes
    origin: str                         # where it came from, for the report
    name: str = ""                      # the file's own name (its type; the feedback's name)
    note: str = ""                      # e.g. "2 notebooks; graded 01_perceptron.ipynb"
    problem: str = ""                   # why the file cannot be graded (not a regular file, too large)
    submitted_at: dt.datetime | None = None   # aware; None where the input carries no time
    time_source: str = ""
    late_marker: bool = False           # the LMS marked it late
    lms: dict = field(default_factory=dict)   # the LMS's keys: user/participant ids, its file name
    secret: str = ""                    # nbgrader's submission secret, where the input carries a valid one


@dataclass
class Fate:
    file: str
    fate: str
    student: str = ""
    reason: str = ""


@dataclass
class Intake:
    shape: str
    submissions: list[Submission]
    fates: list[Fate]

    def counts(self) -> dict[str, int]:
        return dict(collections.Counter(f.fate for f in self.fates))

    def summary(self) -> str:
        counts = ", ".join(f"{n} {k}" for k, n in sorted(self.counts().items()))
        return (f"intake: {len(self.fates)} files in the input ({self.shape}): {counts}; "
                f"{len(self.submissions)} students")

    def details(self, most: int = 40) -> str:
        """The files an instructor should look at (not graded, not system files, not nbgrader's own
        files that were used), one per line."""
        lines = [f"  {f.fate:<20} {f.student or '?':<20} {f.file}" + (f"  ({f.reason})" if f.reason else "")
                 for f in sorted(self.fates, key=lambda x: (x.fate, x.student, x.file))
                 if f.fate not in (GRADED, IGNORED) and not (f.fate == METADATA and f.reason in _META_USED.values())]
        more = [f"  ... and {len(lines) - most} more in the report"] if len(lines) > most else []
        return "\n".join(lines[:most] + more)

    def write(self, path: Path) -> Path:
        """The intake report as CSV: every file of the input, its student, its fate and why."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["file", "student", "fate", "reason"])
            for fate in sorted(self.fates, key=lambda x: (x.student, x.fate != GRADED, x.file)):
                w.writerow([cell_text(fate.file), cell_text(fate.student), fate.fate, cell_text(fate.reason)])
        return path


def safe_id(name: str) -> str:
    """An id fit for a folder name and a spreadsheet cell (never starting with `-`, `.`, `@`, `_`)."""
    return _SAFE.sub("-", name).strip("-.@_") or "unknown"


# ---- the files of the input ---------------------------------------------------------------------

@dataclass
class _Entry:
    path: str                            # as the report names it
    parts: tuple[str, ...]               # below the input (and any folder wrapping a whole zip)
    read: Callable[[], bytes | str]      # the content, or why it cannot be read
    time: dt.datetime | None = None      # only ranks a student's files: a zip's or the disk's time, not the submission's
    owners: tuple[int, ...] = ()         # on disk: the uids of the file and of its top folder
    changed: dt.datetime | None = None   # on disk: the latest change time (ctime) of the two, aware

    @property
    def name(self) -> str:
        return self.parts[-1]


def _entries(path: Path, assignment: str) -> tuple[list[_Entry], list[Fate], Callable[[], None]]:
    """The files of the input, the fates of what is skipped, and how to close the input."""
    if path.is_file() and zipfile.is_zipfile(path):
        return _zip_entries(path, assignment)
    if not path.is_dir():
        raise FileNotFoundError(f"no folder or zip file at {path}")
    entries, fates = [], []

    def walk(folder: Path, parts: tuple[str, ...], top: os.stat_result | None):
        try:
            found = sorted(folder.iterdir())
        except OSError as exc:   # (a student's folder in the exchange, made unreadable by them)
            if not parts:
                raise
            fates.append(Fate("/".join(parts) + "/", UNREADABLE, reason=f"could not be listed ({exc.strerror})"))
            return
        for f in found:
            name = _printable(f.name)   # (a name that is not UTF-8 is shown, not a crash)
            rel = "/".join(parts + (name,))
            try:
                info = f.lstat()
            except OSError as exc:   # (gone since the listing: a student's file in the exchange)
                fates.append(Fate(rel, UNREADABLE, reason=f"could not be read ({exc.strerror})"))
                continue
            if stat.S_ISDIR(info.st_mode):
                if f.name.startswith(".") or f.name == "__MACOSX":
                    fates.append(Fate(rel + "/", IGNORED, reason="a hidden or system folder"))
                elif len(parts) + 1 >= MAX_DEPTH:
                    fates.append(Fate(rel + "/", IGNORED, reason=f"more than {MAX_DEPTH} folders deep"))
                else:
                    walk(f, parts + (name,), top or info)
            else:
                # (a link is listed, never followed: it could lead to another student's work or the
                # instructor's files; reading it says why it is not read)
                mine = top or info
                entry = _Entry(rel, parts + (name,), lambda: "", dt.datetime.fromtimestamp(info.st_mtime),
                               (info.st_uid, mine.st_uid),
                               dt.datetime.fromtimestamp(max(info.st_ctime, mine.st_ctime), dt.timezone.utc))
                entry.read = functools.partial(_read_regular, f, info, entry)
                entries.append(entry)
    walk(path, (), None)
    return entries, fates, lambda: None


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _printable(name: str) -> str:
    """A file name as reports and the terminal show it: not UTF-8 shown, control characters (a
    newline, an escape sequence that rewrites the instructor's terminal) escaped."""
    return _escaped(name.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))


def _escaped(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _zip_entries(path: Path, assignment: str) -> tuple[list[_Entry], list[Fate], Callable[[], None]]:
    try:
        z = zipfile.ZipFile(path)   # (open once: its directory is read once, however many members)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise IntakeError(f"{path.name} is not a readable zip file ({exc})") from None
    infos = z.infolist()
    if len(infos) > MAX_ZIP_MEMBERS:
        raise IntakeError(f"{path.name} holds {len(infos)} files, over the limit of {MAX_ZIP_MEMBERS}: "
                          "is it the class's submissions? (autograder/intake.py MAX_ZIP_MEMBERS)")
    total = sum(i.file_size for i in infos)
    if total > MAX_ZIP_BYTES:
        raise IntakeError(f"{path.name} unpacks to {total >> 20} MB, over the limit of {MAX_ZIP_BYTES >> 30} GB "
                          "(autograder/intake.py MAX_ZIP_BYTES): unpack it yourself and grade the folder")
    entries, fates = [], []
    for info in infos:
        shown = _escaped(info.filename)
        parts = tuple(p for p in shown.replace("\\", "/").split("/") if p not in ("", "."))
        if info.is_dir():
            continue
        if not parts or ".." in parts or any(p.startswith(".") for p in parts) or "__MACOSX" in parts:
            fates.append(Fate(shown, IGNORED, reason="a hidden or system file"))
            continue
        try:
            time = dt.datetime(*info.date_time)
        except ValueError:
            time = None
        entries.append(_Entry(shown, parts, functools.partial(_read_member, z, info), time))
    # A folder wrapping the whole zip is not a student; a zip of one student's folder keeps it.
    while (entries and all(len(e.parts) > 1 and e.parts[0] == entries[0].parts[0] for e in entries)
           and not MOODLE_FOLDER.match(entries[0].parts[0])
           and not any(len(e.parts) > 2 and e.parts[1] == assignment for e in entries)):
        for e in entries:
            e.parts = e.parts[1:]
    return entries, fates, z.close


def _read_regular(path: Path, info: os.stat_result, entry: _Entry | None = None) -> bytes | str:
    """The file as listed (`info`): a file put in its place since is not read, and one changed
    since gives `entry` its later change time (what was read is what counts)."""
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file (a link, a pipe or a device): not read"
    if info.st_size > MAX_FILE_BYTES:
        return f"{info.st_size >> 20} MB, over the {MAX_FILE_BYTES >> 20} MB limit: not read"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        return f"could not be opened ({exc.strerror})"
    with os.fdopen(fd, "rb") as f:
        now = os.fstat(f.fileno())
        if not stat.S_ISREG(now.st_mode) or (now.st_dev, now.st_ino, now.st_uid) != (info.st_dev, info.st_ino, info.st_uid):
            return "replaced while intake read the folder: not read"
        raw = f.read(MAX_FILE_BYTES + 1)[:MAX_FILE_BYTES]
        after = os.fstat(f.fileno())
    if entry is not None and entry.changed is not None:
        entry.changed = max(entry.changed, dt.datetime.fromtimestamp(after.st_ctime, dt.timezone.utc))
    return raw


def _read_member(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | str:
    if info.file_size > MAX_FILE_BYTES:
        return f"{info.file_size >> 20} MB unpacked, over the {MAX_FILE_BYTES >> 20} MB limit: not read"
    try:
        with z.open(info) as member:   # (no more than the cap, whatever the header says)
            data = member.read(MAX_FILE_BYTES + 1)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
        return f"could not be unpacked ({type(exc).__name__}: {exc})"
    if len(data) > MAX_FILE_BYTES:
        return f"unpacks to more than the {MAX_FILE_BYTES >> 20} MB limit: not read"
    return data


# ---- who each file belongs to -------------------------------------------------------------------

@dataclass
class _Claim:
    """What a file says about its student, before the roster is asked."""
    key: str                    # the raw key: a folder, a file name part, an LMS id
    kind: str                   # "id", "canvas", "canvas-anon" or "moodle"
    name: str = ""              # a student's name where the LMS gives one
    lms: dict = field(default_factory=dict)
    late_marker: bool = False


def _claims(entries: list[_Entry], assignment: str, id_pattern: str | None, roster,
            fates: list[Fate], in_inbound: bool = False) -> tuple[str, list[tuple[_Entry, _Claim]]]:
    """(the shape recognised, each student file with its claim); other files get their fate. The
    LMS shapes are recognised first: what a student puts in their own upload (a folder named after
    the assignment, a timestamp.txt) never changes how the rest of the class is read."""
    out: list[tuple[_Entry, _Claim]] = []
    top = [e for e in entries if len(e.parts) == 1]
    # the exchange's inbound (found by its place: what students put in it cannot change the shape)
    if in_inbound:
        inbound = {id(e): m for e in entries if len(e.parts) > 1 and (m := INBOUND_NAME.fullmatch(e.parts[0]))}
        for e in entries:
            m = inbound.get(id(e))
            why = ("not in a `student+assignment+time+random/` folder" if m is None else
                   "another assignment's" if m["assignment"] != assignment else _inbound_problem(m["user"], e))
            if why:
                fates.append(Fate(e.path, IGNORED if m is None or m["assignment"] != assignment else UNKNOWN,
                                  reason=why))
            else:
                out.append((e, _Claim(m["user"], "id")))
        return INBOUND, out
    # (every entry: a Canvas name with a `\\` in its file part must not read as a Moodle folder)
    canvas = {id(e): c for e in entries if (c := _canvas_claim(e.parts[0], roster))}
    moodle = {id(e): m for e in entries if (m := (MOODLE_FILE.match(e.name) if len(e.parts) == 1
                                                  else MOODLE_FOLDER.match(e.parts[0])))}
    # (most files: a student whose folder in nbgrader's layout is named like an LMS upload is one)
    if max(len(canvas), len(moodle)) * 2 > len(entries):
        shape, found = ("Canvas zip", canvas) if len(canvas) >= len(moodle) else ("Moodle download", moodle)
        for e in entries:
            if id(e) not in found:
                fates.append(Fate(e.path, UNKNOWN, reason=f"not named as in a {shape}"))
            elif shape == "Canvas zip":
                claim = found[id(e)]
                if isinstance(claim, str):   # (the reason it names no one for sure)
                    fates.append(Fate(e.path, UNKNOWN, reason=claim))
                    continue
                if claim.name == "studenttest" and (roster is None or roster.by_canvas(claim.key) is None):
                    fates.append(Fate(e.path, IGNORED, reason="Canvas' Test Student (Student View), not a student"))
                    continue
                claim.lms["lms_file"] = e.parts[0]
                out.append((e, claim))
            else:
                m = found[id(e)]
                out.append((e, _Claim(m["pid"], "moodle", m["name"], lms={
                    "moodle_participant": m["pid"], "moodle_name": m["name"], "lms_file": e.parts[-1]})))
        return shape, out
    # nbgrader's submitted/ holds `<student>/<assignment>/…`, never a file right in `<student>/`:
    # most students' folders are so (one folder of another shape never changes how the rest is read)
    folders = {e.parts[0] for e in entries if len(e.parts) > 1}
    nbgrader = {e.parts[0] for e in entries if len(e.parts) > 2 and e.parts[1] == assignment}
    if len(nbgrader) * 2 > len(folders):
        for e in entries:
            if len(e.parts) >= 3 and e.parts[1] == assignment and e.parts[0] == safe_id(e.parts[0]):
                out.append((e, _Claim(e.parts[0], "id")))
            elif len(e.parts) >= 3 and e.parts[1] == assignment:   # ("stu02." would merge with stu02)
                fates.append(Fate(e.path, UNKNOWN, reason=f"{e.parts[0]!r} is not a student id as nbgrader writes one"))
            else:
                fates.append(Fate(e.path, IGNORED, reason=f"not in a `<student>/{assignment}/` folder"))
        return NBGRADER, out
    for e in entries:
        if len(e.parts) > 1:
            out.append((e, _Claim(e.parts[0], "id")))
            continue
        key = _key_from_name(e.name, assignment, id_pattern)
        if key:
            out.append((e, _Claim(key, "id")))
        else:
            how = f"the id pattern {id_pattern!r}" if id_pattern else "a student id beside the assignment id"
            fates.append(Fate(e.path, UNKNOWN, reason=f"its name does not carry {how}"))
    return ("folder per student" if entries and not top else "flat folder"), out


def _canvas_claim(name: str, roster) -> _Claim | str | None:
    """A Canvas file's claim; None if the name is not Canvas'; a reason if it names no one for sure.
    A display name may hold `_<digits>` (Canvas keeps it), so `smithx_1002_1004_…` reads as user 1002
    or 1004: with a roster, the reading whose user is in it and whose name is Canvas' name of that
    user wins; without one, a name that reads as two users names no one for sure. Canvas' ids have
    no leading zero (so `…_70001_03_softmax.ipynb` has one reading)."""
    readings = _canvas_readings(name)
    anon = CANVAS_ANON.fullmatch(name)
    if anon and not (roster is not None and any(roster.by_canvas(c.key) for c in readings)):
        return _Claim(anon["aid"], "canvas-anon", late_marker=bool(anon["late"]),
                      lms={"canvas_anonymous_id": anon["aid"], "canvas_attachment_id": anon["att"]})
    if not readings:
        return None
    users = sorted({c.key for c in readings})
    chosen = readings[0] if len(users) == 1 else None   # (what the name alone tells)
    if roster is not None:
        from .lms.canvas import canvas_name
        known = [(c, s) for c in readings if (s := roster.by_canvas(c.key)) is not None]
        named = [c for c, s in known if canvas_name(s) == c.name]
        if named:
            chosen = named[0]
        elif known:   # (no reading bears the user's own name: one user in the roster, or no one for sure)
            chosen = known[0][0] if len({c.key for c, _ in known}) == 1 else None
    if chosen is None:
        return (f"reads as Canvas user {' or '.join(users)}" + ("" if roster is not None else
                " (import the class's roster to tell: python -m autograder roster EXPORT.csv)")
                + ": say whose it is with --assign 'canvas:ID=STUDENT'")
    # the LMS's LATE mark belongs to the user, whichever reading of the name gave it
    chosen.late_marker = any(c.late_marker for c in readings if c.key == chosen.key)
    return chosen


def _canvas_readings(name: str) -> list[_Claim]:
    out, seen = [], set()
    for i in (i for i, ch in enumerate(name[:400]) if ch == "_" and i > 0):
        m = CANVAS_TAIL.fullmatch(name, i + 1)
        if m and not m["user"].startswith("0") and not m["att"].startswith("0") and (m["user"], i) not in seen:
            seen.add((m["user"], i))
            out.append(_Claim(m["user"], "canvas", name[:i], late_marker=bool(m["late"]), lms={
                "canvas_user_id": m["user"], "canvas_attachment_id": m["att"]}))
    return out


def _inbound_problem(user: str, e: _Entry) -> str:
    """Why a file of the inbound is not taken as `user`'s ("" if it is): the name is no student id,
    or the folder or file belongs to another user (put there in someone else's name, or a hard
    link). Where this machine has no user of that name (every Hub user one uid, as on
    zero-to-jupyterhub) the owner cannot be checked: the name is all there is, as for nbgrader."""
    if not user or user != safe_id(user):
        return f"{user!r} is not a student id as nbgrader writes one"
    try:
        uid = pwd.getpwnam(user).pw_uid
    except KeyError:
        uid = None
    # another known user's folder or file is never this student's, whether `user` has an account
    # here or not (one who never logged in to the Hub has none yet)
    others = {u for u in e.owners if u != uid and (uid is not None or _user_name(u) is not None)}
    if others:
        owners = ", ".join(sorted(_user_name(u) or f"uid {u}" for u in others))
        return f"belongs to {owners}, not to {user}: not taken as {user}'s"
    return ""


def _user_name(uid: int) -> str | None:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return None


def _key_from_name(name: str, assignment: str, id_pattern: str | None) -> str:
    """The student a flat file names: `id_pattern`'s group, else what is left once the assignment id
    is taken out (kim01_01_perceptron, 01_perceptron_kim01), else the part before the first `_`."""
    if id_pattern:
        m = re.search(id_pattern, name)
        return (m.group("student") or "") if m else ""
    stem = name.rsplit(".", 1)[0] if "." in name else name
    tokens = [t.strip() for t in stem.replace(assignment, "_").split("_") if t.strip()]
    if assignment in stem and len(tokens) != 1:
        return ""          # "01_perceptron.ipynb", "01_perceptron_v2_kim.ipynb": no one is named
    key = tokens[0] if tokens else ""
    return key if re.fullmatch(r"[A-Za-z0-9][\w .@-]*", key) else ""   # not "(1)", not "-copy"


# ---- the intake ---------------------------------------------------------------------------------

def collect(path: Path, assignment: str, id_pattern: str | None = None, roster=None,
            assign: dict[str, str] | None = None, unmatched: str = "stop",
            timestamps=None) -> Intake:
    """Every student's submission of `assignment` in `path`, and the fate of every file.

    `roster`: an autograder.roster.Roster; each file must then name one of its students.
    `assign`: {raw key: student id}, the instructor's answer to a collision or an unknown student
    (the key as the error message quotes it). `unmatched`: what to do with files that name no
    student of the roster: "stop" (raise UnknownStudents, the default), "skip" (report them,
    grade nothing) or "grade" (grade them under the id their files give).
    `timestamps`: {student id: aware datetime}, submission times from elsewhere (Moodle's worksheet).
    """
    if unmatched not in ("stop", "skip", "grade"):
        raise ValueError(f"unmatched must be stop, skip or grade, not {unmatched!r}")
    path = Path(path)
    entries, fates, close = _entries(path, assignment)
    try:
        return _collect(path, entries, fates, assignment, id_pattern, roster, assign or {}, unmatched, timestamps)
    finally:
        close()


def _collect(path, entries, fates, assignment, id_pattern, roster, assign, unmatched, timestamps) -> Intake:
    shape, claims = _claims(entries, assignment, id_pattern, roster, fates,
                            in_inbound=path.name == "inbound" and path.is_dir())

    # who: claims -> student ids
    groups: dict[str, list[tuple[_Entry, _Claim]]] = {}
    owner_key: dict[str, tuple[str, str]] = {}   # student id -> the first (key, LMS name) mapped to it
    unknown: dict[str, list[str]] = {}
    for e, claim in claims:
        student = _student_of(claim, roster, assignment, assign)
        if student is None:
            if unmatched == "grade":
                student = _own_id(claim)
            else:
                unknown.setdefault(_quote_key(claim), []).append(e.path)
                fates.append(Fate(e.path, UNKNOWN, reason=_unknown_reason(claim, roster, unmatched)))
                continue
        key = _quote_key(claim)   # (and the name the LMS gives: one id under two names is two people)
        if owner_key.setdefault(student, (key, claim.name)) != (key, claim.name):
            first, (other, _) = groups[student][0][0].path, owner_key[student]
            raise Collision(f"{first} and {e.path} would both be graded as student {student!r}, though "
                            f"they name different students ({other!r} and {key!r}"
                            f"{', under two names' if other == key else ''}). Say whose each is, e.g. "
                            f"--assign '{other}=ID' --assign '{key}=ID2' (or fix the roster), so that no two "
                            "students merge")
        groups.setdefault(student, []).append((e, claim))
    if unknown and unmatched == "stop":
        lines = "\n".join(f"  {k}: {', '.join(v)}" for k, v in sorted(unknown.items()))
        raise UnknownStudents(
            f"{len(unknown)} submitter(s) in {path.name} are not in the roster:\n{lines}\n"
            "Add them to the roster (python -m autograder roster EXPORT.csv), say who each is with "
            "--assign 'KEY=ID', or pass --unmatched skip (report them, grade nothing) or "
            "--unmatched grade (grade them under these ids).")

    subs = [_pick(student, _latest_submission(student, files, fates) if shape == INBOUND else files,
                  assignment, fates, (timestamps or {}).get(student), shape)
            for student, files in sorted(groups.items())]
    subs = [s for s in subs if s is not None]
    _drop_shared_secrets(subs, fates)
    return Intake(shape, subs, fates)


def _student_of(claim: _Claim, roster, assignment: str, assign: dict[str, str]) -> str | None:
    quoted = _quote_key(claim)
    if quoted in assign:
        chosen = assign[quoted]
        if roster is not None and roster.by_id(chosen) is None:
            raise IntakeError(f"--assign '{quoted}={chosen}': no student {chosen!r} in the roster")
        return safe_id(chosen)
    if roster is None:
        return _own_id(claim)
    if claim.kind == "canvas":
        s = roster.by_canvas(claim.key)
    elif claim.kind == "moodle":   # (never by the name alone: a student may set their own)
        s = roster.by_moodle(assignment, claim.key)
    elif claim.kind == "canvas-anon":
        s = None
    else:
        s = roster.by_any_id(claim.key)
    return s.id if s is not None else None


def _own_id(claim: _Claim) -> str:
    """An id from what the files carry (no roster): an LMS id is kept, so two LMS users never merge."""
    if claim.kind in ("canvas", "moodle"):
        return safe_id(f"{claim.name[:80]}-{claim.key[:40]}")
    if claim.kind == "canvas-anon":
        return safe_id(f"anon-{claim.key[:80]}")
    return safe_id(claim.key[:120])


def _quote_key(claim: _Claim) -> str:
    return {"canvas": f"canvas:{claim.key}", "moodle": f"moodle:{claim.key}",
            "canvas-anon": f"anon:{claim.key}"}.get(claim.kind, claim.key)


def _unknown_reason(claim: _Claim, roster, unmatched: str) -> str:
    what = {"canvas": f"Canvas user {claim.key} ({claim.name})",
            "moodle": f"Moodle participant {claim.key} ({claim.name})",
            "canvas-anon": f"anonymous Canvas student {claim.key} (anonymous grading: --unmatched grade)",
            }.get(claim.kind, repr(claim.key))
    hint = ""
    if claim.kind == "moodle":   # the roster may know the name, but a name is not proof
        named = [s.id for s in roster.by_name(claim.name)]
        hint = f"; the roster has {' and '.join(named)} of that name (import this assignment's worksheet)" if named else ""
    return f"{what} is not in the roster{hint}" + ("; skipped (--unmatched skip)" if unmatched == "skip" else "")


def _is_notebook_name(name: str) -> bool:
    return name.lower().endswith(NOTEBOOK_SUFFIXES)


def _latest_submission(student: str, files: list[tuple[_Entry, _Claim]], fates: list[Fate]) -> list[tuple[_Entry, _Claim]]:
    """In the inbound: the files of the student's submission folder that reached the exchange last
    (by change time: the time in its name is the student's to choose); the others are superseded."""
    folders: dict[str, list[tuple[_Entry, _Claim]]] = {}
    for e, c in files:
        folders.setdefault(e.parts[0], []).append((e, c))
    latest = max(folders, key=lambda f: (max(e.changed for e, _ in folders[f]), f))
    for folder, its in folders.items():
        if folder != latest:
            fates.extend(Fate(e.path, SUPERSEDED, student, f"a later submission was graded ({latest})") for e, _ in its)
    return folders[latest]


def _pick(student: str, files: list[tuple[_Entry, _Claim]], assignment: str, fates: list[Fate],
          timestamp: dt.datetime | None, shape: str) -> Submission | None:
    """One submission from a student's files: only the chosen notebook is read. nbgrader's own
    files count only in its layouts (anywhere else, a timestamp.txt is the student's own file)."""
    nbgrader = shape in (NBGRADER, INBOUND)
    depth = {NBGRADER: 3, INBOUND: 2}.get(shape)
    meta = {e.name: e for e, _ in files if len(e.parts) == depth and e.name in _META_USED}
    meta_fates = {name: Fate(e.path, METADATA, student, _META_USED[name]) for name, e in meta.items()}
    fates.extend(meta_fates.values())
    files = [(e, c) for e, c in files if e.name not in meta]
    notebooks = [(e, c) for e, c in files if _is_notebook_name(e.name)]
    others = [e for e, _ in files if not _is_notebook_name(e.name)]
    for e in others:
        fates.append(Fate(e.path, NOT_NOTEBOOK, student, "not an .ipynb (nor a jupytext .py/.md)"))
    if not notebooks:
        return None

    def rank(item):   # (a later Canvas upload has a larger attachment id)
        e, c = item
        return (assignment in e.name, e.name.lower().endswith(".ipynb"),
                int(c.lms.get("canvas_attachment_id", 0)), e.time or dt.datetime.min, e.path)
    notebooks.sort(key=rank, reverse=True)
    chosen, raw, unreadable = None, b"", []
    for e, c in notebooks:
        if chosen is not None:
            fates.append(Fate(e.path, SUPERSEDED, student, f"{Path(chosen[0].path).name} was graded instead"))
            continue
        got = e.read()
        if isinstance(got, str):
            unreadable.append((e, c, got))
            fates.append(Fate(e.path, UNREADABLE, student, got))
        elif e.name.lower().endswith(TEXT_NOTEBOOK_SUFFIXES) and not _looks_like_jupytext(got):
            fates.append(Fate(e.path, NOT_NOTEBOOK, student, "a text file that is not a jupytext notebook"))
        else:
            chosen, raw = (e, c), got
    if chosen is None and not unreadable:
        return None
    # a student whose every notebook is unreadable is still a student: graded 0, with the reason
    e, claim = chosen if chosen is not None else unreadable[0][:2]
    notes = [f"{len(notebooks)} notebooks; graded {e.name}"] if len(notebooks) > 1 and chosen else []
    if others:   # (the student should know what was not looked at)
        names = sorted(f.name for f in others)
        notes.append(f"not graded: {', '.join(names[:5])}" + (f" and {len(names) - 5} more" if len(names) > 5 else ""))
    if chosen is not None:
        fates.append(Fate(e.path, GRADED, student,
                          "" if e.name.lower().endswith(".ipynb") else "converted from jupytext text"))
    sub = Submission(student, raw, e.path, e.name, "; ".join(notes),
                     problem="" if chosen is not None else f"the submitted file is {unreadable[0][2]}",
                     late_marker=claim.late_marker, lms=dict(claim.lms))
    if shape == INBOUND:
        _set_arrival(sub, [e for e, _ in files], meta.get("timestamp.txt"), meta_fates.get("timestamp.txt"))
    else:
        _set_time(sub, meta.get("timestamp.txt"), timestamp)
    if "timestamp.txt" in meta and sub.time_source.startswith("timestamp.txt ("):
        meta_fates["timestamp.txt"].reason += ": unreadable, not used (no submission time)"
    if nbgrader:
        why = _set_secret(sub, meta.get("submission_secret.txt"))
        if why and "submission_secret.txt" in meta:
            meta_fates["submission_secret.txt"].reason += f": {why}, not used"
    return sub


_META_USED = {"timestamp.txt": "nbgrader's submission time", "submission_secret.txt": "nbgrader's submission secret"}
_NO_EXCHANGE = ("nbgrader's exchange cannot find this feedback for you (fetch_feedback): "
                "ask your instructor for it")


def _set_secret(sub: Submission, e: _Entry | None) -> str:
    """Take the submission's secret if nbgrader wrote it; else note, for the student and the
    instructor, that feedback cannot go back through the exchange. Returns why it is not used."""
    got = e.read() if e is not None else None
    if got is None:
        why = "no submission_secret.txt"
    elif isinstance(got, str):   # (why it could not be read)
        why = got
    elif not SECRET_FORM.fullmatch(got):
        why = "not a secret as nbgrader writes one"
    else:
        sub.secret = got.decode("ascii")
        return ""
    _note_no_exchange(sub, why)
    return why


def _note_no_exchange(sub: Submission, why: str) -> None:
    sub.note = "; ".join(filter(None, [sub.note, f"{why}: {_NO_EXCHANGE}"]))


def _drop_shared_secrets(subs: list[Submission], fates: list[Fate]) -> None:
    """Two submissions with one secret would share one feedback file in the exchange (one student
    would fetch the other's): neither secret is used."""
    counts = collections.Counter(s.secret for s in subs if s.secret)
    for sub in subs:
        if counts.get(sub.secret, 0) > 1:
            sub.secret = ""
            why = "the same submission secret as another student's"
            _note_no_exchange(sub, why)
            for f in fates:
                if f.student == sub.student and f.fate == METADATA and f.file.endswith("submission_secret.txt"):
                    f.reason += f": {why}, not used"


def _looks_like_jupytext(raw: bytes) -> bool:
    """A percent/light/hydrogen .py or a markdown notebook (linear time: no pattern that backtracks)."""
    text = raw[:200_000].decode("utf-8", errors="replace")
    if re.search(r"^(?:# %%|# In\[|#[ \t]*---[ \t]*$|```python)", text, re.MULTILINE):
        return True
    header = re.search(r"^---[ \t]*$", text, re.MULTILINE)
    return bool(header and re.search(r"^jupyter:", text[header.end():], re.MULTILINE))


def _set_time(sub: Submission, stamp: _Entry | None, timestamp: dt.datetime | None) -> None:
    """The submission time, where the input says it. An LMS zip's own file times are when the zip
    was made (Canvas) or are not documented (Moodle): never read as submission times."""
    if timestamp is not None:
        sub.submitted_at, sub.time_source = timestamp, "the LMS's submission time"
    elif stamp is not None:
        sub.submitted_at = _read_timestamp(stamp)
        sub.time_source = "timestamp.txt" if sub.submitted_at else "timestamp.txt (unreadable: ignored)"
    elif sub.late_marker:
        sub.time_source = "Canvas marked it LATE (its zip carries no time)"


def _set_arrival(sub: Submission, files: list[_Entry], stamp: _Entry | None, stamp_fate: Fate | None) -> None:
    """In the inbound, the submission time is when its files last changed there: a student owns
    the folder and could write any time into timestamp.txt, but cannot set a change time back."""
    sub.submitted_at = max(e.changed for e in files)
    sub.time_source = "when its files reached the exchange (their change times)"
    said = _read_timestamp(stamp) if stamp is not None else None
    if stamp_fate is not None and said is not None and said < sub.submitted_at - CLOCK_SLACK:
        stamp_fate.reason += (f": says {said:%Y-%m-%d %H:%M} UTC, before its files reached the exchange "
                              f"({sub.submitted_at:%Y-%m-%d %H:%M} UTC): not used")


def _read_timestamp(e: _Entry) -> dt.datetime | None:
    from nbgrader.utils import parse_utc
    got = e.read()
    if isinstance(got, str) or len(got) > 200:
        return None
    try:
        return parse_utc(got.decode("utf-8", errors="replace").strip()).replace(tzinfo=dt.timezone.utc)
    except Exception:   # (nbgrader's own parser: a bad stamp means no time, never a crash)
        return None
