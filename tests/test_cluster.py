"""Grading on a Dask cluster as deployed (README, "Grading on a Dask cluster"): a scheduler and
workers started as separate processes with `./run.sh scheduler` and `./run.sh worker`, from a folder
outside the repository and with no PYTHONPATH; the instructor grades through them with the CLI. A
cluster that would grade differently (the grader or packages of another version, other data, no
bubblewrap, a scheduler without the grader) is refused with the reason before any notebook runs."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder import executors, grade, paths, sample_class

A = "01_perceptron"


def _cli(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def test_a_class_is_graded_through_a_scheduler_and_worker_processes(tmp_path, copy_built_course):
    course = copy_built_course(tmp_path / "course")
    sample_class.write_submissions(tmp_path / "incoming", A, course, course / "release")
    half = sample_class.half_right_answers(A)[1]
    with executors.deployed_cluster(tmp_path / "cluster", worker_processes=2) as scheduler_file:
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        run = _cli("grade", A, str(tmp_path / "incoming"), "--course", str(course),
                   "--executor", address, cwd=tmp_path)
        worker_log = (tmp_path / "cluster" / "worker.log").read_text(errors="replace")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:] + worker_log[-3000:]
    scores = {r.student: r.auto for r in grade.scores(course, [A])}
    assert scores == {"sample-solution": 12, "sample-blank": 0, "sample-half-right": half}
    # the work ran on the cluster's two worker processes, not in the instructor's process
    assert worker_log.count("Start worker at:") == 2, worker_log[-2000:]
    # and the similarity report was written with the grades
    report = course / "reports" / f"{A}-similarity.html"
    assert f"similarity and integrity report: {report}" in run.stdout and "sample-solution" in report.read_text()


def test_a_scheduler_without_the_grader_is_refused_with_the_reason(tmp_path):
    # `dask scheduler` from an environment that cannot import the grader (what the issue hit)
    without_grader = ("import sys; sys.path[:] = [p for p in sys.path if p != {root!r}]; "
                      "from distributed.cli.dask_scheduler import main; main()").format(root=str(paths.ROOT))
    scheduler_file = tmp_path / "scheduler.json"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.Popen([sys.executable, "-c", without_grader, "--host", "127.0.0.1", "--port", "0",
                             "--no-dashboard", "--scheduler-file", str(scheduler_file)],
                            cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not (scheduler_file.exists() and scheduler_file.read_text()):
            assert proc.poll() is None and time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.2)
        with pytest.raises(SystemExit, match=r"scheduler at tcp://127\.0\.0\.1:\d+ cannot load the grader.*"
                                             r"ModuleNotFoundError.*\./run\.sh scheduler"):
            executors.make_executor(str(scheduler_file))
    finally:
        proc.terminate()
        proc.wait(timeout=30)


class FakeClient:
    """What check_cluster asks a cluster, answered with given facts."""
    class scheduler:
        address = "tcp://10.0.0.5:8786"

    def __init__(self, scheduler: dict, workers: dict[str, dict]):
        self.facts, self.workers = scheduler, workers

    def run_on_scheduler(self, fn):
        return self.facts

    def wait_for_workers(self, n, timeout):
        if len(self.workers) < n:
            raise TimeoutError

    def run(self, fn):
        return self.workers


def _with(facts: dict, **changes) -> dict:
    return {**json.loads(json.dumps(facts)), **changes}


def test_a_cluster_that_would_grade_differently_is_refused_naming_the_machine():
    ours = executors.grader_facts()
    same = _with(ours)
    assert set(executors.check_cluster(FakeClient(same, {"tcp://w1:1": same, "tcp://w2:1": same}))) == \
        {"scheduler", "tcp://w1:1", "tcp://w2:1"}
    # the scheduler runs no notebook: it needs the same grader and packages, not the data
    executors.check_cluster(FakeClient(_with(ours, data=["elsewhere"]), {"tcp://w1:1": same}))

    older = _with(ours, grader="0" * 16)
    numpy = _with(ours, packages={**ours["packages"], "numpy": "1.26.4"})
    no_data = _with(ours, data=[] if ours["data"] else ["keras-cache"])
    no_bwrap = _with(ours, bubblewrap=False, containment="resource limits only (bwrap unavailable)")
    refusals = {
        "tcp://w2:1 has another version of the grader": FakeClient(same, {"tcp://w1:1": same, "tcp://w2:1": older}),
        "scheduler at tcp://10.0.0.5:8786 has another version": FakeClient(older, {"tcp://w1:1": same}),
        "tcp://w1:1 has numpy 1.26.4": FakeClient(same, {"tcp://w1:1": numpy}),
        "tcp://w1:1 has data sets": FakeClient(same, {"tcp://w1:1": no_data}),
        "tcp://w1:1 runs kernels without bubblewrap": FakeClient(same, {"tcp://w1:1": no_bwrap}),
        "has no worker after 0 s: start workers with ./run.sh worker tcp://10.0.0.5:8786": FakeClient(same, {}),
    }
    for reason, client in refusals.items():
        with pytest.raises(SystemExit) as refused:
            executors.check_cluster(client, wait=0)
        assert reason in str(refused.value), (reason, str(refused.value))


@pytest.mark.parametrize("spec, reason", [
    ("scheduler:8786", "give local, dask, a scheduler address"),
    ("missing/scheduler.json", "no such scheduler file"),
    ("tcp://127.0.0.1:9", "cannot reach the Dask scheduler"),
])
def test_a_bad_executor_is_a_clear_error(spec, reason):
    with pytest.raises(SystemExit, match=reason):
        executors.connect(spec, timeout=2)
