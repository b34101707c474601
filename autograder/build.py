"""Build the course: text sources -> nbgrader course folder -> student release.

    source/NN/NN.py  --jupytext-->  build/course/source/NN/NN.ipynb  --nbgrader-->  release/NN/NN.ipynb

The build adds the parts every notebook shares (the "Open in Colab" badge and the setup cell),
fills nbgrader metadata defaults and gives cells stable ids, so that building twice gives
byte-identical files (tests/test_release.py rebuilds and compares with the committed release/).
"""
from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import yaml

from . import paths

SETUP_ID = "setup"
BADGE_ID = "colab-badge"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def course_config() -> dict:
    with open(paths.COURSE / "course.yml", encoding="utf-8") as f:
        return yaml.safe_load(f)


def assignment_ids() -> list[str]:
    return [a["id"] for a in course_config()["assignments"]]


def install_spec(cfg: dict | None = None) -> str:
    """What `pip install` gets on Colab: the `utils` package straight from the course repo."""
    cfg = cfg or course_config()
    return f"git+https://{cfg['repository']}@{cfg['ref']}"


def colab_url(assignment: str, cfg: dict | None = None) -> str:
    cfg = cfg or course_config()
    return (f"https://colab.research.google.com/{cfg['repository'].replace('github.com', 'github', 1)}"
            f"/blob/{cfg['ref']}/release/{assignment}/{assignment}.ipynb")


def _locked(grade_id: str) -> dict:
    return {"grade": False, "grade_id": grade_id, "locked": True, "schema_version": 3,
            "solution": False, "task": False}


def shared_head_cells(assignment: str, cfg: dict) -> list:
    badge = nbformat.v4.new_markdown_cell(
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        f"({colab_url(assignment, cfg)})")
    setup = nbformat.v4.new_code_cell(
        "# Setup: on Colab this installs the course's `utils` package; locally it does nothing\n"
        "# (your JupyterLab environment already has it, see the course README).\n"
        "import sys\n"
        "if \"google.colab\" in sys.modules:\n"
        f"    %pip install -q \"{install_spec(cfg)}\"")
    badge.metadata["nbgrader"] = _locked(BADGE_ID)
    setup.metadata["nbgrader"] = _locked(SETUP_ID)
    return [badge, setup]


_ID_OK = re.compile(r"[^a-zA-Z0-9_-]")


def normalize_nbgrader(meta: dict) -> dict:
    """Fill the defaults nbgrader expects; every cell that is not an answer is locked."""
    out = {"grade": False, "solution": False, "task": False, "schema_version": 3}
    out.update(meta)
    out.setdefault("locked", not out["solution"])
    if not (out["grade"] or out["solution"] or out["task"] or out["locked"]):
        raise ValueError(f"nbgrader cell {meta} does nothing")
    if out["grade"] and "points" not in out:
        raise ValueError(f"graded cell {out.get('grade_id')} has no points")
    return out


def text_to_notebook(assignment: str, cfg: dict | None = None):
    """Read `source/NN/NN.py` and return the instructor's nbgrader notebook."""
    cfg = cfg or course_config()
    nb = jupytext.read(paths.source_script(assignment))
    cells = shared_head_cells(assignment, cfg)
    for cell in nb.cells:
        cell = copy.deepcopy(cell)
        cell.metadata.pop("lines_to_next_cell", None)
        if "nbgrader" in cell.metadata:
            cell.metadata["nbgrader"] = normalize_nbgrader(dict(cell.metadata["nbgrader"]))
        cells.append(cell)
    for i, cell in enumerate(cells):  # stable ids: the grade id where there is one
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        cell["id"] = _ID_OK.sub("-", gid) if gid else f"cell-{i:03d}"
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    seen = [c["id"] for c in cells]
    dupes = {x for x in seen if seen.count(x) > 1}
    if dupes:
        raise ValueError(f"{assignment}: duplicate grade ids {sorted(dupes)}")
    out = nbformat.v4.new_notebook(cells=cells)
    out.metadata = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    out.nbformat, out.nbformat_minor = 4, 5
    return out


def nbgrader(*args: str, cwd: Path, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run an nbgrader command in the course folder with this interpreter's nbgrader."""
    full_env = dict(os.environ, **(env or {}))
    # nbgrader shells out to `alembic` and starts kernels by name: use this environment's.
    full_env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), full_env.get("PATH", "")])
    # The course config imports autograder.*, and grading kernels import autograder.hidden.
    full_env["PYTHONPATH"] = os.pathsep.join(p for p in (str(paths.ROOT), full_env.get("PYTHONPATH")) if p)
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def prepare_course_dir(course: Path = paths.NBGRADER_COURSE) -> Path:
    """Write the nbgrader course folder: config plus the instructor notebooks."""
    course.mkdir(parents=True, exist_ok=True)
    shutil.copy(paths.COURSE / "nbgrader_config.py", course / "nbgrader_config.py")
    cfg = course_config()
    wanted = assignment_ids()
    for stale in (course / "source").glob("*"):   # e.g. an assignment since removed from course.yml
        if stale.is_dir() and stale.name not in wanted:
            shutil.rmtree(stale)
    for a in wanted:
        target = course / "source" / a / f"{a}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(text_to_notebook(a, cfg), target)
    return course


def canonical(nb) -> str:
    """The one way a notebook is written to disk (sorted keys, one-space indent, final newline)."""
    return nbformat.writes(nb) + "\n"


def build_release(release_dir: Path = paths.RELEASE, course: Path = paths.NBGRADER_COURSE) -> list[Path]:
    """Generate the student notebooks with nbgrader and write them, normalized, to `release_dir`."""
    prepare_course_dir(course)
    # One nbgrader run for every assignment (its ids are glob patterns): a run per assignment
    # costs a few seconds of start-up each. The source folder holds exactly course.yml's ones.
    nbgrader("generate_assignment", "*", "--force", cwd=course)
    written = []
    for a in assignment_ids():
        nb = nbformat.read(course / "release" / a / f"{a}.ipynb", as_version=4)
        target = release_dir / a / f"{a}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(canonical(nb), encoding="utf-8")
        written.append(target)
    return written


def main() -> None:
    for path in build_release():
        print(f"released {path}")
