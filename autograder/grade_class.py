"""Grade a whole class: intake, repair, sandboxed parallel execution, verdicts, then nbgrader.

    python -m autograder grade 01_perceptron SUBMISSIONS [--executor local|dask|tcp://host:8786|scheduler.json]
    python -m autograder regrade 01_perceptron [--student ID]

1. `intake` finds one notebook per student (LMS zips, nbgrader's submitted/, Colab downloads),
   matched to the roster, with a fate for every file; `archive` keeps them and the report in the
   course folder (a regrade starts here);
2. `repair` matches it to the assignment and rebuilds it as an untouched notebook with the
   student's answers (or says why it cannot);
3. workers (any `concurrent.futures.Executor`: a local process pool by default, or a Dask cluster:
   `executors`)
   run each notebook in a `sandbox` and judge the evidence in their own clean process (`verdict`);
4. one thread of this process alone writes the course folder (with the submission time and the
   student's extension, for nbgrader's late penalty) and has nbgrader autograde each result and
   write its feedback as it arrives (one gradebook writer); then the CSV export and a summary per
   exercise.
"""
from __future__ import annotations

import atexit
import collections
import concurrent.futures as cf
import datetime as dt
import fcntl
import functools
import html
import json
import multiprocessing.util
import queue
import re
import secrets
import shutil
import threading
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from tqdm.auto import tqdm

from . import build, grade, intake, paths, repair, sandbox
from .executors import make_executor, pool_size
from .sanitize import inert
from .verdict import CellVerdict, judge_notebook


class GradingBroke(RuntimeError):
    """The grader itself failed (not a student's notebook): the run must exit non-zero."""


@dataclass
class StudentResult:
    student: str
    verdicts: list[CellVerdict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)   # repairs and problems, shown in the feedback
    problem: str = ""                                # why nothing could be graded, if so
    seconds: float = 0.0
    submitted_at: dt.datetime | None = None          # when it was submitted, where the input says
    late_marker: bool = False                        # the LMS marked it late, with no time
    secret: str = ""                                 # nbgrader's submission secret, if it came with one

    @property
    def score(self) -> float:
        return sum(v.points for v in self.verdicts if v.passed)


# ---- the worker: runs anywhere the course is installed (a pool process, a Dask worker) ----------

@functools.lru_cache(maxsize=4)
def _hidden_inputs(assignment: str) -> str:
    from .hidden_inputs import hidden_inputs
    return hidden_inputs(assignment)


_ready = threading.local()   # per worker thread: the sandbox started for its next notebook


def _discard_ready() -> None:
    box, _ready.box = getattr(_ready, "box", None), None
    if box is not None:
        box.close()


atexit.register(_discard_ready)
multiprocessing.util.Finalize(None, _discard_ready, exitpriority=10)   # (pool workers skip atexit)


def _take_sandbox(limits: sandbox.Limits) -> sandbox.Sandbox:
    """The sandbox started ahead for these limits, if it is still alive; else a new one."""
    box = getattr(_ready, "box", None)
    if box is not None and box.limits == limits and box.alive():
        _ready.box = None
        return box
    _discard_ready()
    return sandbox.Sandbox(limits)


def execute_and_judge(assignment: str, notebook_json: str, limits: dict, prestart: bool = True) -> dict:
    """Run one rebuilt notebook in a sandbox and judge it. Returns plain data (picklable).
    With `prestart`, the sandbox for this worker's next notebook starts while this one runs.
    Whatever the student's kernel does, this returns that student's result: a failure here that is
    not the grader's own is caught and reported in their row."""
    nb = nbformat.reads(notebook_json, as_version=4)
    lim = sandbox.Limits(**limits)
    box = _take_sandbox(lim)
    try:
        if prestart:
            _ready.box = sandbox.Sandbox(lim)
        run = box.run(nb, _hidden_inputs(assignment))
    finally:
        box.close()
    cells, executed = run["cells"], run["notebook"]
    try:
        verdicts = judge_notebook(executed, cells, stopped=run["message"])
        notebook = nbformat.writes(executed)
    except Exception as exc:   # what the kernel sent broke the judging: this student's problem
        reason = f"the notebook's results could not be read ({type(exc).__name__})"
        verdicts = judge_notebook(nb, [], stopped=reason)
        notebook, run["message"] = nbformat.writes(nb), reason
    problems = sorted({c["error"] for c in cells if c["status"] in ("timeout", "died", "not run")})
    answers = {i: c.metadata["nbgrader"]["grade_id"] for i, c in enumerate(executed.cells)
               if c.get("metadata", {}).get("nbgrader", {}).get("solution")}
    problems += [f"answer cell `{answers[c['index']]}` raised {c['error']}" for c in cells
                 if c["status"] == "error" and c["index"] in answers]
    if run["message"]:
        problems.append(run["message"])
    return {"notebook": notebook, "verdicts": [asdict(v) for v in verdicts],
            "problems": problems, "seconds": run["seconds"], "contained": run["contained"]}


