"""A dishonest student on the Hub (README, "JupyterHub with nbgrader's exchange"): what they can put
in the exchange's inbound with their own uid (`nbgrader submit`, or files written there by hand)
must not change another student's grade or feedback, hand them work or feedback not theirs, nor
stop the class. Each test asserts the safe behaviour, with an honest student (the solutions,
stu01) and a blank one (stu02) beside the attacker (mal), and reuses tests/test_exchange.py's Hub.

One class submits once (the fixture); each test works on a copy of that Hub and course folder
(`cp -a`: owners kept), adds its attack to the inbound as `mal`, and takes the class in as the
README says, from the inbound itself (intake's "nbgrader exchange inbound" shape); where the attack
is on what `nbgrader collect [--update] A --CourseDirectory.submitted_directory=collected` makes,
from that copy too. `nbgrader collect` itself follows links with the instructor's rights and
believes folder names and timestamp.txt: the attacks that only the inbound defeats are not tried
on its copy. The grading machine knows the Hub's users (their passwd entries) as a Hub's does.
"""
import datetime as dt
import pwd
import subprocess
from pathlib import Path

import nbformat
import pytest

import test_exchange as tx
from autograder import intake, sample_class
from autograder.adversarial import EXCHANGE_ATTACKS

A = tx.A
MAL = ("mal", 62003)
NBGRADER = ("-m", "nbgrader")
pytestmark = tx.pytestmark

# mal's helpers, run as mal (argv: inbound, course folder, outbound): `SRC` is mal's own submission
# as nbgrader's cache keeps it (written by hand: what `nbgrader submit` writes, without its start-up),
# `put(name)` a copy of it in the inbound under `name`
_MAL = """
import glob, os, secrets, shutil, sys
inbound, course, outbound = sys.argv[1:4]
cache = os.path.expanduser("~/.local/share/jupyter/nbgrader_cache/dl-course")
SRC = os.path.join(cache, "mal+01_perceptron+2026-01-01 00:00:00.000000 UTC")
if not os.path.isdir(SRC):
    shutil.copytree(outbound, SRC)
    for f, text in (("timestamp.txt", "2026-01-01 00:00:00.000000 UTC"), ("submission_secret.txt", secrets.token_hex(64))):
        with open(os.path.join(SRC, f), "w") as fh:
            fh.write(text)
def put(name):
    d = os.path.join(inbound, name)
    shutil.copytree(SRC, d)
    return d
"""


class Class:
    """A copy of the submitted class: the Hub, its course folder and what each student holds."""

    def __init__(self, base: Path, target: Path, secrets: dict, started: dt.datetime):
        subprocess.run(["cp", "-a", str(base), str(target)], check=True)
        self.hub = tx.Hub.__new__(tx.Hub)
        root = target / "hub"
        self.hub.root, self.hub.exchange, self.hub.homes, self.hub.work = (
            root, root / "srv" / "exchange", root / "home", root / "work")
        for cfg in self.hub.homes.glob("*/.jupyter/nbgrader_config.py"):   # (the exchange moved)
            cfg.write_text(cfg.read_text().replace(str(base / "hub"), str(root)))
        self.course, self.secrets, self.started = target / "course", secrets, started
        self.inbound = self.hub.exchange / tx.COURSE_ID / "inbound"

    def mal(self, code: str) -> str:
        return tx.ok(self.hub.student("mal", "-c", _MAL + code, str(self.inbound), str(self.course),
                                      str(self.inbound.parent / "outbound" / A)), "mal")

    def collect(self, *update: str) -> str:
        return tx.ok(self.hub.instructor(*NBGRADER, "collect", *update, A,
                                         "--CourseDirectory.submitted_directory=collected", cwd=self.course),
                     "collect")

    def take(self, where: str = "inbound") -> dict:
        """{student: Submission} from the inbound (or `collected`, after nbgrader's collect); the
        intake's fates in self.fates."""
        taken = intake.collect(self.inbound if where == "inbound" else self.course / "collected", A)
        assert taken.shape == (intake.INBOUND if where == "inbound" else intake.NBGRADER), taken.shape
        self.fates = {f.file: f for f in taken.fates}
        return {s.student: s for s in taken.submissions}

    def fate(self, folder_start: str) -> intake.Fate:
        return next(f for path, f in self.fates.items() if path.startswith(folder_start) and path.endswith(".ipynb"))

    def check_controls(self, got: dict[str, intake.Submission]) -> None:
        """The honest and the blank student are taken in as they submitted."""
        for name in ("stu01", "stu02"):
            sub = got[name]
            assert sub.secret == self.secrets[name], (name, sub.note)
            assert sub.submitted_at is not None and sub.submitted_at >= self.started, (name, sub.time_source)
            cached = next((self.hub.home(name) / ".local/share/jupyter/nbgrader_cache" / tx.COURSE_ID)
                          .glob(f"{name}+{A}+*")) / f"{A}.ipynb"
            assert sub.raw == cached.read_bytes(), name


