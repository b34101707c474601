"""Shared fixtures. The whole suite runs offline, headless and in the short (COURSE_FAST) mode."""
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import traceback
from pathlib import Path

import pytest

os.environ["COURSE_FAST"] = "1"
os.environ["MPLBACKEND"] = "Agg"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from autograder import build, paths  # noqa: E402
from utils.data import use_offline_cache  # noqa: E402

# Keras reads the course data from the offline copy (../shared/data), never the network.
use_offline_cache()


@pytest.fixture(scope="session")
def assignments() -> list[str]:
    return build.assignment_ids()


@pytest.fixture(scope="session")
def built_course(tmp_path_factory) -> tuple[Path, Path]:
    """A fresh build in a temporary folder: (nbgrader course folder, release folder)."""
    root = tmp_path_factory.mktemp("build")
    course, release = root / "course", root / "release"
    build.build_release(release, course)
    return course, release


@pytest.fixture(scope="session")
def copy_built_course(built_course):
    """`copy(target)`: the session's build copied to `target`, for a test that grades into its own
    gradebook (building again costs about 11 s). Laid out like `build_release(target / "release",
    target)`: the course folder, with the released notebooks in its `release/`."""
    def copy(target: Path) -> Path:
        course, release = built_course
        shutil.copytree(course, target)
        shutil.copytree(release, target / "release", dirs_exist_ok=True)
        return target
    return copy


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """The wheel `pip install` builds from this repository (what Colab installs)."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(paths.ROOT)],
                   check=True, capture_output=True)
    (whl,) = out.glob("*.whl")
    return whl


def _reads_adversarial_class(item) -> bool:
    return "adversarial_class" in item.fixturenames


PROBES = Path(__file__).parent / "probes"   # appended to the sample solutions (see its README)

# Work done by a command of its own in the background from the start of the session, while the rest
# of the suite (mostly one process, often waiting on a subprocess) runs: job -> (the fixture that
# reads its result, its `python -m autograder` arguments given a folder of its own, its niceness).
BACKGROUND = {
    # the suite's longest piece of work and its critical path: every notebook executed three times
    "sample-class": ("graded_class", lambda root: ["sample-class", "--course", root / "course", "--release",
                                                   root / "release", "--probes", PROBES], 0),
    # every notebook again under Colab's versions (tests/test_colab.py); niced, so that it takes the
    # cores the rest leaves idle rather than slowing the sample class down
    "colab": ("colab_report", lambda root: ["colab", "--json", root / "colab.json"], 10),
}
_STARTED = pytest.StashKey()   # {job: (process, folder, log)}; stopped at the session's end


def _reads(item, job: str) -> bool:
    return BACKGROUND[job][0] in item.fixturenames


def _waits_for_background(item) -> bool:
    return any(_reads(item, job) for job in BACKGROUND) or _reads_adversarial_class(item)


def pytest_collection_modifyitems(items):
    """The tests that read work done in the background run last, so that the rest of the suite runs
    meanwhile (sort is stable: the order stays within each group)."""
    items.sort(key=_waits_for_background)


def _start(config, job: str) -> None:
    """Start a background job in a process (and process group) of its own."""
    started = config.stash.setdefault(_STARTED, {})
    if job in started:
        return
    _, arguments, niceness = BACKGROUND[job]
    root = config._tmp_path_factory.mktemp(job)
    log = root / f"{job}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "autograder", *map(str, arguments(root))],
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=(lambda: os.nice(niceness)) if niceness else None)
    started[job] = (proc, root, log)


def _stop(config, job: str) -> None:
    proc = config.stash.get(_STARTED, {}).pop(job, (None,))[0]
    if proc is not None and proc.poll() is None:   # stop it and everything it started
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def pytest_sessionstart(session):
    """A run of the whole suite (no paths given, as `./run.sh test`) starts the background jobs
    before collecting, which takes about 8 s on one core while the other would sit idle. A job no
    selected test reads (e.g. `-k` chose others) is stopped again after collection."""
    config = session.config
    if config.args_source == pytest.Config.ArgsSource.TESTPATHS and not config.option.collectonly:
        for job in BACKGROUND:
            _start(config, job)


def pytest_collection_finish(session):
    for job in list(session.config.stash.get(_STARTED, {})):
        if not any(_reads(item, job) for item in session.items):
            _stop(session.config, job)


def pytest_sessionfinish(session):
    for job in list(session.config.stash.get(_STARTED, {})):   # still running if the session ended early
        _stop(session.config, job)


@pytest.fixture(scope="session", autouse=True)
def _background_jobs(request):
    """The background jobs a collected test needs, started now if the session did not start them."""
    for job in BACKGROUND:
        if any(_reads(item, job) for item in request.session.items):
            _start(request.config, job)
    return request.config.stash.get(_STARTED, {})


def _finished(background: dict, job: str) -> Path:
    """Wait for a background job; its folder, or the test fails with the end of its log."""
    proc, root, log = background[job]
    if proc.wait() != 0:
        pytest.fail(f"{job} failed (exit {proc.returncode}):\n" + log.read_text(errors="replace")[-4000:],
                    pytrace=False)
    return root


@pytest.fixture(scope="session")
def graded_class(_background_jobs):
    """The sample class autograded end to end in a temporary course folder, by the same command as
    `./run.sh course`: (course folder, {(assignment, student): grade.Score})."""
    from autograder import grade
    course = _finished(_background_jobs, "sample-class") / "course"
    rows = grade.scores(course, build.assignment_ids(graded=True))
    return course, {(r.assignment, r.student): r for r in rows}


@pytest.fixture(scope="session")
def colab_report(_background_jobs) -> dict:
    """What `python -m autograder colab` found: every notebook run under Colab's versions
    (autograder/colab_check.py)."""
    import json
    return json.loads((_finished(_background_jobs, "colab") / "colab.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def solution_facts(graded_class):
    """`solution_facts(assignment)`: the `facts` that tests/probes/<assignment>.py computed at the
    end of the sample solution's graded run (the notebook's experiments, as the grader ran them)."""
    import nbformat

    from autograder.grade_class import results_path
    from autograder.sample_class import probed_facts
    course, _ = graded_class

    def read(assignment: str) -> dict:
        return probed_facts(nbformat.read(results_path(course, assignment, "sample-solution"), as_version=4))
    return read


# ---- the adversarial class (autograder/adversarial.py), graded in the background too ------------

ADVERSARIAL_LIMITS = {"cell_timeout": 10, "notebook_timeout": 60}   # short, so that loops end quickly


def _grade_adversarial_class(submissions: Path, course: Path, conn) -> None:
    """In a process of its own (and its own process group, so that it can be stopped with all
    it started): grade the class and send back the results, or the traceback."""
    os.setsid()
    from autograder import adversarial, grade_class, sandbox
    try:
        results = grade_class.grade_class(adversarial.ASSIGNMENT, submissions, course, workers=2,
                                          limits=sandbox.Limits(**ADVERSARIAL_LIMITS), progress=False)
        conn.send(("ok", results))
    except BaseException:
        conn.send(("error", traceback.format_exc()))


@pytest.fixture(scope="session", autouse=True)
def _adversarial_class_in_background(request, tmp_path_factory, _background_jobs):
    """Start grading the adversarial class at the start of the session when a collected test needs
    it: most of its minute is spent waiting for the loops and sleeps to hit their limits, which the
    rest of the suite need not wait for. (After the sample class has started: this one first builds
    the course, 11 s, and the sample class is the session's critical path.)"""
    from autograder import adversarial, sandbox
    # without bubblewrap the escape attempts would run uncontained: `adversarial_class` fails instead
    if not sandbox.bwrap() or not any(map(_reads_adversarial_class, request.session.items)):
        yield None
        return
    root = tmp_path_factory.mktemp("adversarial")
    course = request.getfixturevalue("copy_built_course")(root / "course")
    expected = adversarial.write_class(root / "submissions", course, course / "release")
    guarded = [course / "source" / adversarial.ASSIGNMENT / f"{adversarial.ASSIGNMENT}.ipynb"]
    before = {p: p.read_bytes() for p in guarded}
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_grade_adversarial_class, args=(root / "submissions", course, send))
    proc.start()
    send.close()
    yield proc, receive, course, expected, before
    if proc.is_alive():   # the session ended early: stop it and its pool
        os.killpg(proc.pid, signal.SIGKILL)
    proc.join()


@pytest.fixture(scope="session")
def adversarial_class(_adversarial_class_in_background):
    """(course folder, {student: adversarial.Expected}, {student: grade_class.StudentResult},
    {guarded file: its bytes before grading}), the class graded in one run with honest students."""
    from autograder import sandbox
    assert sandbox.bwrap(), "bubblewrap is required for containment (./run.sh installs it)"
    proc, receive, course, expected, before = _adversarial_class_in_background
    try:
        status, payload = receive.recv()
    except EOFError:
        proc.join()
        pytest.fail(f"grading the adversarial class died (exit {proc.exitcode})", pytrace=False)
    if status != "ok":
        pytest.fail(f"grading the adversarial class failed:\n{payload}", pytrace=False)
    return course, expected, {r.student: r for r in payload}, before
