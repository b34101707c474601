"""Run one submission's notebook contained: a kernel in its own view of the machine, as an
unprivileged user, with limits; the notebook client stays outside, in the grading worker.

What is protected, and how:
- **Nothing the grader reads comes from the sandbox's disk.** The notebook client (runner.py) runs
  in the grading worker and talks to the kernel over ZeroMQ `ipc` sockets in a folder shared with
  the sandbox. Cell status, outputs and evidence exist only in the worker's memory; the kernel
  cannot write, signal or ptrace it. Messages are capped (size per message, output per cell,
  evidence per notebook).
- **Nothing instructor-only inside.** The sandbox holds the public `utils` package, a shim that
  makes `autograder.hidden.grade` the public harness (utils.checks.hidden_harness), and the hidden
  cases' *inputs* as data. No source notebook, solution, hidden-check module or reference.
- **An unprivileged kernel.** With bubblewrap (`bwrap`, Debian package `bubblewrap`) the kernel sees
  only: the system and Python installation (read-only), its library and inputs (read-only), the
  course data (read-only), its socket folder, and a size-limited tmpfs for its working folder,
  home and /tmp. It has no network (own loopback only) and sees no other process. When the grader
  runs as root, bwrap sets up the mounts and the kernel then runs as a host uid of its own
  (61000 and up, one per live sandbox, never a user's), with no capabilities and `no_new_privs`:
  it cannot read root-only files such as /etc/shadow or touch another sandbox. As another user,
  bwrap's user namespace keeps the kernel at that user's own uid.
- **Limits.** Per cell and per notebook time (runner.py; past them the sandbox is killed), CPU time
  (`RLIMIT_CPU`) and, as root, one core's worth of CPU through a cgroup; address space
  (`RLIMIT_AS`), processes (`RLIMIT_NPROC` per sandbox uid, and a pids cgroup as root), file size
  (`RLIMIT_FSIZE`), no core dumps, and the tmpfs size for everything it writes.
Without bwrap (the fallback when it is missing or cannot start) only the limits apply: the kernel
can read what the grading user can, and use the network. `contained()` says which mode is in use.
"""
from __future__ import annotations

import fcntl
import json
import os
import resource
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from . import paths

ROOT = paths.ROOT
INSIDE = "/job"           # where the job's folders appear inside the sandbox
FIRST_UID = 61000         # the kernels' host uids when the grader runs as root (no user has them)
UID_SLOTS = 1000
HIDDEN_INPUTS = "hidden_inputs.json"
MAX_MESSAGE_BYTES = 64 << 20   # one message from the kernel (a record and its headers); ZeroMQ drops more
MAX_QUEUED_MESSAGES = 16       # received but not yet handled: with the cap above, at most 1 GB
# Figures as drawn, without Jupyter's default crop to their content (bbox_inches="tight" draws each
# figure twice: 0.12 s against 0.07 s a figure here, on every student's run)
FIGURE_KWARGS = "--InlineBackend.print_figure_kwargs={'bbox_inches': None}"
# Run as the kernel starts, ahead of its notebook (while the worker's previous notebook runs): every
# notebook imports matplotlib (0.5 s here) and its first figure loads the fonts (0.1 s). Nothing is
# drawn or left in the student's namespace.
WARM_UP = ("import matplotlib.pyplot as _p; _f = _p.figure(); _f.text(0.5, 0.5, 'warm'); "
           "_f.canvas.draw(); _p.close(_f); del _p, _f")