# ---- the class -------------------------------------------------------------------------------

def ensure_course(course: Path, assignment: str) -> None:
    """Build the nbgrader course folder (gradebook, source, release) if it lacks the assignment; its
    config is renewed every time (a repository updated mid-semester brings its own)."""
    if not (course / "release" / assignment / f"{assignment}.ipynb").exists():
        build.build_release(course / "release", course)
    else:
        build.write_course_config(course)


def _notes_cell(lines: list[str]):
    # The lines quote file names and error messages: escaped, in one HTML block (one line), where
    # no markdown forms a link or an image either; their `code` spans stay code.
    def item(line: str) -> str:
        text = "<br>".join(html.escape(line).splitlines())
        return "<li>" + re.sub(r"`([^`]*)`", r"<code>\1</code>", text) + "</li>"
    items = "".join(map(item, lines))
    cell = nbformat.v4.new_markdown_cell("<p><strong>Grader notes</strong> (how your notebook was read "
                                         f"before grading):</p><ul>{items}</ul>")
    cell["id"] = "grader-notes"
    return cell


def grade_class(assignment: str, submissions: Path, course: Path = paths.NBGRADER_COURSE, *,
                id_pattern: str | None = None, assign: dict[str, str] | None = None,
                unmatched: str = "stop", times: Path | None = None, progress: bool = True,
                **grading) -> list[StudentResult]:
    """Take in the submissions of `assignment` found in `submissions` (a folder or zip, in any shape
    `intake` knows), keep them and the intake report in the course folder (`archive`), and grade
    them. With a roster in the course folder every file must name one of its students (`assign`,
    `unmatched`: see intake.collect). `times`: a file of submission times (lms.read_times).
    `grading`: see grade_submissions."""
    from . import archive, lms
    from .roster import Roster
    _check_graded(assignment)
    course = Path(course).resolve()   # (nbgrader runs in the course folder: a relative path would miss)
    _check_not_own_output(Path(submissions), course)
    roster = Roster.load(course)
    stamps = lms.read_times(Path(times), assignment, roster) if times else None
    taken = intake.collect(Path(submissions), assignment, id_pattern, roster, assign, unmatched, stamps)
    if not taken.submissions:
        raise SystemExit(f"no submissions for {assignment} found in {submissions}\n{taken.summary()}")
    report = archive.save(course, assignment, taken)
    if progress:
        print("\n".join(filter(None, [taken.summary(), taken.details(), f"intake report: {report}"])), flush=True)
    return grade_submissions(assignment, taken.submissions, course, progress=progress, **grading)


def regrade(assignment: str, course: Path = paths.NBGRADER_COURSE, students: list[str] | None = None,
            **grading) -> list[StudentResult]:
    """Grade again what intake kept for `assignment` (only `students` if given), e.g. after a hidden
    check was fixed: no zip needed; times, lateness, the intake report and hand grades are kept."""
    from . import archive
    _check_graded(assignment)
    course = Path(course).resolve()
    return grade_submissions(assignment, archive.load(course, assignment, students), course, **grading)


def _check_not_own_output(submissions: Path, course: Path) -> None:
    """The course's own `submitted/` is what this grader writes (each notebook rebuilt, sanitised, with
    its notes): taking it in again would grade the grader's output. nbgrader's collect can write
    elsewhere."""
    own = course / "submitted"
    where = submissions.resolve()
    if where == own or own in where.parents:
        raise SystemExit(
            f"{submissions} is this course's own submitted/ folder, which the grader rewrites. On a "
            "JupyterHub, grade the exchange's inbound in place: python -m autograder grade ASSIGNMENT "
            "EXCHANGE/COURSE_ID/inbound (README, step 2). Or collect into a folder of its own and grade "
            f"that: (in {course}) nbgrader collect ASSIGNMENT --CourseDirectory.submitted_directory=collected, "
            f"then python -m autograder grade ASSIGNMENT {course / 'collected'}")


