"""The JupyterHub loop through nbgrader's own exchange, with this course's sandboxed grader in the
middle (README, "JupyterHub with nbgrader's exchange"): the instructor releases, two students fetch
and submit, the instructor collects, grades with `python -m autograder grade`, releases feedback,
and each student fetches their own.

Each user is a user of their own, as on a Hub: own home (mode 0700) with their own
~/.jupyter/nbgrader_config.py (course/student_nbgrader_config.py, the exchange set to this test's),
own work folder, own uid and name. Students run nbgrader in a bubblewrap view of the machine that
holds the system, Python, the exchange, the homes and the work folders, with an /etc/passwd naming
them (nbgrader takes a student's name from the process's uid, pwd.getpwuid, never from $USER). Run
as root, each student runs as an unprivileged uid of their own (setpriv), so what nbgrader's
exchange permissions keep from another student is tested for real; run as an ordinary user, all
users share that user's uid (a user namespace only renames it) and only the modes are checked.
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from autograder import archive, grade_class, intake, paths, sample_class, sandbox

A = "01_perceptron"
COURSE_ID = "dl-course"
STUDENTS = {"stu01": 62001, "stu02": 62002}   # (the sandboxes' kernels have 61000-61999)
ROOT = os.geteuid() == 0
STUDENT_CONFIG = paths.COURSE / "student_nbgrader_config.py"
DEFAULT_EXCHANGE = 'c.Exchange.root = "/usr/local/share/nbgrader/exchange"'

pytestmark = pytest.mark.skipif(not sandbox.bwrap() or (ROOT and not shutil.which("setpriv")),
                                reason="bubblewrap (and, as root, setpriv) run each student as a user of their own")


def _config(exchange: Path) -> str:
    """The students' config as the course ships it, pointed at this test's exchange."""
    text = STUDENT_CONFIG.read_text(encoding="utf-8")
    assert text.count(DEFAULT_EXCHANGE) == 1 and f'c.CourseDirectory.course_id = "{COURSE_ID}"' in text
    return text.replace(DEFAULT_EXCHANGE, f"c.Exchange.root = {str(exchange)!r}")


def _dirs_to(target: Path, made: set[str]) -> list[str]:
    """bwrap arguments making each missing parent of `target` a plain 0755 folder (the host's
    /root and pytest's temporary folders are 0700)."""
    args = []
    for i in range(2, len(target.parts)):
        d = str(Path(*target.parts[:i]))
        if d not in made:
            made.add(d)
            args += ["--perms", "0755", "--dir", d]
    return args


class Hub:
    """One machine's users: the instructor (this process's own user, with a home of its own) and
    the students (uids of their own); the exchange, the homes and the work folders under `root`."""

    def __init__(self, root: Path):
        self.root, self.exchange = root, root / "srv" / "exchange"
        self.homes, self.work = root / "home", root / "work"
        (root / "srv").mkdir(parents=True)
        for name, uid in {"instructor": os.geteuid(), **STUDENTS}.items():
            for folder in (self.home(name), self.home(name) / ".jupyter", self.workdir(name)):
                folder.mkdir(parents=True)
            (self.home(name) / ".jupyter" / "nbgrader_config.py").write_text(_config(self.exchange))
            self._own(name, uid)
        host = Path("/etc/passwd").read_text()
        (root / "passwd").write_text(host + "".join(
            f"{n}:x:{u}:{u}::{self.home(n)}:/bin/sh\n" for n, u in STUDENTS.items()))
        (root / "group").write_text(Path("/etc/group").read_text() + "".join(
            f"{n}:x:{u}:\n" for n, u in STUDENTS.items()))

    def home(self, name: str) -> Path:
        return self.homes / name

    def workdir(self, name: str) -> Path:
        return self.work / name

    def _own(self, name: str, uid: int) -> None:
        for top in (self.home(name), self.workdir(name)):
            for folder, _, files in os.walk(top):
                for p in [folder, *(os.path.join(folder, f) for f in files)]:
                    if ROOT:
                        os.chown(p, uid, uid)
            os.chmod(top, 0o700)

    def give(self, name: str) -> None:
        """What the test wrote into a student's folders becomes theirs."""
        self._own(name, STUDENTS[name])

    def env(self, name: str) -> dict:
        return {"HOME": str(self.home(name)), "USER": name, "LOGNAME": name, "LANG": "C.UTF-8",
                "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin"}

    def instructor(self, *args: str, cwd: Path) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
        env.update(self.env("instructor"))
        return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)

    def student(self, name: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        uid = STUDENTS[name]
        made = {"/tmp"}
        args_ = [sandbox.bwrap(), "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-net",
                 *([] if ROOT else ["--unshare-user", "--uid", str(uid), "--gid", str(uid)]),
                 "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        for d in ("/usr", "/bin", "/lib", "/lib64", "/sbin", "/etc"):
            if Path(d).exists():
                args_ += ["--ro-bind", d, d]
                made.add(d)
        args_ += ["--ro-bind", str(self.root / "passwd"), "/etc/passwd",
                  "--ro-bind", str(self.root / "group"), "/etc/group"]
        for d in sorted({sys.base_prefix, sys.prefix, os.path.realpath(sys.base_prefix)}):
            args_ += _dirs_to(Path(d), made) + ["--ro-bind", d, d]
        for d in (self.exchange, self.homes, self.work):
            args_ += _dirs_to(d, made) + ["--bind", str(d), str(d)]
        args_ += ["--chdir", "/", "--clearenv"]   # (the work folder is the student's alone: entered as them)
        for k, v in self.env(name).items():
            args_ += ["--setenv", k, v]
        drop = []
        if ROOT:   # (bwrap mounts with root's rights; the student's process then runs as their uid)
            args_ += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
                      "--cap-add", "CAP_SETPCAP"]
            drop = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--bounding-set=-all",
                    "--inh-caps=-all", "--no-new-privs"]
        return subprocess.run([*args_, "--", *drop, "env", "-C", str(cwd or self.workdir(name)), sys.executable, *args],
                              capture_output=True, text=True, timeout=120)


