"""Where grading work runs: a process pool on this machine, a Dask cluster made here, or a Dask
cluster deployed on other machines (README, "Grading on a Dask cluster").

A deployed cluster is a `dask scheduler` and `dask worker` processes, each started from a clone of
this repository with `./run.sh scheduler` / `./run.sh worker ADDRESS`, which install the course's
environment first. That environment imports the grader from its repository wherever it runs
(run.sh writes a .pth file): the scheduler needs it too, because it unpickles every task it is
sent, and `autograder.grade_class.execute_and_judge` is pickled by reference.

Before any notebook is sent, `check_cluster` asks the scheduler and every worker what they run and
refuses, naming the machine, one that has another version of the grader, the notebooks or the
packages, other data, or no bubblewrap (a kernel with the network could reach the scheduler and
run code as the grader).
"""
from __future__ import annotations

import concurrent.futures as cf
import contextlib
import hashlib
import importlib.metadata
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from . import paths

#: folders whose files decide a grade: the grader, the student package, the notebooks, the course
GRADED_BY = ("autograder", "utils", "source", "course")
#: packages whose version changes what a notebook computes or how it is read
PACKAGES = ("numpy", "tensorflow", "tensorflow-cpu", "keras", "matplotlib", "matplotlib-inline", "ipykernel",
            "nbclient", "nbformat", "nbgrader")
WAIT_FOR_WORKERS = 120   # s: a worker starting on a loaded machine imports nbgrader and TensorFlow's deps


def pool_size(workers: int | None) -> int:
    """The processes of a pool made here: `workers`, or one per core."""
    return workers or os.cpu_count() or 1


def make_executor(spec: str = "local", workers: int | None = None) -> tuple[cf.Executor, callable]:
    """(executor, close). `local`: a process pool sized to the cores; `dask`: a Dask cluster of
    `workers` processes on this machine; a scheduler address (`tcp://host:8786`, `tls://...`) or a
    scheduler file (`.json`, as `dask scheduler --scheduler-file` writes): a deployed cluster,
    checked first (check_cluster)."""
    workers = pool_size(workers)
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
    client = connect(spec)
    try:
        check_cluster(client)
    except BaseException:
        client.close()
        raise
    return client.get_executor(), client.close


def connect(spec: str, timeout: float = 30):
    """A Dask client of the scheduler at `spec` (an address or a scheduler file)."""
    from dask.distributed import Client
    if spec.endswith(".json"):
        if not Path(spec).is_file():
            raise SystemExit(f"--executor {spec}: no such scheduler file (dask scheduler --scheduler-file writes it)")
        connect_to = {"scheduler_file": spec}
    elif "://" in spec:
        connect_to = {"address": spec}
    else:
        raise SystemExit(f"--executor {spec!r}: give local, dask, a scheduler address such as "
                         "tcp://scheduler:8786, or a scheduler file (.json)")
    try:
        return Client(**connect_to, timeout=timeout)
    except OSError as exc:
        raise SystemExit(f"--executor {spec}: cannot reach the Dask scheduler ({exc})") from None


def grader_facts() -> dict:
    """What this process grades with: a digest of every file under GRADED_BY, package versions,
    the data sets it can give kernels, and its containment. Run on the scheduler and each worker."""
    from . import sandbox
    digest = hashlib.sha256()
    for top in GRADED_BY:
        for path in sorted((paths.ROOT / top).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.relative_to(paths.ROOT).as_posix().encode() + b"\0")
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    data = sandbox.data_dir()
    return {"grader": digest.hexdigest()[:16], "python": sys.version.split()[0], "packages": versions,
            "data": sorted(p.name for p in Path(data).iterdir()) if data else [],
            "containment": sandbox.contained(), "bubblewrap": sandbox.bwrap() is not None}


