"""Grade a whole class: intake, repair, sandboxed parallel execution, verdicts, then nbgrader.

    python -m autograder grade 01_perceptron SUBMISSIONS [--executor local|dask|tcp://host:8786]

1. `intake` finds one notebook per student (nbgrader layout, LMS zip, Colab downloads);
2. `repair` matches it to the assignment and rebuilds it as an untouched notebook with the
   student's answers (or says why it cannot);
3. workers (any `concurrent.futures.Executor`: a local process pool by default, or a Dask cluster)
   run each notebook in a `sandbox` and judge the evidence in their own clean process (`verdict`);
4. this process alone writes the course folder and runs `nbgrader autograde` on the results (one
   gradebook writer), then feedback, the CSV export and a summary per exercise.
"""
from __future__ import annotations

import collections
import concurrent.futures as cf
import fcntl
import json
import multiprocessing
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from tqdm.auto import tqdm

from . import build, grade, intake, paths, repair, sandbox
from .verdict import CellVerdict, judge_notebook


@dataclass
class StudentResult:
    student: str
    verdicts: list[CellVerdict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)   # repairs and problems, shown in the feedback
    problem: str = ""                                # why nothing could be graded, if so
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return sum(v.points for v in self.verdicts if v.passed)


# ---- the worker: runs anywhere the course is installed (a pool process, a Dask worker) ----------

def hidden_module(assignment: str) -> str:
    from . import hidden
    for module, reg in hidden.modules():
        if reg.assignment == assignment:
            return module
    raise KeyError(f"no hidden checks for {assignment}")


def execute_and_judge(assignment: str, notebook_json: str, limits: dict) -> dict:
    """Run one rebuilt notebook in a sandbox and judge it. Returns plain data (picklable)."""
    nb = nbformat.reads(notebook_json, as_version=4)
    lim = sandbox.Limits(**limits)
    job = sandbox.new_job_dir()
    try:
        sandbox.prepare(job, nb, hidden_module(assignment), lim)
        run = sandbox.run(job, lim)
        try:
            cells = json.loads((job / "cells.json").read_text())
            executed = nbformat.read(job / "executed.ipynb", as_version=4)
        except (OSError, ValueError):
            cells, executed = [], nb
        evidence = b""
        if (job / "evidence.jsonl").exists():
            with open(job / "evidence.jsonl", "rb") as f:
                evidence = f.read(lim.max_file_mb << 20)
        verdicts = judge_notebook(executed, cells, evidence, stopped=run["message"])
        problems = sorted({c["error"] for c in cells if c["status"] in ("timeout", "died", "not run")})
        answers = {i: c.metadata["nbgrader"]["grade_id"] for i, c in enumerate(executed.cells)
                   if c.get("metadata", {}).get("nbgrader", {}).get("solution")}
        problems += [f"answer cell `{answers[c['index']]}` raised {c['error']}" for c in cells
                     if c["status"] == "error" and c["index"] in answers]
        if run["status"] != "ok":
            problems.append(run["message"])
        return {"notebook": nbformat.writes(executed), "verdicts": [asdict(v) for v in verdicts],
                "problems": problems, "seconds": run["seconds"], "contained": run["contained"]}
    finally:
        shutil.rmtree(job, ignore_errors=True)


# ---- executors -------------------------------------------------------------------------------

def make_executor(spec: str = "local", workers: int | None = None) -> tuple[cf.Executor, callable]:
    """(executor, close). `local`: a process pool sized to the cores; `dask`: a Dask LocalCluster;
    an address such as `tcp://scheduler:8786`: an existing Dask cluster whose workers have the
    course installed at the same version."""
    workers = workers or os.cpu_count() or 1
    if spec == "local":
        pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
        return pool, pool.shutdown
    from dask.distributed import Client, LocalCluster
    if spec == "dask":
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)

        def close():
            client.close()
            cluster.close()
        return client.get_executor(), close
    client = Client(spec)
    return client.get_executor(), client.close


# ---- the class -------------------------------------------------------------------------------

def ensure_course(course: Path, assignment: str) -> None:
    """Build the nbgrader course folder (gradebook, source, release) if it lacks the assignment."""
    if not (course / "release" / assignment / f"{assignment}.ipynb").exists():
        build.build_release(course / "release", course)


def _notes_cell(lines: list[str]):
    text = "**Grader notes** (how your notebook was read before grading):\n\n" + \
           "\n".join(f"- {line}" for line in lines)
    cell = nbformat.v4.new_markdown_cell(text)
    cell["id"] = "grader-notes"
    return cell