def _check_graded(assignment: str) -> None:
    if assignment in build.assignment_ids(graded=False):
        raise SystemExit(f"{assignment} is not graded for points (graded: false in course.yml): nothing to grade")
    if assignment not in build.assignment_ids(graded=True):
        raise SystemExit(f"unknown assignment {assignment!r}; course.yml has {build.assignment_ids(graded=True)}")


def grade_submissions(assignment: str, subs: list[intake.Submission], course: Path = paths.NBGRADER_COURSE, *,
                      executor: str | cf.Executor = "local", workers: int | None = None,
                      limits: sandbox.Limits = sandbox.Limits(), progress: bool = True,
                      queued: threading.Event | None = None) -> list[StudentResult]:
    """Grade `subs` into the course folder. `queued`, if given, is set once every notebook is
    queued on the executor."""
    from .roster import Roster
    course = Path(course).resolve()
    ensure_course(course, assignment)
    release_nb = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    template = grading_template(release_nb, nbformat.read(
        course / "source" / assignment / f"{assignment}.ipynb", as_version=4))
    roster = Roster.load(course)

    results: dict[str, StudentResult] = {}
    jobs: dict[str, str] = {}
    submitted: dict[str, object] = {}   # student -> their answers in the release notebook
    writer = GradebookWriter(course, assignment, template, roster)
    for sub in subs:
        res = results[sub.student] = StudentResult(sub.student, submitted_at=sub.submitted_at,
                                                   late_marker=sub.late_marker, secret=sub.secret)
        res.notes += writer.header_notes(sub)
        try:
            if sub.problem:
                raise repair.Unmatchable(sub.problem)
            try:
                rep = repair.repair(repair.read_submission(sub.raw, sub.name), release_nb)
            except repair.Unmatchable:
                raise
            except Exception as exc:   # a parser met a file no one foresaw: this student's problem only
                raise repair.Unmatchable(f"the file could not be read ({type(exc).__name__})") from None
        except repair.Unmatchable as exc:
            res.problem = str(exc)
            res.notes.append(f"Not graded: {exc}.")
            writer.record(res, release_nb, None)
            continue
        res.notes += rep.log
        jobs[sub.student] = nbformat.writes(repair.assemble(template, rep))
        submitted[sub.student] = repair.assemble(release_nb, rep)

    own_pool = isinstance(executor, str)
    pool, close = make_executor(executor, workers) if own_pool else (executor, lambda: None)
    try:
        # The last notebooks of a pool of our own start no sandbox for a next one (none will come:
        # a kernel started and warmed for nothing, per worker and class)
        last = len(jobs) - pool_size(workers) if own_pool and executor == "local" else len(jobs)
        futures = {pool.submit(execute_and_judge, assignment, nb_json, asdict(limits), i < last): student
                   for i, (student, nb_json) in enumerate(jobs.items())}
        if queued is not None:
            queued.set()
        bar = tqdm(total=len(futures), desc=f"grading {assignment}", unit="nb", disable=not progress)
        broken: list[str] = []   # the grader's own failures: the others are still graded
        for fut in cf.as_completed(futures):
            student = futures[fut]
            res = results[student]
            try:
                out = fut.result()
                graded = nbformat.reads(out["notebook"], as_version=4)
            except Exception as exc:
                res.problem = f"the grader failed on this notebook ({type(exc).__name__}: {exc})"[:500]
                res.notes.append(f"Not graded: {res.problem}.")
                broken.append(f"{student}: {exc!r}")
                writer.record(res, submitted[student], None)
            else:
                res.verdicts = [CellVerdict(**v) for v in out["verdicts"]]
                res.notes += out["problems"]
                res.seconds = out["seconds"]
                writer.record(res, submitted[student], graded)
            bar.update()
        bar.close()
    finally:
        close()
        writer.finish()
    if broken:
        raise GradingBroke(f"grading {assignment} failed for {len(broken)} notebook(s); the others were "
                           "graded:\n" + "\n".join(broken)[-3000:])
    return [results[s] for s in sorted(results)]


