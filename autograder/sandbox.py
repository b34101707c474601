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
- **Time.** A per-cell limit and a per-notebook wall-clock limit (the runner), and a watchdog
  that kills the kernel and everything it started if the whole run overstays.
- **Memory, processes, output.** `RLIMIT_AS` (memory), `RLIMIT_NPROC` (processes), `RLIMIT_FSIZE`
  (file size) and `RLIMIT_CORE`; when the grader runs as root, where `RLIMIT_NPROC` does not apply,
  a cgroup (v1 `pids`/`memory`, or v2) caps processes and memory instead when one can be made.
  Output per cell is capped by the runner. Only the kernel is inside the sandbox: the grader's
  client talks to it over IPC sockets in the job folder.
Not protected without bwrap (the fallback when it is missing or cannot start): reading any file the
grading user can read, and the network. `contained()` says which mode is in use.
"""
from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
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


def _copy_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def prepare(job: Path, hidden_module: str) -> None:
    """Write what the kernel may import, and nothing more, into `job`."""
    lib = job / "lib"
    _copy_tree(ROOT / "utils", lib / "utils")
    (lib / "autograder" / "hidden").mkdir(parents=True)
    (lib / "autograder" / "__init__.py").write_text("")
    for name in ("__init__.py", f"{hidden_module}.py"):
        shutil.copy(ROOT / "autograder" / "hidden" / name, lib / "autograder" / "hidden" / name)
    (job / "work").mkdir()


def kernel_env(job: Path, data: str | None) -> dict[str, str]:
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(job / "work"),
        "PYTHONPATH": str(job / "lib"),
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "NBGRADER_EXECUTION": "autograde",
        "COURSE_FAST": os.environ.get("COURSE_FAST", "0"),
        "COURSE_EVIDENCE": str(job / "evidence.jsonl"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    if data:
        env["COURSE_DATA"] = data
    return env


def kernel_command(job: Path) -> tuple[list[str], dict[str, str] | None]:
    """The kernel's command line (with `{connection_file}`), and its environment if not set inside.

    The job folder is bound at its own path, so the connection file and the IPC sockets in it
    mean the same inside and outside: the grader's client stays outside the sandbox.
    """
    data = os.environ.get("COURSE_DATA")
    data = os.path.realpath(data) if data and Path(data).is_dir() else None
    kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    exe = bwrap()
    if not exe:
        return kernel, kernel_env(job, data)
    # the kernel runs as `nobody` in its own user namespace, with no capabilities; no
    # --new-session, so that interrupting the process group reaches the kernel
    args = [exe, "--unshare-all", "--uid", "65534", "--gid", "65534", "--die-with-parent",
            "--cap-drop", "ALL", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for d in ("/usr", "/bin", "/lib", "/lib64", "/sbin", "/etc"):
        if Path(d).exists():
            args += ["--ro-bind", d, d]
    # the Python installation and the environment (the venv may live inside the repository:
    # bind only those folders, never the repository itself)
    for d in sorted({sys.base_prefix, sys.prefix, os.path.realpath(sys.base_prefix)}):
        args += ["--ro-bind", d, d]
    args += ["--bind", str(job), str(job), "--chdir", str(job / "work")]
    if data:
        args += ["--ro-bind", data, data]
    args += ["--clearenv"]
    for k, v in kernel_env(job, data).items():
        args += ["--setenv", k, v]
    return args + kernel, None


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

    def kill(self) -> None:
        for d in self.dirs:
            try:
                for pid in (d / "cgroup.procs").read_text().split():
                    os.kill(int(pid), signal.SIGKILL)
            except (OSError, ValueError):
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


def run(job: Path, notebook, limits: Limits) -> dict:
    """Execute `notebook` (in place) with its kernel contained; returns
    {"cells": per-cell status from runner.execute, "status", "message", "seconds", "contained"}."""
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import KernelManager

    from . import runner

    argv, env = kernel_command(job)
    cgroup = _Cgroup(job.name, limits)

    def preexec() -> None:   # in the kernel's process, before exec: limits for it and its children
        cgroup.enter()
        mem = limits.memory_mb << 20
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.max_procs, limits.max_procs))
        fsize = limits.max_file_mb << 20
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    km = KernelManager(transport="ipc", ip=str(job / "kernel"), connection_file=str(job / "kernel.json"))
    km._kernel_spec = KernelSpec(argv=argv, display_name="Python 3 (sandboxed)", language="python")
    status, message, cells = "ok", "", []
    budget = limits.notebook_timeout + 60   # kernel start-up included
    watchdog = threading.Timer(budget, lambda: (cgroup.kill(), _kill(km)))
    t0 = time.perf_counter()
    with open(job / "kernel.log", "wb") as log:
        try:
            km.start_kernel(cwd=str(job / "work"), env=env or {"PATH": os.environ.get("PATH", "")},
                            preexec_fn=preexec, stdout=log, stderr=log)
            watchdog.start()
            cells = runner.execute(job, notebook, km, limits)
        except Exception as exc:   # the kernel never answered, or was killed by the watchdog
            status = "failed"
            message = (f"the notebook could not be run ({type(exc).__name__}: {exc}); "
                       f"out of memory or too many processes?")
        finally:
            watchdog.cancel()
            _kill(km)
            cgroup.kill_and_remove()
    if time.perf_counter() - t0 >= budget:
        status, message = "timeout", f"the notebook ran past {budget} s and was stopped"
    return {"cells": cells, "status": status, "message": message,
            "seconds": time.perf_counter() - t0, "contained": bool(bwrap())}


def _kill(km) -> None:
    try:
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    except Exception:
        pass


def new_job_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="dl-course-job-"))
