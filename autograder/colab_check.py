"""The course as a student on Colab meets it: Colab's own package versions, `utils` installed by
pip the way every notebook's setup cell installs it, and each notebook run to its end with
correct answers (the source's solutions in the release notebook; short mode).

    python -m autograder colab [--only ASSIGNMENT ...]     (or ./run.sh colab)

The environment is exactly course/colab-constraints.txt, in build/colab-venv: made once, and again
when that file changes. tests/test_colab.py runs the same in the test command.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from . import build, paths, sample_class

CONSTRAINTS = paths.COURSE / "colab-constraints.txt"
VENV = paths.BUILD / "colab-venv"
KERNEL = "colab-python"
#: what check_all() prints last when every exercise passes
_ALL_PASS = re.compile(r"^(\d+)/(\d+) exercises pass their visible checks", re.MULTILINE)


class ColabEnvError(RuntimeError):
    """The Colab-like environment could not be made, or installing `utils` changed Colab's packages."""


def _python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _run(cmd: list, what: str) -> None:
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if done.returncode:
        raise ColabEnvError(f"{what} failed ({done.returncode}):\n{(done.stdout + done.stderr)[-3000:]}")


def ensure_env(venv: Path = VENV) -> Path:
    """The environment's Python, with exactly the constraint file's packages and a kernel spec."""
    stamp = venv / f".installed-{hashlib.sha256(CONSTRAINTS.read_bytes()).hexdigest()[:16]}"
    if not stamp.exists():
        print(f"Making {venv.relative_to(paths.ROOT) if venv.is_relative_to(paths.ROOT) else venv} "
              f"from {CONSTRAINTS.name} (once; about a minute) ...", flush=True)
        shutil.rmtree(venv, ignore_errors=True)
        _run([sys.executable, "-m", "venv", venv], "python -m venv")
        # uv (run.sh installs it) downloads and unpacks in parallel; pip does the same job slower.
        # --compile-bytecode: as pip does, so every kernel does not compile TensorFlow again
        uv = Path(sys.executable).with_name("uv")
        if uv.exists():
            _run([uv, "pip", "install", "-q", "--compile-bytecode", "--python", _python(venv), "-r", CONSTRAINTS],
                 f"uv pip install -r {CONSTRAINTS.name}")
        else:
            _run([_python(venv), "-m", "pip", "install", "-q", "-r", CONSTRAINTS], f"pip install -r {CONSTRAINTS.name}")
        stamp.touch()
    spec = venv / "share" / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(_python(venv)), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (Colab's versions)", "language": "python",
        "env": {"PYDEVD_DISABLE_FILE_VALIDATION": "1"}}), encoding="utf-8")   # ipykernel 6's debugger chatter
    return _python(venv)


def _freeze(python: Path) -> set[str]:
    done = subprocess.run([str(python), "-m", "pip", "freeze", "--all"], capture_output=True, text=True, check=True)
    return {line.strip() for line in done.stdout.splitlines() if line.strip()}


