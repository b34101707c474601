"""Benchmark figures: `./run.sh bench` (python -m autograder.bench).

Prints, measured in one run on this machine:
- the time to execute each instructor notebook headless (COURSE_FAST=1, as CI runs them);
- the time to autograde the bundled sample class with nbgrader;
- gradient agreement: the largest relative error between the reference solutions (taken from
  source/) and the independent references (TensorFlow autodiff, centered finite differences),
  over every comparison the hidden checks make.
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from . import build, grade, hidden, sample_class
from .solutions import load_solutions


def time_notebooks(course: Path) -> dict[str, float]:
    times = {}
    for a in build.assignment_ids():
        nb = nbformat.read(course / "source" / a / f"{a}.ipynb", as_version=4)
        t0 = time.perf_counter()
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(course)}}).execute()
        times[a] = time.perf_counter() - t0
    return times


def time_sample_class(course: Path, release: Path) -> tuple[float, int]:
    t0 = time.perf_counter()
    n = 0
    for a in build.assignment_ids():
        n += len(sample_class.write_submissions(course, a, release))
        grade.autograde(course, a)
    return time.perf_counter() - t0, n


def gradient_agreement() -> list[tuple[str, str, int, float]]:
    """(assignment, exercise, comparisons, max relative error) from the hidden checks."""
    from utils.checks.core import recording_errors, run_checks
    rows = []
    for reg in hidden.registries():
        ns = load_solutions(reg.assignment)
        for name in reg.factories:
            with recording_errors() as log:
                run_checks(reg, name, ns[name], quiet=True)
            if log:
                rows.append((reg.assignment, name, len(log), max(err for _, err in log)))
    return rows


def main() -> None:
    for key, value in {**grade.grading_env(), "PYTHONPATH": str(build.paths.ROOT)}.items():
        os.environ[key] = value
    from utils.data import use_offline_cache
    use_offline_cache()
    with tempfile.TemporaryDirectory() as tmp:
        course, release = Path(tmp) / "course", Path(tmp) / "release"
        build.build_release(release, course)

        print("Notebook execution, headless (COURSE_FAST=1, nbclient):")
        times = time_notebooks(course)
        for a, t in times.items():
            print(f"  {a:<20}{t:7.1f} s")
        print(f"  {'all':<20}{sum(times.values()):7.1f} s")

        seconds, n = time_sample_class(course, release)
        print(f"\nAutograding the sample class with nbgrader: {n} submissions in {seconds:.1f} s "
              f"({seconds / n:.1f} s per submission, {60 * n / seconds:.1f} submissions/min)")

    print("\nGradient agreement: reference solution vs TF autodiff and finite differences "
          "(hidden checks, float64):")
    rows = gradient_agreement()
    print(f"  {'assignment':<20}{'exercise':<24}{'comparisons':>12}{'max rel error':>16}")
    for a, name, count, err in rows:
        print(f"  {a:<20}{name:<24}{count:>12}{err:>16.2e}")
    worst = max(err for *_, err in rows)
    print(f"  worst: {worst:.2e}  (target < 1e-7: {'met' if worst < 1e-7 else 'NOT MET'})")


if __name__ == "__main__":
    main()
