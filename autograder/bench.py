"""Benchmark figures: `./run.sh bench` (python -m autograder.bench).

Prints, measured in one run on this machine:
- the time to execute each instructor notebook headless (COURSE_FAST=1, as CI runs them);
- class grading throughput: plain serial `nbgrader autograde` versus this grader's local pool on
  the same submissions, and the grader's overhead per notebook versus bare execution;
- gradient agreement: the largest relative error between the reference solutions (taken from
  source/) and the independent references (TensorFlow autodiff, centered finite differences),
  over every comparison the hidden checks make;
- optimizer agreement: notebook 06's reference update rules against `keras.optimizers` on the same
  gradients over 100 steps (max absolute and relative difference per rule).
- convolution speed: notebook 07's reference `conv_forward_fast` (im2col) against its naive loops and
  against `tf.nn.conv2d` on the same input, side by side, with the ratios.
"""
from __future__ import annotations

import copy
import os
import shutil
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from . import build, grade, grade_class, hidden, sample_class, sandbox
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


def class_throughput(root: Path, n: int = 20, assignment: str = "01_perceptron") -> dict:
    """Grade the same class of `n` submissions with plain serial `nbgrader autograde` and with
    this grader (local pool, all cores; then one worker), side by side; and execute the notebook
    bare with nbclient, for the grader's overhead per notebook."""
    course = root / "course"
    build.build_release(root / "release", course)
    incoming = root / "incoming"
    samples = sample_class.write_submissions(root / "samples", assignment, course, root / "release")
    kinds = list(samples.values())
    for i in range(n):
        for target in (course / "submitted", incoming):
            dest = target / f"student-{i:03d}" / assignment / f"{assignment}.ipynb"
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(kinds[i % len(kinds)].read_bytes())
    t0 = time.perf_counter()
    grade.autograde(course, assignment)            # plain nbgrader: executes every notebook, serially
    plain = time.perf_counter() - t0
    shutil.rmtree(course / "submitted")
    t0 = time.perf_counter()
    grade_class.grade_class(assignment, incoming, course, executor="local", progress=False)
    pool = time.perf_counter() - t0
    t0 = time.perf_counter()
    grade_class.grade_class(assignment, incoming, course, executor="local", workers=1, progress=False)
    one = time.perf_counter() - t0
    nb = nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    t0 = time.perf_counter()
    for _ in range(n):
        NotebookClient(copy.deepcopy(nb), timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(course)}}).execute()
    bare = time.perf_counter() - t0
    return {"n": n, "plain": plain, "pool": pool, "one": one, "bare": bare, "workers": os.cpu_count()}


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


def conv_benchmark(n=50, size=32, channels=3, filters=16, k=3, repeats=50, naive_repeats=2) -> list[dict]:
    """Notebook 07's reference convolutions on one NHWC input (stride 1, "same" padding), timed side
    by side: the naive loops, `conv_forward_fast` and `tf.nn.conv2d` (+ bias). The fast version and
    TensorFlow run alternately, `repeats` times each, and each figure is the best run (the least
    disturbed by other jobs on a shared machine). One row per dtype; the naive loops run in float64
    only (they take seconds)."""
    import numpy as np
    import tensorflow as tf
    ns = load_solutions("07_cnn")
    naive, fast = ns["conv_forward_naive"], ns["conv_forward_fast"]
    pad = k // 2
    rng = np.random.default_rng(0)
    x64 = rng.standard_normal((n, size, size, channels))
    w64, b64 = rng.standard_normal((k, k, channels, filters)), rng.standard_normal(filters)

    def timed(fn):
        t0 = time.perf_counter()
        out = fn()
        return time.perf_counter() - t0, out

    rows = []
    for dtype in ("float64", "float32"):
        x, w, b = (a.astype(dtype) for a in (x64, w64, b64))
        padding = [[0, 0], [pad, pad], [pad, pad], [0, 0]]
        run_fast = lambda: fast(x, w, b, stride=1, pad=pad)[0]           # noqa: E731
        run_tf = lambda: (tf.nn.conv2d(x, w, 1, padding) + b).numpy()    # noqa: E731
        run_tf(), run_fast()                                              # warm up (TF sets up its op)
        t_fast, t_tf = [], []
        for _ in range(repeats):
            t, out_fast = timed(run_fast)
            t_fast.append(t)
            t, out_tf = timed(run_tf)
            t_tf.append(t)
        row = {"dtype": dtype, "fast": min(t_fast), "tf": min(t_tf),
               "fast_vs_tf_error": float(np.abs(out_fast - out_tf).max())}
        if dtype == "float64":
            runs = [timed(lambda: naive(x, w, b, stride=1, pad=pad)[0]) for _ in range(naive_repeats)]
            row.update(naive=min(t for t, _ in runs),
                       fast_vs_naive_error=float(np.abs(out_fast - runs[0][1]).max()))
        rows.append(row)
    return rows