def grade_class(assignment: str, submissions: Path, course: Path = paths.NBGRADER_COURSE, *,
                executor: str | cf.Executor = "local", workers: int | None = None,
                limits: sandbox.Limits = sandbox.Limits(), id_pattern: str = intake.DEFAULT_ID,
                progress: bool = True) -> list[StudentResult]:
    if assignment in build.assignment_ids(graded=False):
        raise SystemExit(f"{assignment} is not graded for points (graded: false in course.yml): nothing to grade")
    ensure_course(course, assignment)
    release_nb = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    source_nb = nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    subs = intake.collect(Path(submissions), assignment, id_pattern)
    if not subs:
        raise SystemExit(f"no submissions for {assignment} found in {submissions}")

    results: dict[str, StudentResult] = {}
    student_nbs: dict[str, object] = {}
    jobs: dict[str, str] = {}
    for sub in subs:
        res = results[sub.student] = StudentResult(sub.student)
        if sub.note:
            res.notes.append(sub.note)
        try:
            rep = repair.repair(repair.read_submission(sub.raw), release_nb)
        except repair.Unmatchable as exc:
            res.problem = str(exc)
            res.notes.append(f"Not graded: {exc}.")
            student_nbs[sub.student] = release_nb
            continue
        res.notes += rep.log
        student_nbs[sub.student] = repair.assemble(release_nb, rep)
        jobs[sub.student] = nbformat.writes(repair.assemble(source_nb, rep))

    graded: dict[str, object] = {}
    own_pool = isinstance(executor, str)
    pool, close = make_executor(executor, workers) if own_pool else (executor, lambda: None)
    try:
        futures = {pool.submit(execute_and_judge, assignment, nb_json, asdict(limits)): student
                   for student, nb_json in jobs.items()}
        bar = tqdm(total=len(futures), desc=f"grading {assignment}", unit="nb", disable=not progress)
        for fut in cf.as_completed(futures):
            student = futures[fut]
            out = fut.result()   # a failure here is the grader's own: let it stop the run
            res = results[student]
            res.verdicts = [CellVerdict(**v) for v in out["verdicts"]]
            res.notes += out["problems"]
            res.seconds = out["seconds"]
            graded[student] = nbformat.reads(out["notebook"], as_version=4)
            bar.update()
        bar.close()
    finally:
        close()

    _write_course(course, assignment, results, student_nbs, graded, source_nb)
    return [results[s] for s in sorted(results)]


def _unanswered(source_nb, reason: str):
    """The source notebook with every test cell failed for `reason` (a submission not graded)."""
    nb = nbformat.from_dict(json.loads(json.dumps(source_nb)))
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            cell.outputs = [nbformat.v4.new_output("error", ename="NotGraded", evalue=reason,
                                                   traceback=[f"NotGraded: {reason}"])]
    return nb


def _write_course(course, assignment, results, student_nbs, graded, source_nb) -> None:
    """The single writer: submissions and results into the course folder, then nbgrader.
    A lock file makes grading runs that share a course folder take turns here."""
    with open(course / ".grader.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _write_course_locked(course, assignment, results, student_nbs, graded, source_nb)


def _write_course_locked(course, assignment, results, student_nbs, graded, source_nb) -> None:
    # Results of earlier runs stay: nbgrader regrades every submission in the folder, and a student
    # graded before must keep their verdicts.
    results_dir = course / "grader_results" / assignment
    for student, res in results.items():
        nb = nbformat.from_dict(json.loads(json.dumps(student_nbs[student])))
        done = graded.get(student) or _unanswered(source_nb, res.problem or "not graded")
        if res.notes:
            nb.cells.insert(0, _notes_cell(res.notes))
        target = course / "submitted" / student / assignment
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        nbformat.write(nb, target / f"{assignment}.ipynb")
        (results_dir / student).mkdir(parents=True, exist_ok=True)
        nbformat.write(done, results_dir / student / f"{assignment}.ipynb")
    env = {**grade.grading_env(), "COURSE_GRADER_RESULTS": str(results_dir)}
    proc = build.nbgrader("autograde", assignment, "--force", cwd=course, env=env, check=False)
    if proc.returncode != 0:   # nothing of the students' can fail here: this is the grader's fault
        raise RuntimeError(f"nbgrader autograde {assignment} failed:\n{proc.stderr[-3000:]}")
    build.nbgrader("generate_feedback", assignment, "--force", cwd=course)


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


def main(assignment: str, submissions: str, course: str | None, executor: str, workers: int | None,
         id_pattern: str) -> None:
    from utils.data import use_offline_cache
    use_offline_cache()
    t0 = time.perf_counter()
    course_dir = Path(course) if course else paths.NBGRADER_COURSE
    print(f"containment: {sandbox.contained()}")
    results = grade_class(assignment, Path(submissions), course_dir, executor=executor,
                          workers=workers, id_pattern=id_pattern)
    print()
    print(summary(results))
    csv = grade.export_csv(course_dir)
    print(f"\n{len(results)} submissions graded in {time.perf_counter() - t0:.1f} s")
    print(f"gradebook: {course_dir / 'gradebook.db'}\nCSV: {csv}\nfeedback: {course_dir / 'feedback'}/")