@dataclass(frozen=True)
class Limits:
    cell_timeout: int = 120          # seconds per cell
    notebook_timeout: int = 600      # seconds for the whole notebook
    cpu_seconds: int = 900           # CPU time of the kernel process (all its threads)
    cpus: float = 1.0                # cores it may use at once (a cgroup; as root)
    memory_mb: int = 4096            # address space of every process (TensorFlow needs ~3 GB)
    max_procs: int = 256             # processes and threads (TensorFlow starts dozens)
    max_output_chars: int = 100_000  # per cell
    max_evidence_mb: int = 256       # what the test cells may send for judging, per notebook
    max_file_mb: int = 256           # largest file the notebook may write
    scratch_mb: int = 1024           # its working folder, home and /tmp (a tmpfs each)
    # Figures for the people who read the graded notebook: matplotlib's inline PNGs at its defaults
    # (100 dpi: 640x480 pixels for a default figure), as in Jupyter. 0 figures: none are drawn.
    warm_kernel: bool = True         # matplotlib imported and its fonts loaded as the kernel starts
    figures: int = 30                # images kept per notebook
    figures_per_cell: int = 6
    figure_kb: int = 1024            # one image
    figures_mb: int = 4              # all the notebook's images
    figure_px: int = 2400            # a PNG's longest side


@lru_cache(maxsize=1)
def bwrap() -> str | None:
    """Path of a working bubblewrap, or None."""
    exe = shutil.which("bwrap")
    if not exe:
        return None
    import subprocess
    probe = subprocess.run([exe, *_namespaces(), "--die-with-parent", "--ro-bind", "/", "/", "true"],
                           capture_output=True)
    return exe if probe.returncode == 0 else None


def contained() -> str:
    if not bwrap():
        return "resource limits only (bwrap unavailable)"
    return "bubblewrap, kernel as an unprivileged uid" if os.geteuid() == 0 else "bubblewrap"


def _namespaces() -> list[str]:
    # As root, no user namespace: bwrap makes the mounts with root's rights and setpriv then drops
    # to an unprivileged uid (in a user namespace, "nobody" would still be host root). Otherwise a
    # user namespace lets an ordinary user make them.
    common = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    return common if os.geteuid() == 0 else ["--unshare-user", *common]


@lru_cache(maxsize=1)
def _matplotlib_font_cache() -> Path | None:
    """This environment's matplotlib font list (the kernels' matplotlib is the same), if made."""
    try:
        import matplotlib
        from matplotlib import font_manager
    except ImportError:
        return None
    path = Path(matplotlib.get_cachedir()) / f"fontlist-v{font_manager.FontManager.__version__}.json"
    return path if path.exists() else None


def _env(job_inside: str, data: str | None, figures: bool) -> dict[str, str]:
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": f"{job_inside}/work",
        "PYTHONPATH": f"{job_inside}/lib",
        "LANG": "C.UTF-8",
        # figures drawn (as in Jupyter) only where some are kept: rendering them costs time
        "MPLBACKEND": "module://matplotlib_inline.backend_inline" if figures else "Agg",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "NBGRADER_EXECUTION": "autograde",
        "COURSE_EVIDENCE": "1",
        "COURSE_HIDDEN_INPUTS": f"{job_inside}/inputs/{HIDDEN_INPUTS}",
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


def data_dir() -> str | None:
    data = os.environ.get("COURSE_DATA")
    return os.path.realpath(data) if data and Path(data).is_dir() else None


def _dirs_to(target: str, made: set[str]) -> list[str]:
    """bwrap arguments making each missing parent of `target` a plain 0755 folder (bwrap would copy
    the host's modes, and /root is 0700)."""
    args = []
    parts = Path(target).parts
    for i in range(2, len(parts)):
        d = str(Path(*parts[:i]))
        if d not in made:
            made.add(d)
            args += ["--perms", "0755", "--dir", d]
    return args