def ok(proc: subprocess.CompletedProcess, what: str) -> str:
    assert proc.returncode == 0, f"{what} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout + proc.stderr


# What a student tries in the exchange as nbgrader lays it out: list the submissions, list the
# released feedback, look into another student's home (their cached submission and its secret).
_PROBE = """
import json, os, sys
exchange, other_home, own_home = sys.argv[1:4]
out = {}
for what, path in (("inbound", f"{exchange}/dl-course/inbound"), ("feedback", f"{exchange}/dl-course/feedback"),
                   ("other home", other_home), ("own home", own_home)):
    try:
        os.listdir(path)
        out[what] = "listed"
    except PermissionError:
        out[what] = "denied"
import pwd
out["name"] = pwd.getpwuid(os.getuid())[0]
print(json.dumps(out))
"""


def test_jupyterhub_loop_through_nbgraders_exchange(copy_built_course, tmp_path):
    start = time.monotonic()
    course = copy_built_course(tmp_path / "course")
    hub = Hub(tmp_path / "hub")
    nbgrader = ("-m", "nbgrader")

    # the instructor releases; the course's config keeps the exchange the Jupyter config path sets
    ok(hub.instructor(*nbgrader, "release_assignment", A, cwd=course), "release_assignment")
    assert (hub.exchange / COURSE_ID / "outbound" / A / f"{A}.ipynb").is_file()
    assert not (course.parent / "exchange").exists(), "the course config did not keep the Hub's exchange"

    # each student fetches, works, submits (stu01 the solutions, stu02 the notebook as released)
    answers = sample_class.solution_answers(course, A)
    for name in STUDENTS:
        ok(hub.student(name, *nbgrader, "fetch_assignment", A), f"{name}: fetch_assignment")
        mine = hub.workdir(name) / A / f"{A}.ipynb"
        if name == "stu01":
            nbformat.write(sample_class.fill(nbformat.read(mine, as_version=4), answers), mine)
            hub.give(name)
        ok(hub.student(name, *nbgrader, "submit", A), f"{name}: submit")
    cached = {name: next((hub.home(name) / ".local/share/jupyter/nbgrader_cache" / COURSE_ID).glob(f"{name}+{A}+*"))
              for name in STUDENTS}
    secrets = {name: (c / "submission_secret.txt").read_text() for name, c in cached.items()}

    # the instructor collects into a folder of its own and grades it in the sandbox
    ok(hub.instructor(*nbgrader, "collect", A, "--CourseDirectory.submitted_directory=collected", cwd=course),
       "collect")
    assert sorted(p.name for p in (course / "collected").iterdir()) == sorted(STUDENTS)
    # one more, as an inbound folder made by hand would be collected: no time, a secret nbgrader never
    # wrote; it must not stop release_feedback for the class
    forged = course / "collected" / "stu03" / A
    forged.mkdir(parents=True)
    shutil.copy(course / "release" / A / f"{A}.ipynb", forged)
    (forged / "submission_secret.txt").write_text("../" + secrets["stu01"])
    graded = ok(hub.instructor("-m", "autograder", "grade", A, str(course / "collected"), "--course", str(course),
                               "--workers", "2", cwd=paths.ROOT), "grade")
    assert "release_feedback" not in graded, graded   # (no feedback folder nbgrader would stop at)
    manifest = archive.load_manifest(course, A)
    assert {s: manifest[s]["secret"] for s in STUDENTS} == secrets and manifest["stu03"]["secret"] == ""
    assert archive.load(course, A, ["stu01"])[0].secret == secrets["stu01"]   # (what a regrade starts from)
    with open(archive.folder(course, A) / "report.csv", encoding="utf-8") as f:
        report = f.read()
    assert report.count(intake.METADATA) == 5 and report.count("not used") == 1, report
    assert "stu03/01_perceptron/submission_secret.txt" in graded   # (shown to the instructor)
    # every feedback folder has what nbgrader's release_feedback reads: the student's own secret,
    # or a fresh one no student holds
    for name in STUDENTS:
        assert (course / "feedback" / name / A / "submission_secret.txt").read_text() == secrets[name]
    fresh = (course / "feedback" / "stu03" / A / "submission_secret.txt").read_text()
    assert re.fullmatch("[0-9a-f]{128}", fresh) and fresh not in secrets.values()
    assert all((course / "feedback" / name / A / "timestamp.txt").is_file() for name in [*STUDENTS, "stu03"])
    stu03 = (course / "feedback" / "stu03" / A / f"{A}.html").read_text(encoding="utf-8")
    assert "cannot find this feedback for you" in stu03 and "carries no time, so it counts as on time" in stu03
    assert not (course / "submitted" / "stu03" / A / "timestamp.txt").exists()   # (a time only where known)

    # after hand grading, nbgrader's own feedback keeps them (it copies the autograded folder's files)
    ok(hub.instructor(*nbgrader, "generate_feedback", "--force", A, cwd=course), "generate_feedback")
    assert (course / "feedback" / "stu01" / A / "submission_secret.txt").read_text() == secrets["stu01"]
    out = ok(hub.instructor(*nbgrader, "release_feedback", A, cwd=course), "release_feedback")
    released = {p.name for p in (hub.exchange / COURSE_ID / "feedback").iterdir()}
    mine = {hashlib.md5((secrets[s] + A).encode()).hexdigest() + ".html" for s in STUDENTS}
    assert len(released) == 3 and mine < released, out

    # each student fetches their own feedback, and only theirs
    fetched = {}
    for name in STUDENTS:
        ok(hub.student(name, *nbgrader, "fetch_feedback", A), f"{name}: fetch_feedback")
        files = [p for p in (hub.workdir(name) / A / "feedback").rglob("*") if p.is_file()]
        assert [p.name for p in files] == [f"{A}.html"], files
        fetched[name] = files[0].read_text(encoding="utf-8")
        assert fetched[name] == (course / "feedback" / name / A / f"{A}.html").read_text(encoding="utf-8")
    assert fetched["stu01"] != fetched["stu02"]
    scores = {n: float(re.search(r"Score: ([\d.]+) / [\d.]+", html)[1]) for n, html in fetched.items()}
    assert scores == {"stu01": 12, "stu02": 0}   # (the autograded points; written answers wait for a hand)
    for html in fetched.values():   # the grader's notes: the notebook alone, nbgrader's files not counted
        assert f"File graded: <code>{A}.ipynb</code>.</li>" in html and "submission_secret" not in html, html
        assert "(timestamp.txt): on time." in html

    # what nbgrader's exchange keeps from another student
    modes = {p: (hub.exchange / COURSE_ID / p).stat().st_mode & 0o777 for p in ("inbound", "feedback")}
    assert not modes["inbound"] & 0o044 and not modes["feedback"] & 0o044, {k: oct(v) for k, v in modes.items()}
    probe = json.loads(ok(hub.student("stu02", "-c", _PROBE, str(hub.exchange), str(hub.home("stu01")),
                                      str(hub.home("stu02"))), "probe").strip().splitlines()[-1])
    assert probe["name"] == "stu02" and probe["own home"] == "listed", probe
    if ROOT:   # (as an ordinary user every "user" here is that one uid: no permission can tell them apart)
        assert probe == {"inbound": "denied", "feedback": "denied", "other home": "denied", "own home": "listed",
                         "name": "stu02"}, probe
    assert time.monotonic() - start < 120