@pytest.fixture(scope="module")
def submitted(tmp_path_factory, copy_built_course):
    """(the base folder, {student: secret}, when submitting began): stu01 the solutions, stu02 the
    notebook as released, each through `nbgrader submit` (mal's own submission: _MAL)."""
    base = tmp_path_factory.mktemp("attacks") / "base"
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(tx.STUDENTS, *MAL)
        course = copy_built_course(base / "course")
        hub = tx.Hub(base / "hub")
        tx.ok(hub.instructor(*NBGRADER, "release_assignment", A, cwd=course), "release_assignment")
        answers = sample_class.solution_answers(course, A)
        started = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        for name in ("stu01", "stu02"):
            tx.ok(hub.student(name, *NBGRADER, "fetch_assignment", A), f"{name}: fetch_assignment")
            if name == "stu01":
                mine = hub.workdir(name) / A / f"{A}.ipynb"
                nbformat.write(sample_class.fill(nbformat.read(mine, as_version=4), answers), mine)
                hub.give(name)
            tx.ok(hub.student(name, *NBGRADER, "submit", A), f"{name}: submit")
        secrets = {name: next((hub.home(name) / ".local/share/jupyter/nbgrader_cache" / tx.COURSE_ID)
                              .glob(f"{name}+{A}+*")).joinpath("submission_secret.txt").read_text()
                   for name in ("stu01", "stu02")}
        yield base, secrets, started


@pytest.fixture
def cls(submitted, tmp_path, monkeypatch):
    monkeypatch.setitem(tx.STUDENTS, *MAL)
    c = Class(submitted[0], tmp_path / "class", *submitted[1:])
    users = {line.split(":")[0]: line.split(":") for line in (c.hub.root / "passwd").read_text().splitlines() if line}

    def entry(fields):
        n, _, uid, gid, gecos, home, shell = fields
        return pwd.struct_passwd((n, "x", int(uid), int(gid), gecos, home, shell))

    def getpwnam(name):   # the Hub's users, as the grading machine of a Hub knows them
        if name not in users:
            raise KeyError(name)
        return entry(users[name])

    def getpwuid(uid):
        return entry(next(f for f in users.values() if int(f[2]) == uid))
    monkeypatch.setattr(intake.pwd, "getpwnam", getpwnam)
    monkeypatch.setattr(intake.pwd, "getpwuid", getpwuid)
    return c


@pytest.mark.parametrize("attack, in_inbound, in_collected", [("no-name", "+01_perceptron", None),
                                                               ("folded-name", "stu02.+", "stu02./")])
def test_a_name_of_no_student_is_refused_alone_and_the_class_keeps_its_shape(cls, attack, in_inbound, in_collected):
    """`+01_perceptron+<time>+x` (an empty user name): nbgrader collects it into
    `collected//01_perceptron`, i.e. `collected/01_perceptron/`, a folder one level up; intake must
    still read the class as nbgrader's submitted/ (else every secret and time is dropped).
    `stu02.+01_perceptron+…`: safe_id("stu02.") is "stu02"; intake must not stop the whole class
    (Collision) at one student's folder name. In the inbound and in collect's copy, the folder is
    no one's and the others keep their own submissions."""
    cls.mal(EXCHANGE_ATTACKS[attack])
    got = cls.take()
    cls.check_controls(got)
    assert cls.fate(in_inbound).fate == intake.UNKNOWN
    cls.collect()
    got = cls.take("collected")
    cls.check_controls(got)
    if in_collected:
        assert cls.fate(in_collected).fate == intake.UNKNOWN


def test_a_submission_in_another_students_name_is_not_graded_as_theirs(cls):
    """mal submits as `stu01+…+2099…` (a time that wins every collect, --update too): stu01 must be
    graded on stu01's own submission, never on mal's with mal's secret (whose feedback mal fetches,
    and stu01 never)."""
    cls.mal(EXCHANGE_ATTACKS["another-name"])
    got = cls.take()
    cls.check_controls(got)
    forged = cls.fate("stu01+01_perceptron+2099")
    assert forged.fate == intake.UNKNOWN and "belongs to mal, not to stu01" in forged.reason, forged


def test_links_in_the_inbound_are_not_taken_as_submissions(cls):
    """nbgrader's collect copies with the instructor's rights and follows links. mal's notebook a
    link to the instructor's source notebook (the solutions), mal's secret a link to stu01's
    collected secret (so both are dropped as shared), a whole `stu02+…` folder a link to the
    instructor's source folder: nothing of the instructor's is graded as a student's, and stu01
    keeps their secret."""
    cls.collect()   # (an earlier collect made collected/: a target for the links)
    cls.mal(EXCHANGE_ATTACKS["links"])
    got = cls.take()
    assert got["mal"].raw == b"" and "not a regular file" in got["mal"].problem, got["mal"].problem
    assert not got["mal"].secret
    cls.check_controls(got)