def sandbox_prefix(job: Path, uid: int | None, limits: Limits) -> list[str]:
    """The command line that runs a command in the job's sandbox (to be followed by the command)."""
    exe = bwrap()
    data = data_dir()
    env = _env(INSIDE if exe else str(job), "/data" if (exe and data) else data, limits.figures > 0)
    if not exe:
        drop = _drop_to(uid) if uid is not None else []
        return ["env", "-i", *(f"{k}={v}" for k, v in env.items()), *drop]
    scratch = str(limits.scratch_mb << 20)
    # (as root, setpriv needs these three to drop to the kernel's uid; it then holds no capability)
    caps = ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP"] if uid is not None else []
    args = [exe, *_namespaces(), "--die-with-parent", "--new-session", "--cap-drop", "ALL", *caps,
            "--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", scratch, "--tmpfs", "/tmp"]
    made: set[str] = set()
    for d in ("/usr", "/bin", "/lib", "/lib64", "/sbin", "/etc"):
        if Path(d).exists():
            args += ["--ro-bind", d, d]
            made.add(d)
    # the Python installation and the environment (the venv may live inside the repository:
    # bind only those folders, never the repository itself)
    for d in sorted({sys.base_prefix, sys.prefix, os.path.realpath(sys.base_prefix)}):
        args += _dirs_to(d, made) + ["--ro-bind", d, d]
    args += ["--perms", "0755", "--dir", INSIDE,
             "--ro-bind", str(job / "lib"), f"{INSIDE}/lib",
             "--ro-bind", str(job / "inputs"), f"{INSIDE}/inputs",
             "--bind", str(job / "conn"), f"{INSIDE}/conn",
             "--perms", "0777", "--size", scratch, "--tmpfs", f"{INSIDE}/work"]
    font_cache = _matplotlib_font_cache()
    if font_cache:   # (else every kernel that plots would first scan the system's fonts)
        cache = f"{INSIDE}/work/.cache/matplotlib"   # (writable folders: matplotlib checks)
        args += ["--perms", "0777", "--dir", f"{INSIDE}/work/.cache", "--perms", "0777", "--dir", cache,
                 "--ro-bind", str(font_cache), f"{cache}/{font_cache.name}"]
    if data:
        args += ["--ro-bind", data, "/data"]
    args += ["--chdir", f"{INSIDE}/work", "--clearenv"]
    for k, v in env.items():
        args += ["--setenv", k, v]
    # (as root, the mounts above were made with root's rights; the kernel itself runs unprivileged)
    return args + ["--"] + (_drop_to(uid) if uid is not None else [])


def _drop_to(uid: int) -> list[str]:
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
            "--bounding-set=-all", "--inh-caps=-all", "--no-new-privs"]