def test_intake_takes_only_secrets_nbgrader_writes(tmp_path):
    """A submission's secret is the student's input: only nbgrader's form (hex, bounded) is taken,
    never one two students share (they would fetch one feedback file); the others are noted, for
    the instructor (the intake's details) and the student (the feedback's notes)."""
    import secrets as random
    nb = nbformat.writes(nbformat.v4.new_notebook()).encode()
    shared, own = random.token_hex(64), random.token_hex(64)
    given = {"ok": own, "twin1": shared, "twin2": shared, "path": "../" + own, "long": "a" * 300,
             "newline": own[:-1] + "\n", "none": None}
    for student, secret in given.items():
        folder = tmp_path / student / A
        folder.mkdir(parents=True)
        (folder / f"{A}.ipynb").write_bytes(nb)
        if secret is not None:
            (folder / "submission_secret.txt").write_text(secret)
    taken = intake.collect(tmp_path, A)
    got = {s.student: s for s in taken.submissions}
    assert {s: sub.secret for s, sub in got.items() if sub.secret} == {"ok": own}
    for student in set(given) - {"ok"}:
        assert "nbgrader's exchange cannot find this feedback" in got[student].note, student
    details = taken.details()
    assert "ok/" not in details
    assert all(f"{s}/{A}/submission_secret.txt" in details for s in set(given) - {"ok", "none"}), details


def test_the_courses_own_submitted_folder_is_not_taken_in(tmp_path):
    """The grader rewrites the course's submitted/: grading it again would grade the grader's output."""
    (tmp_path / "submitted" / "stu01" / A).mkdir(parents=True)
    for given in (tmp_path / "submitted", tmp_path / "submitted" / "stu01"):
        with pytest.raises(SystemExit, match="inbound in place.*submitted_directory=collected"):
            grade_class.grade_class(A, given, tmp_path, progress=False)
