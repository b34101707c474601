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


#: Colab opens a notebook by URL only from GitHub (colab.research.google.com/github/OWNER/NAME/blob/REF/PATH)
#: and from Gists, which cannot hold the course's folders: the course repository must be on GitHub
COLAB_HOST = "github.com"
# GitHub's user and organisation names: letters, digits and single hyphens inside, at most 39
_OWNER = re.compile(r"(?=.{1,39}$)[A-Za-z0-9](?:-?[A-Za-z0-9])*")
# GitHub's repository names: not `.` or `..`, not ending in `.` (nor `.git`, checked below)
_NAME = re.compile(r"(?!\.{1,2}$)[A-Za-z0-9._-]{1,100}(?<!\.)")
# a branch or tag git accepts (git check-ref-format), in characters that need no quoting in a URL or
# the setup cell's string: `/`-separated parts, none empty, none starting with `.` or ending in
# `.lock`; no `..`, no leading `-`, no trailing `.`
_REF_PART = r"(?!\.)(?:(?!\.\.)[A-Za-z0-9._-])+(?<!\.lock)"
_REF = re.compile(rf"(?!-){_REF_PART}(?:/{_REF_PART})*(?<!\.)")


class RepositoryError(ValueError):
    """The course repository (course.yml's `repository` and `ref`) is one Colab cannot open, or malformed."""


def colab_repository(cfg: dict) -> tuple[str, str, str]:
    """(owner, name, ref) of the course repository `cfg` names as `repository: github.com/OWNER/NAME`
    and `ref`; RepositoryError, saying why and what to do, where the badges or setup cells would not work."""
    repository, ref = cfg["repository"], cfg["ref"]
    parts = str(repository).split("/")
    malformed = RepositoryError(f"repository {repository!r}: give HOST/OWNER/NAME, e.g. "
                                f"{COLAB_HOST}/dl-course/dl-course (no https://, no trailing slash)")
    if ":" in str(repository):
        raise malformed
    host = parts[0]
    if host.lower() != COLAB_HOST:
        raise RepositoryError(
            f"repository {repository!r} is on {host}, but Colab opens a notebook by URL only from a GitHub "
            f"repository (colab.research.google.com/github/...; a Gist cannot hold the course's folders): "
            f"every \"Open in Colab\" badge would fail. "
            f"Mirror the repository to GitHub (GitLab and Bitbucket can push-mirror) and give that one: "
            f"`repository: {COLAB_HOST}/OWNER/NAME` in course/course.yml, or publish --repository.")
    if len(parts) != 3:
        raise malformed
    owner, name = parts[1:]
    if not _OWNER.fullmatch(owner) or not _NAME.fullmatch(name) or name.endswith(".git"):
        raise RepositoryError(f"repository {repository!r}: {owner!r}/{name!r} is not a GitHub OWNER/NAME "
                              "(letters, digits and single '-' inside; the name also '.' and '_', "
                              "not ending in '.' or .git)")
    if not isinstance(ref, str) or not _REF.fullmatch(ref):
        raise RepositoryError(f"ref {ref!r} is not a branch or tag name the setup cells and badges can use "
                              "(letters, digits, '.', '_', '-' and '/'; no '..', '//', leading '-' or '/', "
                              "trailing '.' or '/', part starting with '.' or ending in '.lock'; quoted in "
                              "course.yml if it looks like a number)")
    return owner, name, ref


def install_spec(cfg: dict | None = None) -> str:
    """What `pip install` gets on Colab: the `utils` package straight from the course repo."""
    owner, name, ref = colab_repository(cfg or course_config())
    return f"git+https://{COLAB_HOST}/{owner}/{name}@{ref}"


def colab_url(assignment: str, cfg: dict | None = None) -> str:
    owner, name, ref = colab_repository(cfg or course_config())
    return (f"https://colab.research.google.com/github/{owner}/{name}"
            f"/blob/{ref}/release/{assignment}/{assignment}.ipynb")


