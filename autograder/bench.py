"""Benchmark figures: `./run.sh bench` (python -m autograder.bench).

Prints, measured in one run on this machine:
- the time to execute each instructor notebook headless (COURSE_FAST=1, as CI runs them);
- the time to autograde the bundled sample class with nbgrader;
- gradient agreement: the largest relative error between the reference solutions (taken from
  source/) and the independent references (TensorFlow autodiff, centered finite differences),
  over every comparison the hidden checks make;
- optimizer agreement: notebook 06's reference update rules against `keras.optimizers` on the same
  gradients over 100 steps (max absolute and relative difference per rule).
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


def optimizer_agreement(problems: int = 5) -> list[tuple[str, float, float, float]]:
    """Notebook 06's reference update rules vs `keras.optimizers` on the same gradients, 100 steps
    on `problems` random problems per rule: (rule, max |w - w_keras|, max relative error of
    w_t - w_0, the same against Keras with plain-float (float32) hyper-parameters)."""
    from utils.optim import RULES, agreement_with_keras
    ns = load_solutions("06_optimizers")
    return agreement_with_keras({rule: ns[rule] for rule in RULES}, steps=100, problems=problems)


def print_optimizer_agreement() -> None:
    print("\nOptimizer agreement with Keras (100 steps): reference update rules vs keras.optimizers "
          "on the same gradients, 5 random problems per rule (float64):")
    print(f"  {'rule':<14}{'max abs diff':>14}{'max rel diff':>14}{'vs plain-float Keras':>22}")
    for rule, abs_err, rel_err, rel_plain in optimizer_agreement():
        print(f"  {rule:<14}{abs_err:>14.1e}{rel_err:>14.1e}{rel_plain:>22.1e}")
    print("  (rel diff: of the displacement w_t - w_0, worst step; target < 1e-6. Plain-float Keras casts "
          "its hyper-parameters through float32.)")


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
            print(f"  {a:<16}{t:7.1f} s")
        print(f"  {'all':<16}{sum(times.values()):7.1f} s")

        seconds, n = time_sample_class(course, release)
        print(f"\nAutograding the sample class with nbgrader: {n} submissions in {seconds:.1f} s "
              f"({seconds / n:.1f} s per submission, {60 * n / seconds:.1f} submissions/min)")

    print("\nGradient agreement: reference solution vs TF autodiff and finite differences "
          "(hidden checks, float64):")
    rows = gradient_agreement()
    print(f"  {'assignment':<16}{'exercise':<24}{'comparisons':>12}{'max rel error':>16}")
    for a, name, count, err in rows:
        print(f"  {a:<16}{name:<24}{count:>12}{err:>16.2e}")
    worst = max(err for *_, err in rows)
    print(f"  worst: {worst:.2e}  (target < 1e-7: {'met' if worst < 1e-7 else 'NOT MET'})")
    print_optimizer_agreement()


if __name__ == "__main__":
    main()
