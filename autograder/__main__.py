"""Instructor commands.

    python -m autograder build          # source/ -> build/course (nbgrader) -> release/
    python -m autograder publish DIR [--repository github.com/OWNER/NAME] [--ref REF]
                                        # the public student repository (release notebooks, utils) into DIR
    python -m autograder sample-class [--only ASSIGNMENT ...] [--course DIR] [--release DIR] [--probes DIR]
                                        # build, then autograde the bundled sample class

The semester loop with an LMS (README "A semester through Canvas or Moodle"):
    python -m autograder roster EXPORT.csv [--assignment A]   # the class list from Canvas or Moodle
    python -m autograder grade ASSIGNMENT SUBMISSIONS [--times FILE] [--assign KEY=ID] [--unmatched stop|skip|grade]
                               [--executor local|dask|tcp://...] [--workers N]
    python -m autograder regrade ASSIGNMENT [--student ID ...]  # again, from what intake kept
    python -m autograder export-grades canvas|moodle [ASSIGNMENT ...]
    python -m autograder export-feedback canvas|moodle ASSIGNMENT
    python -m autograder similarity ASSIGNMENT [--course C]   # reports/ASSIGNMENT-similarity.html
"""
from __future__ import annotations

import argparse
import concurrent.futures as cf
import threading
import time
from pathlib import Path

from tqdm.auto import tqdm

from . import build, executors, grade, grade_class, intake, paths, roster, sample_class
from .roster import RosterError


