"""Build the course: text sources -> nbgrader course folder -> student release.

    source/NN/NN.py  --jupytext-->  build/course/source/NN/NN.ipynb  --nbgrader-->  release/NN/NN.ipynb

An assignment with `graded: false` in course.yml (00_setup) is built and released the same way, but
its instructor notebook goes to `build/course/ungraded/` instead of `source/`, with no gradebook
entry: nbgrader's gradebook, formgrader and grade exports then hold the graded assignments only.

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


def is_graded(assignment: str | dict) -> bool:
    """Whether an assignment is graded for points (the default) or, like `00_setup`, released and
    tested like the others but never graded (`graded: false` in course.yml)."""
    if isinstance(assignment, str):
        assignment = next(a for a in course_config()["assignments"] if a["id"] == assignment)
    return bool(assignment.get("graded", True))


def assignment_ids(*, graded: bool | None = None) -> list[str]:
    """The assignments in course order: all (default), only the graded ones (`graded=True`: the
    nbgrader assignments, with points, sample class and gradebook) or only the ungraded ones."""
    return [a["id"] for a in course_config()["assignments"] if graded is None or is_graded(a) == graded]


#: where the nbgrader course folder keeps the instructor notebooks that are not graded: beside
#: `source/`, so that nbgrader's gradebook, formgrader and exports hold only graded assignments
UNGRADED_SOURCE = "ungraded"


def instructor_notebook(assignment: str, course: Path = paths.NBGRADER_COURSE) -> Path:
    """The instructor's notebook of `assignment` in the nbgrader course folder."""
    folder = "source" if is_graded(assignment) else UNGRADED_SOURCE
    return course / folder / assignment / f"{assignment}.ipynb"


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
    # (`python -m nbgrader`, after `import autograder`, which makes nbgrader start 1.2 s faster)
    start = "import autograder, runpy; runpy.run_module('nbgrader', run_name='__main__', alter_sys=True)"
    proc = subprocess.run([sys.executable, "-c", start, *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def write_course_config(course: Path) -> None:
    """The course's nbgrader config (its one home is course/) into the course folder, with the
    repository's place beside it (`repository.txt`), so that nbgrader run from a plain shell there
    imports this course's plugins instead of going on with its own defaults."""
    course.mkdir(parents=True, exist_ok=True)
    shutil.copy(paths.COURSE / "nbgrader_config.py", course / "nbgrader_config.py")
    (course / "repository.txt").write_text(str(paths.ROOT) + "\n", encoding="utf-8")


def prepare_course_dir(course: Path = paths.NBGRADER_COURSE) -> Path:
    """Write the nbgrader course folder: config plus the instructor notebooks."""
    write_course_config(course)
    cfg = course_config()
    keep = {instructor_notebook(a, course).parent for a in assignment_ids()}
    for folder in ("source", UNGRADED_SOURCE):   # drop assignments since removed from course.yml
        for stale in (course / folder).glob("*"):
            if stale.is_dir() and stale not in keep:
                shutil.rmtree(stale)
    for a in assignment_ids():
        target = instructor_notebook(a, course)
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(text_to_notebook(a, cfg), target)
    return course


def canonical(nb) -> str:
    """The one way a notebook is written to disk (sorted keys, one-space indent, final newline)."""
    return nbformat.writes(nb) + "\n"


def build_release(release_dir: Path = paths.RELEASE, course: Path = paths.NBGRADER_COURSE) -> list[Path]:
    """Generate the student notebooks with nbgrader and write them, normalized, to `release_dir`."""
    prepare_course_dir(course)
    # One nbgrader run for every graded assignment (its ids are glob patterns): a run per
    # assignment costs a few seconds of start-up each. `source/` holds exactly the graded ones.
    nbgrader("generate_assignment", "*", "--force", cwd=course)
    written = []
    for a in assignment_ids():
        if not is_graded(a):   # the same student version, but no assignment in the gradebook
            nbgrader("generate_assignment", a, "--force", "--no-db",
                     f"--CourseDirectory.source_directory={UNGRADED_SOURCE}", cwd=course)
        nb = nbformat.read(course / "release" / a / f"{a}.ipynb", as_version=4)
        target = release_dir / a / f"{a}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(canonical(nb), encoding="utf-8")
        written.append(target)
    return written


def main() -> None:
    for path in build_release():
        print(f"released {path}")