def install_utils(python: Path) -> list[str]:
    """`pip install` the course package into the environment as the setup cell does, and return
    what else pip changed there (the setup cell must change nothing of Colab's: expected []).

    The setup cell installs `git+https://<repository>@<ref>`: pip clones the repository and builds
    the package from pyproject.toml and utils/. The same files are copied from this working tree
    (so uncommitted changes count) and pip builds them the same way."""
    before = _freeze(python)
    with tempfile.TemporaryDirectory(prefix="colab-utils-") as tmp:
        shutil.copy2(paths.ROOT / "pyproject.toml", tmp)
        shutil.copytree(paths.ROOT / "utils", Path(tmp) / "utils",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        _run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", tmp], "pip install utils")
    after = _freeze(python)
    ours = re.compile(r"^dl[-_]course[-_]utils\b", re.IGNORECASE)
    return sorted(line for line in before ^ after if not ours.match(line))


def student_notebooks(course: Path, release: Path) -> dict[str, nbformat.NotebookNode]:
    """Each release notebook as a student who answered everything correctly hands it in: the
    source's solutions in the answer cells (00_setup, with nothing to answer, as released)."""
    out = {}
    for assignment in build.assignment_ids():
        nb = nbformat.read(release / assignment / f"{assignment}.ipynb", as_version=4)
        if build.is_graded(assignment):
            nb = sample_class.fill(nb, sample_class.solution_answers(course, assignment))
        out[assignment] = nb
    return out


@dataclass
class Run:
    assignment: str
    seconds: float
    errors: list[str] = field(default_factory=list)   # "cell N: Name: message" per error output
    summary: str = ""                                   # what check_all() printed

    @property
    def exercises(self) -> tuple[int, int] | None:
        """(passing, total) from check_all()'s last line; None if it printed none."""
        found = _ALL_PASS.findall(self.summary)
        return tuple(map(int, found[-1])) if found else None

    @property
    def ok(self) -> bool:
        counts = self.exercises
        return not self.errors and (counts is None if not build.is_graded(self.assignment)
                                    else counts is not None and counts[0] == counts[1] > 0)

    def line(self) -> str:
        counts = self.exercises
        what = f"{counts[0]}/{counts[1]} exercises pass" if counts else "nothing to check"
        return (f"{'ok  ' if self.ok else 'FAIL'} {self.assignment:20s} {self.seconds:6.1f} s  {what}"
                + "".join(f"\n       {e}" for e in self.errors))


def kernel_env() -> dict[str, str]:
    """A student's kernel: short mode and the offline data, but nothing of this repository on its
    path (`utils` must come from the installed package) and matplotlib's inline backend, as on Colab."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MPLBACKEND")}
    env.update(COURSE_FAST="1", TF_CPP_MIN_LOG_LEVEL=env.get("TF_CPP_MIN_LOG_LEVEL", "2"))
    return env


def run_notebook(assignment: str, nb, venv: Path = VENV, timeout: int = 600) -> Run:
    """Execute one notebook in the environment's kernel, in a fresh folder of its own."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient

    specs = KernelSpecManager(kernel_dirs=[str(venv / "share" / "jupyter" / "kernels")])
    km = AsyncKernelManager(kernel_name=KERNEL, kernel_spec_manager=specs)
    nb = nbformat.from_dict(nb)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"colab-{assignment}-") as folder:
        NotebookClient(nb, km=km, timeout=timeout, allow_errors=True,
                       resources={"metadata": {"path": folder}}).execute(cwd=folder, env=kernel_env())
    run = Run(assignment, time.perf_counter() - t0)
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []) if cell.cell_type == "code" else ():
            if out.output_type == "error":
                run.errors.append(f"cell {i}: {out.ename}: {out.evalue[:300]}")
            elif out.output_type == "stream" and "check_all(" in cell.source:
                run.summary += out.text
    return run


def imported_from(python: Path) -> dict[str, str]:
    """What a student's kernel imports there: the versions of Colab's packages, and where `utils`
    comes from (the installed package, not this repository)."""
    code = ("import json, numpy, matplotlib, keras, tensorflow, utils; print(json.dumps({"
            "'numpy': numpy.__version__, 'matplotlib': matplotlib.__version__, 'keras': keras.__version__, "
            "'tensorflow': tensorflow.__version__, 'utils': utils.__file__}))")
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, cwd=folder, env=kernel_env())
    if done.returncode:
        raise ColabEnvError(f"the environment does not import the course's packages:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def main(only: list[str] | None = None, report: Path | None = None) -> list[Run]:
    """Make the environment, install utils, run the notebooks (one line each as they end); with
    `report`, also write everything found there as JSON (what tests/test_colab.py reads)."""
    python = ensure_env()
    changed = install_utils(python)
    imports = imported_from(python)
    print(f"utils installed; pip changed {changed or 'nothing else'}; kernels import {imports}", flush=True)
    with tempfile.TemporaryDirectory(prefix="colab-build-") as tmp:
        course, release = Path(tmp) / "course", Path(tmp) / "release"
        build.build_release(release, course)
        notebooks = student_notebooks(course, release)
    runs = []
    for assignment, nb in notebooks.items():
        if only and assignment not in only:
            continue
        runs.append(run_notebook(assignment, nb))
        print(runs[-1].line(), flush=True)
    passed = sum(r.ok for r in runs)
    print(f"{passed}/{len(runs)} notebooks pass under {CONSTRAINTS.relative_to(paths.ROOT)}")
    if report:
        report.write_text(json.dumps({"changed": changed, "imports": imports,
                                      "runs": [asdict(r) for r in runs]}, indent=1), encoding="utf-8")
    elif changed:
        raise ColabEnvError(f"installing utils changed Colab's packages: {changed}")
    return runs