def run_sample_class(course: Path = paths.SAMPLE_COURSE, release_dir: Path = paths.RELEASE,
                     only: list[str] | None = None, probes: Path | None = None) -> list[grade.Score]:
    """Build the release, then grade the bundled sample class (or only the assignments in `only`)
    and print the score table. `probes`: a folder of `<assignment>.py` files, each appended to that
    assignment's sample solution (sample_class.probe_cell; the test suite reads what they print)."""
    t0 = time.perf_counter()
    assignments = build.assignment_ids(graded=True)    # an ungraded notebook has no sample class
    ungraded = set(only or ()) & set(build.assignment_ids(graded=False))
    if ungraded:
        raise SystemExit(f"{sorted(ungraded)} not graded for points (graded: false in course.yml): no sample class")
    unknown = set(only or ()) - set(assignments)
    if unknown:
        raise SystemExit(f"unknown assignment(s) {sorted(unknown)}; course.yml has {assignments}")
    from utils.data import use_offline_cache
    use_offline_cache()   # as `grade` does: the verdict workers regenerate cases that may load real data
    for path in build.build_release(release_dir, course):
        print(f"released {path}")
    assignments = [a for a in assignments if not only or a in only]
    incoming = course / "sample_submissions"
    sample_class.roster().save(course)   # (names in the formgrader, as a real class has)
    for a in assignments:
        probe = probes / f"{a}.py" if probes else None
        sample_class.write_submissions(incoming, a, course, release_dir,
                                       probe=probe.read_text(encoding="utf-8") if probe and probe.exists() else None)
    # All assignments at once, sharing one pool: a few submissions per assignment would leave
    # workers idle at the end of each one. grade_class's single writer takes its turn at the
    # gradebook under the course folder's lock. The pool runs notebooks in the order they are
    # queued, so the last assignments go first: they train more (01-03 take 2-8 s a notebook
    # here, 04-10 up to 48 s), and the short ones, not one worker on a long notebook, end the
    # run. Each class is queued before the next one starts.
    print(f"grading {len(assignments)} assignments x {len(sample_class.STUDENTS)} submissions ...", flush=True)
    pool, close = executors.make_executor("local")
    try:
        with cf.ThreadPoolExecutor(max_workers=len(assignments)) as threads:
            futures = []
            for a in reversed(assignments):
                queued = threading.Event()
                fut = threads.submit(grade_class.grade_class, a, incoming, course, executor=pool,
                                     progress=False, queued=queued)
                fut.add_done_callback(lambda _, queued=queued: queued.set())   # (it failed first)
                futures.append(fut)
                queued.wait()
            for fut in tqdm(cf.as_completed(futures), total=len(futures), desc="assignments graded", unit="a"):
                fut.result()
    finally:
        close()
    csv = grade.export_csv(course)
    rows = grade.scores(course, assignments)
    print()
    print(grade.format_table(rows))
    print(f"\ngradebook: {course / 'gradebook.db'}\nCSV: {csv}\nfeedback: {course / 'feedback'}/")
    print(f"done in {time.perf_counter() - t0:.1f} s")
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="source/ -> release/")
    pu = sub.add_parser("publish", help="write the public student repository (release notebooks, utils, README) "
                                        "to DIR, outside this repository")
    pu.add_argument("dest", type=Path, metavar="DIR")
    pu.add_argument("--repository", help="HOST/OWNER/NAME it is pushed to, on GitHub (default: course.yml's)")
    pu.add_argument("--ref", help="the branch or tag the badges and setup cells use (default: course.yml's)")
    e = sub.add_parser("expected", help="recompute the visible checks' stored reference values "
                                        "(utils/checks/expected/) from the solutions")
    e.add_argument("--only", nargs="+", metavar="ASSIGNMENT", help="only these assignments' values")
    s = sub.add_parser("sample-class", help="build, then grade the bundled sample class")
    s.add_argument("--only", nargs="+", metavar="ASSIGNMENT", help="grade only these assignments")
    s.add_argument("--course", type=Path, default=paths.SAMPLE_COURSE,
                   help="nbgrader course folder to build and grade in (default build/sample-course)")
    s.add_argument("--release", type=Path, default=paths.RELEASE,
                   help="where the student notebooks are written (default release/)")
    s.add_argument("--probes", type=Path, help="folder of <assignment>.py cells to append to the sample solutions"
                   " (the test suite's tests/probes)")
    g = sub.add_parser("grade", help="grade a class's submissions of one assignment")
    g.add_argument("assignment")
    g.add_argument("submissions", help="an LMS zip (Canvas, Moodle), nbgrader's submitted/, a folder per "
                                       "student or a flat folder (see autograder/intake.py)")
    g.add_argument("--id-pattern", help="regex with a `student` group taking the id from a file name "
                                        "(flat folders; default: the name without the assignment id)")
    g.add_argument("--times", type=Path, help="submission times: a Moodle grading worksheet, or a CSV "
                                              "with columns student,submitted_at")
    g.add_argument("--assign", action="append", default=[], metavar="KEY=ID",
                   help="whose a file is, as the intake error quotes KEY (repeatable)")
    g.add_argument("--unmatched", choices=("stop", "skip", "grade"), default="stop",
                   help="files naming no student of the roster: stop (default), skip them, or grade them")
    r = sub.add_parser("regrade", help="grade an assignment again from what intake kept (no zip needed)")
    r.add_argument("assignment")
    r.add_argument("--student", action="append", metavar="ID", help="only this student (repeatable)")
    for p in (g, r):
        p.add_argument("--course", help="nbgrader course folder (default build/course)")
        p.add_argument("--executor", default="local",
                       help="local (process pool), dask (a local Dask cluster), or a deployed Dask cluster: its "
                            "scheduler address (tcp://host:8786) or scheduler file (.json)")
        p.add_argument("--workers", type=int, help="parallel workers (default: the number of cores)")
    ro = sub.add_parser("roster", help="import the class list from an LMS export into the course's roster.csv")
    ro.add_argument("export", type=Path, help="Canvas gradebook export, Moodle grading worksheet or "
                                              "participants CSV")
    ro.add_argument("--assignment", help="the assignment a Moodle grading worksheet belongs to (its "
                                         "participant ids are per assignment)")
    ro.add_argument("--course", type=Path, default=paths.NBGRADER_COURSE)
    for name, what in (("export-grades", "grade import files"), ("export-feedback", "the feedback bundle")):
        x = sub.add_parser(name, help=f"write {what} for Canvas or Moodle")
        x.add_argument("lms", choices=("canvas", "moodle"))
        x.add_argument("assignments", nargs="*" if name == "export-grades" else 1, metavar="ASSIGNMENT",
                       help="default: every graded assignment" if name == "export-grades" else None)
        x.add_argument("--course", type=Path, default=paths.NBGRADER_COURSE)
        x.add_argument("--out", type=Path, help="folder to write to (default <course>/exports)")
    c = sub.add_parser("colab", help="run every notebook as a student with correct answers, under Colab's "
                                     "package versions (course/colab-constraints.txt)")
    c.add_argument("--only", nargs="+", metavar="ASSIGNMENT", help="only these notebooks")
    c.add_argument("--json", type=Path, help="write what was found there (then exit 0 once written: "
                                             "the test suite judges it)")
    si = sub.add_parser("similarity", help="the similarity and integrity report of one assignment "
                                            "(<course>/reports/ASSIGNMENT-similarity.html): evidence, not a penalty")
    si.add_argument("assignment")
    si.add_argument("--course", type=Path, default=paths.NBGRADER_COURSE)
    args = parser.parse_args(argv)
    if args.command == "colab":
        from . import colab_check
        if not all(run.ok for run in colab_check.main(args.only, args.json)) and not args.json:
            raise SystemExit(1)
    elif args.command == "build":
        build.main()
    elif args.command == "similarity":
        from . import similarity
        similarity.main(args.assignment, args.course)
    elif args.command == "publish":
        from . import publish
        publish.main(args.dest, args.repository, args.ref)
    elif args.command == "expected":
        from utils.data import use_offline_cache
        from . import references
        use_offline_cache()
        for path in references.write_expected(args.only or build.assignment_ids(graded=True), every=not args.only):
            print(f"wrote {path.relative_to(paths.ROOT)}")
    elif args.command == "sample-class":
        run_sample_class(args.course, args.release, only=args.only, probes=args.probes)
    elif args.command in ("grade", "regrade"):
        options = {} if args.command == "regrade" else dict(
            id_pattern=args.id_pattern, times=args.times, unmatched=args.unmatched,
            assign=dict(_key_value(a) for a in args.assign))
        try:
            grade_class.main(args.assignment, getattr(args, "submissions", None), args.course, args.executor,
                             args.workers, getattr(args, "student", None), **options)
        except (intake.IntakeError, RosterError) as exc:   # the input, not the grader: say what to do
            raise SystemExit(f"intake stopped: {exc}") from None
        except Exception as exc:   # the grader itself broke (not a student): say so, exit non-zero
            raise SystemExit(f"grading failed: {type(exc).__name__}: {exc}") from exc
    elif args.command == "roster":
        try:
            print(roster.import_export(args.export, args.course, args.assignment)[1])
        except RosterError as exc:
            raise SystemExit(f"roster import stopped: {exc}") from None
    else:
        assignments = args.assignments or build.assignment_ids(graded=True)
        out = args.out or args.course / "exports"
        if args.command == "export-grades":
            paths_written = grade.export_lms_grades(args.course, assignments, args.lms, out)
        else:
            paths_written = [grade.export_lms_feedback(args.course, assignments[0], args.lms, out)]
        for p in paths_written:
            print(f"wrote {p}")


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.rpartition("=")
    if not sep or not key or not value:
        raise SystemExit(f"--assign {text!r}: give KEY=ID")
    return key, value

if __name__ == "__main__":
    main()