def _differences(theirs: dict, ours: dict) -> list[str]:
    out = []
    if theirs["grader"] != ours["grader"]:
        out.append("another version of the grader, notebooks or course files "
                   f"(digest {theirs['grader']}, here {ours['grader']}): check out the same commit there")
    if theirs["python"] != ours["python"]:
        out.append(f"Python {theirs['python']} (here {ours['python']})")
    for name, version in ours["packages"].items():
        if theirs["packages"].get(name) != version:
            out.append(f"{name} {theirs['packages'].get(name)} (here {version}): run ./run.sh setup there")
    if theirs["data"] != ours["data"]:
        out.append(f"data sets {theirs['data'] or 'none'} (here {ours['data'] or 'none'}): set COURSE_DATA "
                   "there to a copy of this machine's")
    return out


def check_cluster(client, wait: float = WAIT_FOR_WORKERS) -> dict[str, dict]:
    """The facts of the scheduler and of every worker, after refusing (SystemExit, with the reason
    and the machine) a cluster that would not grade as this machine does."""
    ours = grader_facts()
    address = client.scheduler.address
    try:
        scheduler = client.run_on_scheduler(grader_facts)
    except Exception as exc:
        raise SystemExit(
            f"the Dask scheduler at {address} cannot load the grader ({type(exc).__name__}: {exc}). The "
            "scheduler unpickles every task, so it needs the course's environment too: start it with "
            "./run.sh scheduler from a clone of this repository") from None
    try:
        client.wait_for_workers(1, timeout=wait)
    except (TimeoutError, OSError):
        raise SystemExit(f"the Dask scheduler at {address} has no worker after {wait:g} s: start workers "
                         f"with ./run.sh worker {address}") from None
    try:
        facts = client.run(grader_facts)
    except Exception as exc:
        raise SystemExit(f"a worker of {address} cannot load the grader ({type(exc).__name__}: {exc}): "
                         f"start workers with ./run.sh worker {address} from a clone of this repository") from None
    problems = [f"the scheduler at {address} has {d}" for d in _differences(scheduler, ours)
                if not d.startswith("data sets")]   # (the scheduler runs no notebook)
    for worker, theirs in sorted(facts.items()):
        problems += [f"worker {worker} has {d}" for d in _differences(theirs, ours)]
        if not theirs["bubblewrap"]:
            problems.append(f"worker {worker} runs kernels without bubblewrap ({theirs['containment']}): "
                            "a student's code could reach the scheduler over the network and run as the "
                            "grader; install bubblewrap there (./run.sh worker does, with apt)")
    if problems:
        raise SystemExit("this Dask cluster would not grade as this machine does:\n  " + "\n  ".join(problems))
    return {"scheduler": scheduler, **facts}


@contextlib.contextmanager
def deployed_cluster(folder: Path, worker_processes: int, timeout: float = WAIT_FOR_WORKERS):
    """A scheduler and a worker with `worker_processes` processes on loopback, started as separate
    processes the way the README deploys them (`./run.sh scheduler`, `./run.sh worker`), from
    `folder` and with no PYTHONPATH. Yields the scheduler file. For the tests and the benchmark."""
    folder.mkdir(parents=True, exist_ok=True)
    scheduler_file = folder / "scheduler.json"
    scheduler_file.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run_sh = str(paths.ROOT / "run.sh")
    started = []
    try:
        with open(folder / "scheduler.log", "wb") as log:
            started.append(subprocess.Popen(
                [run_sh, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                 "--scheduler-file", str(scheduler_file)],
                cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        deadline = time.monotonic() + timeout
        while not scheduler_file.exists() or not scheduler_file.read_text():
            if started[0].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the scheduler did not start:\n{(folder / 'scheduler.log').read_text()[-3000:]}")
            time.sleep(0.2)
        address = json.loads(scheduler_file.read_text())["address"]
        with open(folder / "worker.log", "wb") as log:
            started.append(subprocess.Popen(
                [run_sh, "worker", address, "--nworkers", str(worker_processes), "--no-dashboard",
                 "--local-directory", str(folder / "dask-worker-space")],
                cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        yield scheduler_file
    finally:
        for proc in reversed(started):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, 15)
        for proc in reversed(started):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, 9)
                proc.wait()
        shutil.rmtree(folder / "dask-worker-space", ignore_errors=True)