def print_conv_benchmark() -> None:
    shape = "50x32x32x3 input, 16 filters of 3x3, stride 1, pad 1 (NHWC)"
    rows = conv_benchmark()
    print(f"\nConvolution forward, notebook 07's reference solutions on one {shape}; best of 50 "
          f"alternating runs (naive loops: of 2):")
    print(f"  {'dtype':<9}{'naive loops':>13}{'conv_forward_fast':>19}{'tf.nn.conv2d':>14}"
          f"{'naive / fast':>14}{'fast / tf':>11}")
    for r in rows:
        naive = f"{r['naive']:.2f} s" if "naive" in r else "-"
        speedup = f"{r['naive'] / r['fast']:.0f}x" if "naive" in r else "-"
        print(f"  {r['dtype']:<9}{naive:>13}{1e3 * r['fast']:>16.2f} ms{1e3 * r['tf']:>11.2f} ms"
              f"{speedup:>14}{r['fast'] / r['tf']:>10.2f}x")
    first = rows[0]
    met = first["naive"] / first["fast"] >= 50 and all(r["fast"] / r["tf"] <= 5 for r in rows)
    print(f"  targets: fast >= 50x faster than naive, fast within 5x of tf.nn.conv2d: {'met' if met else 'NOT MET'}")
    print(f"  largest difference: fast vs naive {first['fast_vs_naive_error']:.1e} (float64), fast vs tf "
          + ", ".join(f"{r['fast_vs_tf_error']:.1e} ({r['dtype']})" for r in rows))


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


    with tempfile.TemporaryDirectory() as tmp:
        r = class_throughput(Path(tmp))
    n = r["n"]
    print(f"\nGrading a class of {n} submissions of 01_perceptron (containment: {sandbox.contained()}):")
    print(f"  plain nbgrader autograde (serial)    {r['plain']:6.1f} s  {60 * n / r['plain']:6.1f} submissions/min")
    print(f"  this grader, local pool ({r['workers']} workers)  {r['pool']:6.1f} s  {60 * n / r['pool']:6.1f} submissions/min"
          f"   speed-up {r['plain'] / r['pool']:.2f}x  (target >= 1.8x)")
    print(f"  this grader, 1 worker                {r['one']:6.1f} s  {r['one'] / n:6.2f} s per notebook")
    print(f"  bare nbclient execution              {r['bare']:6.1f} s  {r['bare'] / n:6.2f} s per notebook"
          f"   grader overhead {r['one'] / r['bare']:.2f}x  (target <= 1.2x)")

    print("\nGradient agreement: reference solution vs TF autodiff and finite differences "
          "(hidden checks, float64):")
    rows = gradient_agreement()
    print(f"  {'assignment':<20}{'exercise':<24}{'comparisons':>12}{'max rel error':>16}")
    for a, name, count, err in rows:
        print(f"  {a:<20}{name:<24}{count:>12}{err:>16.2e}")
    worst = max(err for *_, err in rows)
    print(f"  worst: {worst:.2e}  (target < 1e-7: {'met' if worst < 1e-7 else 'NOT MET'})")
    print_optimizer_agreement()
    print_conv_benchmark()


if __name__ == "__main__":
    main()