class _UidSlot:
    """A host uid for one live sandbox (as root): held through a lock file, so that concurrent
    sandboxes, in this process or others, never share one (RLIMIT_NPROC counts per uid)."""

    def __init__(self):
        self.uid: int | None = None
        self._lock = None
        if os.geteuid() != 0:
            return
        folder = Path(tempfile.gettempdir()) / "dl-course-uids"
        folder.mkdir(mode=0o700, exist_ok=True)
        for uid in range(FIRST_UID, FIRST_UID + UID_SLOTS):
            f = open(folder / str(uid), "w")
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                f.close()
                continue
            self.uid, self._lock = uid, f
            return
        raise RuntimeError(f"all {UID_SLOTS} sandbox uids are in use")

    def release(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None


class _Cgroup:
    """A cgroup capping processes, memory and CPU, when the grader may make one (root); else no-op."""

    def __init__(self, name: str, limits: Limits):
        self.dirs: list[Path] = []
        if os.geteuid() != 0:
            return
        period = 100_000
        v1 = {"pids": {"pids.max": str(limits.max_procs)},
              "memory": {"memory.limit_in_bytes": str((limits.memory_mb + 512) << 20)},
              "cpu": {"cpu.cfs_period_us": str(period), "cpu.cfs_quota_us": str(int(limits.cpus * period))}}
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


def _kernel_manager_class():
    from jupyter_client.manager import AsyncKernelManager

    class SandboxedKernelManager(AsyncKernelManager):
        """A kernel manager whose kernel starts inside the sandbox, on ipc sockets in `conn/`."""

        box: "Sandbox"

        def format_kernel_cmd(self, extra_arguments=None):
            inside = f"{INSIDE}/conn/kernel.json" if bwrap() else str(self.box.job / "conn" / "kernel.json")
            warm = [f"--IPKernelApp.exec_lines={WARM_UP}"] if self.box.limits.warm_kernel else []
            return (sandbox_prefix(self.box.job, self.box.slot.uid, self.box.limits)
                    + [sys.executable, "-m", "ipykernel_launcher", "-f", inside, *warm, FIGURE_KWARGS]
                    + (extra_arguments or []))

        def write_connection_file(self, **kw):
            super().write_connection_file(**kw)
            # The kernel's own copy: its socket paths as the sandbox sees them, readable by its uid.
            info = json.loads(Path(self.connection_file).read_text())
            if bwrap():
                info["ip"] = f"{INSIDE}/conn/kernel"
            target = self.box.job / "conn" / "kernel.json"
            target.write_text(json.dumps(info))
            if self.box.slot.uid is not None:
                os.chown(target, self.box.slot.uid, self.box.slot.uid)

        async def _async_interrupt_kernel(self):
            # A message on the control channel: ipykernel then interrupts itself. (A signal to the
            # process group would reach bwrap, not the kernel inside its pid namespace.)
            if self.has_kernel:
                self._connect_control_socket()
                self.session.send(self._control_socket, self.session.msg("interrupt_request", content={}))

        interrupt_kernel = _async_interrupt_kernel   # (an AsyncKernelManager's methods are coroutines)

        def client(self, **kwargs):
            # The notebook client's sockets (a context of their own) drop a message past the cap
            # before it is read into the worker's memory.
            import zmq
            kc = super().client(**kwargs)
            kc.context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
            kc.context.setsockopt(zmq.RCVHWM, MAX_QUEUED_MESSAGES)
            return kc

    return SandboxedKernelManager


class Sandbox:
    """One submission's sandbox, started before its notebook is known: the kernel boots while the
    worker runs the previous notebook (the part of a run that is not the student's code), and `run`
    then executes the notebook in it. Each is used once."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.slot = _UidSlot()
        self.job = Path(tempfile.mkdtemp(prefix="dl-course-job-"))
        try:
            self._prepare()
            self._start_kernel()
        except BaseException:
            self.close()
            raise

    def _prepare(self) -> None:
        from utils.checks.hidden_harness import SHIM
        os.chmod(self.job, 0o711)    # the kernel's uid passes through to the folders bound for it
        lib = self.job / "lib"
        shutil.copytree(ROOT / "utils", lib / "utils", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        (lib / "autograder" / "hidden").mkdir(parents=True)
        (lib / "autograder" / "__init__.py").write_text("")
        (lib / "autograder" / "hidden" / "__init__.py").write_text(SHIM)
        (self.job / "inputs").mkdir()
        conn = self.job / "conn"
        conn.mkdir()
        if self.slot.uid is not None:
            os.chown(conn, self.slot.uid, self.slot.uid)
        for d in (lib, self.job / "inputs"):
            for p in [d, *d.rglob("*")]:
                os.chmod(p, 0o755 if p.is_dir() else 0o644)

    def _start_kernel(self) -> None:
        import nbformat
        import zmq
        from nbclient.util import run_sync

        from .runner import CappedClient
        km = _kernel_manager_class()(kernel_name="python3", transport="ipc",
                                     ip=str(self.job / "conn" / "kernel"),
                                     connection_file=str(self.job / "connection.json"))
        km.box = self
        km.cache_ports = False
        km.context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
        self.client = CappedClient(nbformat.v4.new_notebook(), km=km, allow_errors=True,
                                   interrupt_on_timeout=False, kernel_name="python3",
                                   # a tag no student can guess (the default would let them skip cells)
                                   skip_cells_with_tag="grader-never-skips-7c1e",
                                   shutdown_kernel="immediate", startup_timeout=120,
                                   # (widgets' state is kept whole in memory: a grader needs none)
                                   store_widget_state=False)
        self.cgroup = _Cgroup(self.job.name, self.limits)
        limits = self.limits

        def preexec() -> None:
            self.cgroup.enter()
            for res, value in ((resource.RLIMIT_AS, limits.memory_mb << 20),
                               (resource.RLIMIT_NPROC, limits.max_procs),
                               (resource.RLIMIT_FSIZE, limits.max_file_mb << 20),
                               (resource.RLIMIT_CORE, 0),
                               (resource.RLIMIT_CPU, limits.cpu_seconds)):
                resource.setrlimit(res, (value, value))

        # (what the kernel and bwrap print: read only to say why a kernel did not start)
        self.log = open(self.job / "kernel.log", "wb")
        run_sync(km.start_kernel)(preexec_fn=preexec, stdout=self.log, stderr=self.log,
                                  cwd=str(self.job / "conn"), env={})

    def alive(self) -> bool:
        proc = getattr(self.client.km.provisioner, "process", None)
        return proc is not None and proc.poll() is None

    def run(self, notebook, hidden_inputs: str) -> dict:
        """Execute `notebook` here. Returns {"status", "seconds", "message", "contained", "cells",
        "notebook"}: the process's fate, and each code cell's (runner.run_cells), with the
        executed notebook."""
        from .runner import run_cells
        inputs = self.job / "inputs" / HIDDEN_INPUTS
        inputs.write_text(hidden_inputs)
        os.chmod(inputs, 0o644)
        client = self.client
        client.nb = notebook
        t0 = time.perf_counter()
        status, message, cells = "ok", "", []
        try:
            with client.setup_kernel():
                self._seal_sockets()
                cells = run_cells(client, notebook, asdict(self.limits))
        except Exception as exc:   # the kernel never answered, or broke the client's session
            status = "runner failed"
            message = (f"the notebook could not be run ({type(exc).__name__}: {str(exc)[:200]}); "
                       f"out of memory or too many processes at start?{self._log_tail()}")
        finally:
            self._stop()
        return {"status": status, "seconds": time.perf_counter() - t0, "message": message,
                "contained": bool(bwrap()), "cells": cells, "notebook": notebook}

    def _log_tail(self, size: int = 300) -> str:
        """The end of the kernel's log, for the instructor (bwrap's own errors land there)."""
        try:
            with open(self.job / "kernel.log", "rb") as f:
                f.seek(max(0, os.fstat(f.fileno()).st_size - size))
                tail = f.read(size).decode("utf-8", errors="replace").strip()
        except OSError:
            return ""
        return f" The kernel's last words: {tail}" if tail else ""

    def _seal_sockets(self) -> None:
        """Once the client is connected, the kernel may no longer replace its socket files (a
        symlink there would send ZeroMQ's reconnect elsewhere): the folder becomes the grader's."""
        conn = self.job / "conn"
        if self.slot.uid is not None:
            os.chown(conn, 0, 0)
            os.chmod(conn, 0o755)

    def _stop(self) -> None:
        km = self.client.km if hasattr(self, "client") else None
        proc = getattr(getattr(km, "provisioner", None), "process", None) if km else None
        if proc is not None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                proc.wait(timeout=10)
            except Exception:
                pass
        if hasattr(self, "cgroup"):
            self.cgroup.kill_and_remove()

    def close(self) -> None:
        """Stop it (if it still runs) and delete its folder."""
        client = getattr(self, "client", None)
        if client is not None and client.km is not None:
            try:
                from nbclient.util import run_sync
                if run_sync(client.km.is_alive)():
                    run_sync(client.km.shutdown_kernel)(now=True)
                run_sync(client.km.cleanup_resources)()
            except Exception:
                pass
        self._stop()
        if hasattr(self, "log"):
            self.log.close()
        shutil.rmtree(self.job, ignore_errors=True)
        self.slot.release()