def colab_badge(assignment: str, cfg: dict | None = None) -> str:
    """The "Open in Colab" badge of a release notebook (markdown)."""
    return (f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"({colab_url(assignment, cfg)})")


def _locked(grade_id: str) -> dict:
    return {"grade": False, "grade_id": grade_id, "locked": True, "schema_version": 3,
            "solution": False, "task": False}


def shared_head_cells(assignment: str, cfg: dict) -> list:
    badge = nbformat.v4.new_markdown_cell(colab_badge(assignment, cfg))
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


#: the nbgrader metadata a source cell may give (the rest nbgrader adds itself)
NBGRADER_KEYS = frozenset({"grade", "grade_id", "locked", "points", "schema_version", "solution", "task"})
#: nbgrader's region markers, as its preprocessors look for them (case-sensitive, anywhere in a line)
NBGRADER_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
                    "BEGIN MARK SCHEME", "END MARK SCHEME")
#: a line that looks like one of them in any case, spacing or number (`### Begin Hidden Test`)
MARKER_LIKE = re.compile(r"(?i)\b(?:begin|end)[\s_-]*(?:solutions?|hidden[\s_-]*tests?|mark(?:ing)?[\s_-]*schemes?)\b")


class SourceError(ValueError):
    """A source notebook the build would release wrongly: a marker nbgrader does not see, nbgrader
    metadata it does not know."""


def misspelt_marker(line: str) -> bool:
    """A line nbgrader would not take for a marker but the author meant as one: what follows would be
    released to students."""
    return bool(MARKER_LIKE.search(line)) and not any(m in line for m in NBGRADER_MARKERS)


def normalize_nbgrader(meta: dict) -> dict:
    """Fill the defaults nbgrader expects; every cell that is not an answer is locked."""
    unknown = set(meta) - NBGRADER_KEYS
    if unknown:
        raise SourceError(f"nbgrader cell {meta.get('grade_id')}: unknown keys {sorted(unknown)} "
                          f"(known: {sorted(NBGRADER_KEYS)})")
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
    for number, cell in enumerate(nb.cells, 1):
        cell = copy.deepcopy(cell)
        bad = [line.strip() for line in cell.source.splitlines() if misspelt_marker(line)]
        if bad:
            raise SourceError(f"{assignment}, cell {number} ({cell.source.splitlines()[0][:60]!r}): {bad[0]!r} is not "
                              f"nbgrader's marker, which is exactly one of {list(NBGRADER_MARKERS)} (case and "
                              "spacing as written): nbgrader would hand students what it encloses")
        # Only nbgrader's metadata, rebuilt: any other key of a source cell's header (jupytext keeps
        # `# %% key=value` as metadata) would reach the release notebook as it is.
        meta = cell.metadata.get("nbgrader")
        cell.metadata = nbformat.NotebookNode({} if meta is None else {"nbgrader": normalize_nbgrader(dict(meta))})
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


def prepare_course_dir(course: Path = paths.NBGRADER_COURSE, cfg: dict | None = None) -> Path:
    """Write the nbgrader course folder: config plus the instructor notebooks (their badges and setup
    cells for the repository `cfg` names, course.yml's by default)."""
    cfg = cfg or course_config()
    colab_repository(cfg)   # a repository the badges cannot use stops the build before it writes anything
    write_course_config(course)
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


def build_release(release_dir: Path = paths.RELEASE, course: Path = paths.NBGRADER_COURSE,
                  cfg: dict | None = None) -> list[Path]:
    """Generate the student notebooks with nbgrader and write them, normalized, to `release_dir`
    (pointing at the repository `cfg` names, course.yml's by default: `python -m autograder publish`)."""
    prepare_course_dir(course, cfg)
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
    try:
        for path in build_release():
            print(f"released {path}")
    except (RepositoryError, SourceError) as exc:   # course.yml's or source/'s to fix, not a bug: say what to do
        raise SystemExit(f"build stopped: {exc}") from None