def test_a_forged_timestamp_is_not_the_submission_time(cls):
    """mal's timestamp.txt in their own inbound folder says 2000 (after `nbgrader submit` the folder
    and its files are mal's, `Destination:` in submit's log names it; or mal writes one by hand):
    the late penalty must not be dodged by a time before mal's submission reached the exchange."""
    cls.mal(EXCHANGE_ATTACKS["backdated"])
    got = cls.take()
    cls.check_controls(got)
    assert got["mal"].submitted_at >= cls.started, got["mal"].submitted_at
    assert "before its files reached the exchange" in cls.fates[next(p for p in cls.fates if p.startswith("mal+")
                                                                       and p.endswith("timestamp.txt"))].reason


# ---- red team: more of mal's inbound --------------------------------------------------------------

def _class_roster(*extra):
    from autograder.roster import Roster, Student
    return Roster([Student("stu01", email="stu01@uni.example"), Student("stu02"), Student("mal"), *extra])


@pytest.mark.parametrize("attack, name", [("roster-case", "STU01"), ("roster-email", "stu01@uni.example")])
def test_a_name_the_roster_reads_as_another_student_does_not_stop_the_class(cls, attack, name):
    """With the course's roster (grade_class loads it), `STU01+…` or `stu01@uni.example+…` (mal's
    folder) has no passwd entry, so _inbound_problem checks no owner, and roster.by_any_id (case-
    insensitive, emails) maps it onto stu01: intake raises Collision and the whole class stops (had
    stu01 not submitted yet, mal's notebook and secret would be graded as stu01's). It belongs to
    mal, a known user: it must be nobody's submission, and the class is taken in."""
    cls.mal(EXCHANGE_ATTACKS[attack])
    taken = intake.collect(cls.inbound, A, roster=_class_roster())
    cls.fates = {f.file: f for f in taken.fates}
    got = {s.student: s for s in taken.submissions}
    cls.check_controls(got)
    assert cls.fate(f"{name}+").fate == intake.UNKNOWN


def test_a_folder_of_a_known_user_is_not_taken_for_a_roster_student_without_an_account(cls):
    """stu03 is on the roster but has no Hub account yet (never logged in): mal's `stu03+…` folder,
    owned by mal's uid, is taken as stu03's submission (with mal's secret, whose feedback mal
    fetches). A folder that belongs to another known user is not stu03's, account or not."""
    from autograder.roster import Student
    cls.mal(EXCHANGE_ATTACKS["no-account"])
    taken = intake.collect(cls.inbound, A, roster=_class_roster(Student("stu03")))
    got = {s.student: s for s in taken.submissions}
    cls.check_controls(got)
    assert "stu03" not in got, got["stu03"].origin


def test_a_notebook_changed_after_the_listing_is_not_graded_at_its_earlier_time(cls, monkeypatch):
    """Intake takes each file's change time when it lists the inbound and reads the file later
    (_read_regular checks only that it is still a regular file). mal, watching their own folder
    (inotify on its open), rewrites their notebook once it is listed: the new content is graded
    with the time of the old (work done after the deadline counts as on time). The time must be
    that of what was read (fstat after the read), or the file not read."""
    folder = "mal+01_perceptron+2026-01-01 00:00:00.000000 UTC+x"
    cls.mal(f'put("{folder}")')
    real, changed = intake._claims, {}

    def claims_then_mal_writes(*args, **kw):   # (mal winning the race between the listing and the read)
        import time
        time.sleep(1.1)
        changed["at"] = dt.datetime.now(dt.timezone.utc)
        cls.mal(f'open(os.path.join(inbound, "{folder}", "01_perceptron.ipynb"), "a").write(" ")')
        return real(*args, **kw)
    monkeypatch.setattr(intake, "_claims", claims_then_mal_writes)
    got = cls.take()
    cls.check_controls(got)
    assert got["mal"].raw.endswith(b" ")   # (what was read is the late content)
    assert got["mal"].submitted_at >= changed["at"] - dt.timedelta(seconds=0.5), got["mal"].submitted_at


def test_control_characters_in_a_folder_name_do_not_reach_the_instructors_console(cls):
    """grade_class prints Intake.details() to the instructor's terminal; a folder named with a newline
    and ANSI escapes (erase line, cursor up) goes there raw: mal can erase or forge lines of it."""
    cls.mal(EXCHANGE_ATTACKS["control-characters"])
    got = cls.take()
    cls.check_controls(got)
    details = intake.collect(cls.inbound, A).details()
    assert "\x1b" not in details and all(line.startswith("  ") for line in details.splitlines()), repr(details)