def grading_template(release_nb, source_nb):
    """The notebook the grader runs: the release notebook (answer cells are the students' stubs, so
    an answer that is missing or unmatched runs as the stub, never as the instructor's cell) with
    each test cell as in the source, hidden test calls included. No solution enters the sandbox."""
    nb = nbformat.from_dict(json.loads(json.dumps(release_nb)))
    tests = {c.get("id"): c for c in source_nb.cells if _is_test(c)}
    for cell in nb.cells:
        if _is_test(cell):
            cell.source = tests[cell.get("id")].source
    return nb


def _is_test(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def _unanswered(template, reason: str):
    """The grading template with every test cell failed for `reason` (a submission not graded)."""
    nb = nbformat.from_dict(json.loads(json.dumps(template)))
    for cell in nb.cells:
        if _is_test(cell):
            cell.outputs = [nbformat.v4.new_output("error", ename="NotGraded", evalue=reason,
                                                   traceback=[f"NotGraded: {reason}"])]
    return nb


RESULTS = "grader_results"   # in the course folder: <assignment>/<student>/<assignment>.ipynb


def results_path(course: Path, assignment: str, student: str) -> Path:
    """A student's executed notebook with its verdicts, which nbgrader autogrades (InjectResults)."""
    return course / RESULTS / assignment / student / f"{assignment}.ipynb"


class GradebookWriter:
    """The single writer of the course folder: each student's submission and results go into it,
    then through nbgrader (autograde, which scores them, and feedback), as soon as they arrive, in
    a thread of this process, while the pool runs the other notebooks. A lock file makes grading
    runs that share a course folder take turns here."""

    def __init__(self, course: Path, assignment: str, template, roster=None):
        from . import lateness
        self.course, self.assignment, self.template, self.roster = course, assignment, template, roster
        self.results_dir = course / RESULTS / assignment
        self.due = lateness.due_date(assignment)
        self.policy = lateness.policy()
        self.errors: list[str] = []
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name=f"gradebook {assignment}", daemon=True)
        self._thread.start()

    def extension(self, student: str) -> dt.timedelta:
        s = self.roster.by_id(student) if self.roster else None
        return s.extension(self.assignment) if s else dt.timedelta(0)

    def submission_time(self, student: str, submitted_at: dt.datetime | None, late_marker: bool) -> dt.datetime | None:
        """The time nbgrader is given (timestamp.txt). A submission the LMS marked late without a
        time counts as late by under a day: one second past the due date and the policy's grace.
        The LMS's mark is against its own due date: for a student with an extension here, the
        grader cannot tell, and counts it on time (the notes say so)."""
        if submitted_at is not None:
            return submitted_at
        if late_marker and self.due is not None and not self.extension(student):
            return self.due + dt.timedelta(minutes=self.policy.grace_minutes, seconds=1)
        return None

    def header_notes(self, sub: intake.Submission) -> list[str]:
        """What the student and the grader should know first: who, which file, when, how late."""
        from .lateness import course_timezone, duration_text
        notes = []
        s = self.roster.by_id(sub.student) if self.roster else None
        if s is not None and s.full_name:
            notes.append(f"Student: {s.full_name} (`{s.id}`).")
        notes.append(f"File graded: `{Path(sub.origin).name}`" + (f" ({sub.note})." if sub.note else "."))
        if self.due is None:
            if sub.late_marker:
                notes.append("The LMS marked this submission late; course.yml gives no due date: no penalty.")
            return notes
        tz, ext = course_timezone(), self.extension(sub.student)
        due = self.due + ext
        due_text = due.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z") + (f" (extension {duration_text(ext.total_seconds())})"
                                                                        if ext else "")
        when = self.submission_time(sub.student, sub.submitted_at, sub.late_marker)
        if when is None:
            notes.append(f"Due {due_text}; " + ("the LMS marked it late against its own due date, and it carries "
                                                "no time: within the extension as far as the grader can tell, so "
                                                "on time." if sub.late_marker else
                                                "the submission carries no time, so it counts as on time."))
            return notes
        late = (when - due).total_seconds()
        if sub.submitted_at is None:
            shown, how_late = "marked late by the LMS, with no time", "counted as late by under a day"
        else:
            shown = f"submitted {when.astimezone(tz).strftime('%Y-%m-%d %H:%M %Z')} ({sub.time_source})"
            how_late = f"{duration_text(late)} late"
        if late <= 0:
            notes.append(f"Due {due_text}; {shown}: on time.")
        else:
            share = self.policy.fraction(late)
            notes.append(f"Due {due_text}; {shown}: {how_late}. Late policy ({self.policy.describe()}): "
                         f"{share * 100:g} % of the score taken off.")
        return notes

    def record(self, res: StudentResult, submitted_nb, graded_nb) -> None:
        """`graded_nb`: the executed notebook with its verdicts, or None when it could not be run."""
        self._queue.put((res, list(res.notes), res.problem, submitted_nb, graded_nb))

    def finish(self) -> None:
        self._queue.put(None)
        self._thread.join()
        if self.errors:   # nothing of the students' can fail here: this is the grader's fault
            raise RuntimeError(f"nbgrader failed on {self.assignment}:\n" + "\n".join(self.errors)[-3000:])

    def _loop(self) -> None:
        with open(self.course / ".grader.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            api = None
            while (item := self._queue.get()) is not None:
                try:
                    if api is None:
                        api = nbgrader_api(self.course, self.results_dir)
                        self._prepare_gradebook()
                    self._write(api, *item)
                except Exception as exc:   # keep recording the others; `finish` reports it
                    self.errors.append(f"{item[0].student}: {exc!r}")

    def _prepare_gradebook(self) -> None:
        """The due date (course.yml) and the roster's names into nbgrader's gradebook."""
        from nbgrader.api import Gradebook

        from .lateness import naive_utc
        with Gradebook(f"sqlite:///{self.course / 'gradebook.db'}") as gb:
            gb.update_or_create_assignment(self.assignment, duedate=naive_utc(self.due) if self.due else None)
        if self.roster is not None:
            self.roster.sync_gradebook(self.course)

    def _write(self, api, res, notes, problem, submitted_nb, graded_nb) -> None:
        from nbgrader.api import Gradebook

        from .lateness import timestamp_text
        student = res.student
        # Results of earlier runs stay: a student graded before keeps their verdicts.
        nb = nbformat.from_dict(json.loads(json.dumps(submitted_nb)))
        done = graded_nb or _unanswered(self.template, problem or "not graded")
        if notes:
            nb.cells.insert(0, _notes_cell(notes))
        # what the formgrader and the feedback render: nothing of the student's can run there
        nb, done = inert(nb, self.template), inert(done, self.template)
        target = self.course / "submitted" / student / self.assignment
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        nbformat.write(nb, target / f"{self.assignment}.ipynb")
        when = self.submission_time(student, res.submitted_at, res.late_marker)
        if when is not None:   # nbgrader reads it, and its late-penalty plugin does the rest
            (target / "timestamp.txt").write_text(timestamp_text(when) + "\n", encoding="utf-8")
        # nbgrader's release_feedback names the feedback it puts in the exchange after this secret
        # (the student's fetch_feedback finds it with the copy it kept) and stops the class at a
        # feedback folder without one: a submission that carried none valid (an LMS zip, a forged
        # file) gets a fresh one, which no student holds (intake noted why)
        secret = res.secret if intake.SECRET_FORM.fullmatch(res.secret.encode()) else secrets.token_hex(64)
        (target / "submission_secret.txt").write_text(secret, encoding="ascii")   # (as nbgrader: no newline)
        with Gradebook(f"sqlite:///{self.course / 'gradebook.db'}") as gb:
            gb.update_or_create_student(student)
            ext = self.extension(student)
            gb.update_or_create_submission(self.assignment, student, extension=ext or None,
                                           timestamp=None)
        path = results_path(self.course, self.assignment, student)
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(done, path)
        self._nbgrader(api.autograde, student)
        if when is None:
            # nbgrader's release_feedback stops the class at a feedback folder without a
            # timestamp.txt (it only logs it); generate_feedback copies the autograded folder's
            # files, so one goes there (never into submitted/, where it would be read as the
            # submission's time): when it was graded
            stamp = self.course / "autograded" / student / self.assignment / "timestamp.txt"
            stamp.write_text(timestamp_text(dt.datetime.now(dt.timezone.utc)) + "\n", encoding="utf-8")
        self._nbgrader(api.generate_feedback, student)

    def _nbgrader(self, step, student: str) -> None:
        out = step(self.assignment, student, force=True)
        if not out["success"]:
            raise RuntimeError(f"{step.__name__}: {out.get('error', '')[-1500:]}")


def nbgrader_api(course: Path, results_dir: Path):
    """nbgrader's API on the course folder, with its config, set to score the grader's results
    (autograder.preprocessors.InjectResults) instead of running student code itself."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.preprocessors import AssignLatePenalties, CheckCellMetadata, LimitOutput, SaveAutoGrades
    from traitlets.config.loader import PyFileConfigLoader

    from .lateness import CoursePolicy
    from .preprocessors import InjectResults
    # nbgrader's own use of SQLAlchemy warns on every new submission (its command line does too)
    warnings.filterwarnings("ignore", message="Object of type <Submitted", module="nbgrader")
    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    cfg.CourseDirectory.root = str(course)
    cfg.Autograde.autograde_preprocessors = [InjectResults, ClearMetadataPreprocessor, LimitOutput,
                                             SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
    cfg.InjectResults.results_dir = str(results_dir)
    cfg.AssignLatePenalties.plugin_class = CoursePolicy   # (also in the course's config)
    return NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)


def unreleasable_feedback(course: Path, assignment: str) -> list[str]:
    """Students whose feedback folder nbgrader's release_feedback would stop the class at: HTML
    without timestamp.txt or submission_secret.txt beside it (graded before the grader kept them)."""
    return sorted({html.parent.parent.name for html in Path(course).glob(f"feedback/*/{assignment}/*.html")
                   if not all((html.parent / f).is_file() for f in ("timestamp.txt", "submission_secret.txt"))})


def summary(results: list[StudentResult]) -> str:
    """Per exercise: mean score, how many failed and why; then per student."""
    by_cell: dict[str, list[CellVerdict]] = collections.defaultdict(list)
    for r in results:
        for v in r.verdicts:
            by_cell[v.grade_id].append(v)
    n = len(results)
    lines = [f"{'test cell':<34}{'points':>7}{'mean':>7}{'failed':>8}  reasons", "-" * 90]
    for gid, vs in by_cell.items():
        pts = vs[0].points
        failed = [v for v in vs if not v.passed] + [None] * (n - len(vs))
        reasons = collections.Counter(v.reason if v else "not graded" for v in failed)
        mean = sum(v.points for v in vs if v.passed) / n
        lines.append(f"{gid:<34}{pts:>7g}{mean:>7.2f}{len(failed):>8}  "
                     + ", ".join(f"{k} {c}" for k, c in reasons.most_common()))
    lines += ["", f"{'student':<28}{'score':>7}  notes", "-" * 90]
    for r in results:
        note = r.problem or "; ".join(r.notes)
        lines.append(f"{r.student:<28}{r.score:>7g}  {note[:140]}")
    return "\n".join(lines)


def main(assignment: str, submissions: str | None, course: str | None, executor: str,
         workers: int | None, students: list[str] | None = None, **intake_options) -> None:
    """`grade` (submissions given) or `regrade` (None: what intake kept)."""
    from utils.data import use_offline_cache
    use_offline_cache()
    t0 = time.perf_counter()
    course_dir = (Path(course) if course else paths.NBGRADER_COURSE).resolve()
    print(f"containment: {sandbox.contained()}")
    if submissions is None:
        results = regrade(assignment, course_dir, students, executor=executor, workers=workers)
    else:
        results = grade_class(assignment, Path(submissions), course_dir, executor=executor,
                              workers=workers, **intake_options)
    print()
    print(summary(results))
    late = [r for r in grade.results(course_dir, [assignment]) if r.late_penalty]
    if late:
        print("\nlate penalties (the scores above are before them): " + ", ".join(
            f"{r.student} -{r.late_penalty:g} -> {r.score:g}" for r in late))
    stale = unreleasable_feedback(course_dir, assignment)
    if stale:
        print(f"\nwarning: nbgrader release_feedback {assignment} would stop at the feedback of {', '.join(stale)} "
              "(graded before the grader kept nbgrader's timestamp.txt and submission_secret.txt): regrade them "
              f"(python -m autograder regrade {assignment} --student ID)")
    csv = grade.export_csv(course_dir)
    print(f"\n{len(results)} submissions graded in {time.perf_counter() - t0:.1f} s")
    print(f"gradebook: {course_dir / 'gradebook.db'}\nCSV: {csv}\nfeedback: {course_dir / 'feedback'}/")
    try:   # (evidence for a person, written with every grading; its failure is no grading failure)
        from .similarity import write_report
        print(f"similarity and integrity report: {write_report(assignment, course_dir)[0]}")
    except Exception as exc:
        print(f"warning: the similarity report could not be written ({type(exc).__name__}: {exc}); "
              f"python -m autograder similarity {assignment} tries again")
