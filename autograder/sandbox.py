"""Run one submission's notebook contained: its own folder, limits, and (with bubblewrap) its own view
of the machine.

What is protected, and how:
- **Files.** The job runs in a fresh temporary folder outside the course directory holding the
  notebook, a copy of `utils`, the runner and the one hidden-check module it needs. Under
  bubblewrap (`bwrap`, Debian package `bubblewrap`) the kernel sees only that folder (read-write),
  the system and Python installation (read-only), a private /tmp, and the course data (read-only):
  not `source/`, not the gradebook, not other students' work, not the rest of the repository.
- **Network and processes.** bwrap unshares every namespace: no network but its own loopback, no
  view of other processes; everything dies with the grader.
- **Time.** A per-cell limit (in the runner) and a per-notebook wall-clock limit (here: the whole
  process group is killed).
- **Memory, processes, output.** `RLIMIT_AS` (memory), `RLIMIT_NPROC` (processes), `RLIMIT_FSIZE`
  (file size) and `RLIMIT_CORE`; when the grader runs as root, where `RLIMIT_NPROC` does not apply,
  a cgroup (v1 `pids`/`memory`, or v2) caps processes and memory instead when one can be made.
  Output per cell is capped by the runner.
Not protected without bwrap (the fallback when it is missing or cannot start): reading any file the
grading user can read, and the network. `contained()` says which mode is in use.
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from . import paths

ROOT = paths.ROOT


@dataclass(frozen=True)
class Limits:
    cell_timeout: int = 120          # seconds per cell
    notebook_timeout: int = 600      # seconds for the whole notebook
    memory_mb: int = 4096            # address space of every process (TensorFlow needs ~3 GB)
    max_procs: int = 256             # processes and threads (TensorFlow starts dozens)
    max_output_chars: int = 100_000  # per cell
    max_file_mb: int = 256           # largest file the notebook may write


@lru_cache(maxsize=1)
def bwrap() -> str | None:
    """Path of a working bubblewrap, or None."""
    exe = shutil.which("bwrap")
    if not exe:
        return None
    probe = subprocess.run([exe, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "true"],
                           capture_output=True)
    return exe if probe.returncode == 0 else None


def contained() -> str:
    return "bubblewrap" if bwrap() else "resource limits only (bwrap unavailable)"


@lru_cache(maxsize=1)
def _matplotlib_font_cache() -> Path | None:
    """This environment's matplotlib font list (the kernels' matplotlib is the same), made if missing."""
    try:
        import matplotlib
        from matplotlib import font_manager
    except ImportError:
        return None
    path = Path(matplotlib.get_cachedir()) / f"fontlist-v{font_manager.FontManager.__version__}.json"
    return path if path.exists() else None


def _copy_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def _env(job_inside: str, data: str | None) -> dict[str, str]:
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": f"{job_inside}/work",
        "PYTHONPATH": f"{job_inside}/lib",
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "NBGRADER_EXECUTION": "autograde",
        # Experiments in short mode, as nbgrader's own kernels run (grade.grading_env): they earn no
        # points, and a full-mode run (minutes of training) would only eat the notebook's time limit.
        "COURSE_FAST": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        # glibc gives each allocating thread an arena (up to 8 per core) that reserves 64 MB of
        # address space: with TensorFlow's threads that is ~0.9 GB on 2 cores, more on a bigger
        # grading machine, all counted by RLIMIT_AS. The memory in use does not change.
        "MALLOC_ARENA_MAX": "2",
    }
    if data:
        env["COURSE_DATA"] = data
    return env


def command(job: Path) -> tuple[list[str], dict[str, str]]:
    """The command line that runs the job, and its environment."""
    data = os.environ.get("COURSE_DATA")
    data = data if data and Path(data).is_dir() else None
    runner = [sys.executable, "-m", "autograder.runner"]
    exe = bwrap()
    if not exe:
        return runner + [str(job)], _env(str(job), data)
    # the kernel runs as `nobody` in its own user namespace, with no capabilities
    args = [exe, "--unshare-all", "--uid", "65534", "--gid", "65534", "--die-with-parent",
            "--new-session", "--cap-drop", "ALL",
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for d in ("/usr", "/bin", "/lib", "/lib64", "/sbin", "/etc"):
        if Path(d).exists():
            args += ["--ro-bind", d, d]
    # the Python installation and the environment (the venv may live inside the repository:
    # bind only those folders, never the repository itself)
    for d in sorted({sys.base_prefix, sys.prefix, os.path.realpath(sys.base_prefix)}):
        args += ["--ro-bind", d, d]
    args += ["--bind", str(job), "/job", "--chdir", "/job/work"]
    if data:
        args += ["--ro-bind", os.path.realpath(data), "/data"]
    env = _env("/job", "/data" if data else None)
    args += ["--clearenv"]
    for k, v in env.items():
        args += ["--setenv", k, v]
    return args + runner + ["/job"], {}


class _Cgroup:
    """A cgroup capping processes and memory, when the grader may make one (root); else no-op."""

    def __init__(self, name: str, limits: Limits):
        self.dirs: list[Path] = []
        if os.geteuid() != 0:
            return
        v1 = {"pids": {"pids.max": str(limits.max_procs)},
              "memory": {"memory.limit_in_bytes": str((limits.memory_mb + 512) << 20)}}
        for controller, settings in v1.items():
            base = Path("/sys/fs/cgroup") / controller
            try:
                d = base / "dl-course" / name
                d.mkdir(parents=True)
                for key, value in settings.items():
                    (d / key).write_text(value)
                self.dirs.append(d)
            except OSError:
                continue

    def enter(self) -> None:   # in the child, before exec
        for d in self.dirs:
            try:
                (d / "cgroup.procs").write_text(str(os.getpid()))
            except OSError:
                pass

    def kill_and_remove(self) -> None:
        for d in self.dirs:
            for _ in range(50):
                try:
                    pids = [int(p) for p in (d / "cgroup.procs").read_text().split()]
                except OSError:
                    break
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                time.sleep(0.05)
            try:
                d.rmdir()
            except OSError:
                pass


class Sandbox:
    """One submission's sandbox, started before its notebook is known: the runner starts, starts the
    kernel, and waits. `run` then hands it the notebook and waits for the result. A grading worker
    starts the next sandbox while the current one runs, so that kernel start-up, the part of a
    notebook's run that is not the student's code, overlaps other work. Each is used once."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.job = Path(tempfile.mkdtemp(prefix="dl-course-job-"))
        # what the job needs, and nothing more: utils, the runner, and (in `run`) one hidden module
        lib = self.job / "lib"
        _copy_tree(ROOT / "utils", lib / "utils")
        (lib / "autograder" / "hidden").mkdir(parents=True)
        for name in ("__init__.py", "runner.py"):   # (the package's __init__ speeds up the runner's start)
            shutil.copy(ROOT / "autograder" / name, lib / "autograder" / name)
        shutil.copy(ROOT / "autograder" / "hidden" / "__init__.py", lib / "autograder" / "hidden" / "__init__.py")
        (self.job / "work").mkdir()
        font_cache = _matplotlib_font_cache()
        if font_cache:   # (else every kernel that plots would first scan the system's fonts)
            (self.job / "work" / ".cache" / "matplotlib").mkdir(parents=True)
            shutil.copy(font_cache, self.job / "work" / ".cache" / "matplotlib" / font_cache.name)
        args, env = command(self.job)
        self.cgroup = _Cgroup(self.job.name, limits)

        def preexec() -> None:
            self.cgroup.enter()
            mem = limits.memory_mb << 20
            resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.max_procs, limits.max_procs))
            fsize = limits.max_file_mb << 20
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

        with open(self.job / "runner.log", "wb") as log:
            self.proc = subprocess.Popen(args, env=env or None, stdin=subprocess.PIPE, stdout=log,
                                         stderr=subprocess.STDOUT, cwd=str(self.job / "work"),
                                         preexec_fn=preexec, start_new_session=True)

    def run(self, notebook, hidden_module: str) -> dict:
        """Execute `notebook` here; return {"status", "seconds", "message", "contained"} about the
        process itself. The results are in the job folder until `close`."""
        import nbformat
        shutil.copy(ROOT / "autograder" / "hidden" / f"{hidden_module}.py",
                    self.job / "lib" / "autograder" / "hidden" / f"{hidden_module}.py")
        nbformat.write(notebook, self.job / "notebook.ipynb")
        (self.job / "limits.json").write_text(json.dumps(asdict(self.limits)))
        t0 = time.perf_counter()
        try:
            self.proc.stdin.write(b"go\n")
            self.proc.stdin.close()
        except BrokenPipeError:   # the runner is gone already: reported below as a failed run
            pass
        budget = self.limits.notebook_timeout + 60   # writing the results
        try:
            self.proc.wait(timeout=budget)
            status = "ok" if self.proc.returncode == 0 else "runner failed"
        except subprocess.TimeoutExpired:
            status = "timeout"
        finally:
            self._stop()
        seconds = time.perf_counter() - t0
        message = {"ok": "", "timeout": f"the notebook ran past {budget} s and was stopped",
                   "runner failed": "the notebook could not be run to the end "
                                    "(the grader's runner was killed: out of memory or too many processes?)"}[status]
        return {"status": status, "seconds": seconds, "message": message, "contained": bool(bwrap())}

    def _stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.cgroup.kill_and_remove()

    def close(self) -> None:
        """Stop it (if it still runs) and delete its folder."""
        if self.proc.poll() is None:
            self._stop()
        shutil.rmtree(self.job, ignore_errors=True)
