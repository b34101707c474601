"""Instructor commands.

    python -m autograder build          # source/ -> build/course (nbgrader) -> release/
    python -m autograder sample-class [--only ASSIGNMENT ...] [--course DIR] [--release DIR] [--probes DIR]
                                        # build, then autograde the bundled sample class
    python -m autograder grade ASSIGNMENT SUBMISSIONS [--executor local|dask|tcp://...] [--workers N]
                                        # grade a class (see autograder/grade_class.py)
"""
from __future__ import annotations

import argparse
import concurrent.futures as cf
import threading
import time
from pathlib import Path

from tqdm.auto import tqdm

from . import build, grade, grade_class, paths, sample_class


def run_sample_class(course: Path = paths.NBGRADER_COURSE, release_dir: Path = paths.RELEASE,
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
    pool, close = grade_class.make_executor("local")
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
    e = sub.add_parser("expected", help="recompute the visible checks' stored reference values "
                                        "(utils/checks/expected/) from the solutions")
    e.add_argument("--only", nargs="+", metavar="ASSIGNMENT", help="only these assignments' values")
    s = sub.add_parser("sample-class", help="build, then grade the bundled sample class")
    s.add_argument("--only", nargs="+", metavar="ASSIGNMENT", help="grade only these assignments")
    s.add_argument("--course", type=Path, default=paths.NBGRADER_COURSE,
                   help="nbgrader course folder to build and grade in (default build/course)")
    s.add_argument("--release", type=Path, default=paths.RELEASE,
                   help="where the student notebooks are written (default release/)")
    s.add_argument("--probes", type=Path, help="folder of <assignment>.py cells to append to the sample solutions"
                   " (the test suite's tests/probes)")
    g = sub.add_parser("grade", help="grade a class's submissions of one assignment")
    g.add_argument("assignment")
    g.add_argument("submissions", help="nbgrader submitted/ folder, a flat folder or zip, or a folder per student")
    g.add_argument("--course", help="nbgrader course folder (default build/course)")
    g.add_argument("--executor", default="local",
                   help="local (process pool), dask (a local Dask cluster) or a Dask scheduler address")
    g.add_argument("--workers", type=int, help="parallel workers (default: the number of cores)")
    g.add_argument("--id-pattern", default=grade_class.intake.DEFAULT_ID,
                   help="regex with a `student` group taking the id from a file name (flat folders, zips)")
    args = parser.parse_args(argv)
    if args.command == "build":
        build.main()
    elif args.command == "expected":
        from utils.data import use_offline_cache
        from . import references
        use_offline_cache()
        for path in references.write_expected(args.only or build.assignment_ids(graded=True), every=not args.only):
            print(f"wrote {path.relative_to(paths.ROOT)}")
    elif args.command == "sample-class":
        run_sample_class(args.course, args.release, only=args.only, probes=args.probes)
    else:
        try:
            grade_class.main(args.assignment, args.submissions, args.course, args.executor,
                             args.workers, args.id_pattern)
        except Exception as exc:   # the grader itself broke (not a student): say so, exit non-zero
            raise SystemExit(f"grading failed: {type(exc).__name__}: {exc}") from exc


if __name__ == "__main__":
    main()
