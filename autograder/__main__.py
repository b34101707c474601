"""Instructor commands.

    python -m autograder build          # source/ -> build/course (nbgrader) -> release/
    python -m autograder sample-class   # build, then autograde the bundled sample class
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from . import build, grade, paths, sample_class


def run_sample_class(course: Path = paths.NBGRADER_COURSE, release_dir: Path = paths.RELEASE) -> list[grade.Score]:
    """Build the release, then autograde the bundled sample class and print the score table."""
    t0 = time.perf_counter()
    for path in build.build_release(release_dir, course):
        print(f"released {path}")
    assignments = build.assignment_ids()
    for a in assignments:
        sample_class.write_submissions(course, a, release_dir)
        print(f"autograding {a} ({len(sample_class.STUDENTS)} submissions) ...", flush=True)
        grade.autograde(course, a)
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
    parser.add_argument("command", choices=["build", "sample-class"])
    args = parser.parse_args(argv)
    if args.command == "build":
        build.main()
    else:
        run_sample_class()


if __name__ == "__main__":
    main()
