"""Publish the student repository: what students clone and Colab opens, written from this private
instructor repository.

    python -m autograder publish DIR [--repository github.com/OWNER/NAME] [--ref REF]

DIR then holds, for the repository and ref given (course.yml's by default):

    release/NN/NN.ipynb   the student notebooks, their badges and setup cells pointing at that repository
    utils/                the student package, with its visible checks' stored values
    pyproject.toml        this repository's own: the setup cell's `pip install git+https://...` builds utils
    README.md             every notebook with its title and "Open in Colab" badge
    .gitignore
    .published-files      what this command wrote: the next publish replaces exactly those files

Push DIR to that repository. DIR must lie outside this repository, and be empty (a fresh clone of the
public repository, `.git` only, is empty) or a previous publish holding nothing else: a publish never
deletes a file it did not write. The tree is checked before it reaches DIR: only the kinds of file
above, no solution or hidden test, no instructor folder (source/, samples/, autograder/), no import of
the grader, no copy of an instructor file (hidden checks, references).
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import tomllib
from pathlib import Path, PurePosixPath

import jupytext
import nbformat
from packaging.requirements import Requirement

from . import build, paths

#: the folders of this repository that students never get: solutions and model answers (source/),
#: sample answers (samples/), the grader with its hidden checks and the visible checks' references
#: (autograder/)
INSTRUCTOR_FOLDERS = ("autograder", "source", "samples")
#: text that only instructor files hold: nbgrader's solution, hidden-test and mark-scheme regions, and
#: any mention of the grader
SECRET_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "MARK SCHEME", "autograder")
_REGIONS = {"solution": ("BEGIN SOLUTION", "END SOLUTION"),
            "hidden": ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")}
IMPORTS_GRADER = re.compile(r"\b(?:from|import)\s+autograder\b")   # (utils never needs the grader)

MANIFEST = ".published-files"
GITIGNORE = "__pycache__/\n*.pyc\n.ipynb_checkpoints/\n*.egg-info/\nbuild/\ndist/\ncheckpoints/\n"
_KEPT = ".git"   # the public repository's own history: never read, written or removed


class PublishError(RuntimeError):
    """DIR is not a place to publish to, or the tree would hand students something of the instructor's."""


def _region_lines(text: str, kind: str) -> list[str]:
    begin, end = _REGIONS[kind]
    inside, out = False, []
    for line in text.splitlines():
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside:
            out.append(line.strip().lstrip("#").strip())
    return out


def secret_lines() -> set[str]:
    """Lines that only the instructor may see: solution bodies and hidden tests, long enough to be
    distinctive (a bare `return out` could appear anywhere)."""
    lines = set()
    for a in build.assignment_ids():
        for cell in jupytext.read(paths.source_script(a)).cells:
            for kind in _REGIONS:
                lines.update(line for line in _region_lines(cell.source, kind) if len(line) >= 25)
    return lines


def _allowed(rel: PurePosixPath) -> bool:
    """The kinds of file a published tree holds (a path relative to its root)."""
    top = rel.parts[0]
    return (str(rel) in ("README.md", "pyproject.toml", ".gitignore", MANIFEST)
            or (top == "release" and len(rel.parts) == 3 and rel.suffix == ".ipynb")
            or (top == "utils" and rel.suffix == ".py")
            or (rel.parent == PurePosixPath("utils/checks/expected") and rel.suffix == ".json"))


def _walk(root: Path):
    """(folder relative to `root`, the names in it that are not folders walked into), for `root` and
    every folder under it but `.git`. A link to a folder counts as a file: it is never followed."""
    for folder, dirs, names in os.walk(root):
        here = PurePosixPath(Path(folder).relative_to(root).as_posix())
        if here == PurePosixPath("."):
            dirs[:] = [d for d in dirs if d != _KEPT]
        yield here, names + [d for d in dirs if os.path.islink(os.path.join(folder, d))]


def _files(root: Path) -> list[PurePosixPath]:
    """Every file (and link, and anything else not a folder) under `root`, but `.git`."""
    return sorted(here / name for here, names in _walk(root) for name in names)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _instructor_files() -> dict[str, Path]:
    """{digest: path} of every non-empty file in the instructor folders (a copy would be a leak)."""
    return {_digest(p): p for folder in INSTRUCTOR_FOLDERS for p in (paths.ROOT / folder).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.stat().st_size}


def _pyproject_problems(path: Path) -> list[str]:
    """The package must be utils alone, and its dependencies lower bounds only: an upper bound or a
    pin would make pip replace the numpy, TensorFlow or Keras Colab ships."""
    config = tomllib.loads(path.read_text(encoding="utf-8"))
    problems = [f"pyproject.toml packages {p!r}, not utils" for p in config["tool"]["setuptools"]["packages"]
                if p.split(".")[0] != "utils"]
    for dependency in config["project"]["dependencies"]:
        if any(spec.operator != ">=" for spec in Requirement(dependency).specifier):
            problems.append(f"pyproject.toml: {dependency!r} is more than a lower bound")
    return problems


def verify(root: Path) -> None:
    """Raise PublishError naming every file of the tree at `root` that students must not get."""
    secrets, instructor = secret_lines(), _instructor_files()
    problems = []
    for rel in _files(root):
        path = root / rel
        if rel.parts[0] in INSTRUCTOR_FOLDERS:
            problems.append(f"{rel}: instructor-only ({rel.parts[0]}/)")
            continue
        if not _allowed(rel) or not path.is_file() or path.is_symlink():
            problems.append(f"{rel}: not a kind of file the student repository holds")
            continue
        if _digest(path) in instructor:
            problems.append(f"{rel}: a copy of {instructor[_digest(path)].relative_to(paths.ROOT)}")
        if rel.suffix == ".ipynb":
            texts = [cell.source for cell in nbformat.read(path, as_version=4).cells]
        else:
            texts = [path.read_text(encoding="utf-8")]
        for text in texts:
            if rel.suffix in (".ipynb", ".md"):
                problems += [f"{rel}: contains {m!r}" for m in SECRET_MARKERS if m in text]
            if rel.suffix in (".ipynb", ".py") and IMPORTS_GRADER.search(text):
                problems.append(f"{rel}: imports the grader")
            leaked = secrets & {line.strip().lstrip("#").strip() for line in text.splitlines()}
            if leaked:
                problems.append(f"{rel}: solution or hidden-test lines, e.g. {sorted(leaked)[0]!r}")
        if str(rel) == "pyproject.toml":
            problems += _pyproject_problems(path)
    if problems:
        raise PublishError("the student repository would hold what students must not get:\n  "
                           + "\n  ".join(problems))


def student_readme(cfg: dict) -> str:
    owner, name, _ = build.colab_repository(cfg)
    rows = "\n".join(f"| {a['id'][:2]} | [{a['title']}](release/{a['id']}/{a['id']}.ipynb) | "
                     f"{build.colab_badge(a['id'], cfg)} |" for a in cfg["assignments"])
    return f"""# {cfg['title']}

The course's notebooks. Open one in Google Colab with its badge: its first cell installs this
repository's `utils` package there, and nothing else (Colab's own numpy, TensorFlow and Keras stay):

    pip install "{build.install_spec(cfg)}"

| # | notebook | |
| --- | --- | --- |
{rows}

Each exercise has a test cell right below it, e.g. `check("affine_backward", affine_backward)`: it runs
the visible checks and tells you what was expected and what came back. The last cell,
`check_all()`, checks the whole notebook. Grading adds hidden checks on other shapes and random seeds,
so make your code general, not just right on the visible examples.

## Working locally

```
git clone https://{build.COLAB_HOST}/{owner}/{name}.git
cd {name}
pip install . tensorflow keras jupyterlab
jupyter lab release/
```
"""


def stage(tree: Path, cfg: dict) -> None:
    """Write the student repository for `cfg`'s repository and ref into the empty folder `tree`."""
    with tempfile.TemporaryDirectory() as course:   # (never the real class's nbgrader folder)
        build.build_release(tree / "release", Path(course), cfg)
    package = paths.ROOT / "utils"
    for source in [*package.rglob("*.py"), *(package / "checks" / "expected").glob("*.json")]:
        target = tree / source.relative_to(paths.ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    shutil.copyfile(paths.ROOT / "pyproject.toml", tree / "pyproject.toml")
    (tree / "README.md").write_text(student_readme(cfg), encoding="utf-8")
    (tree / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    (tree / MANIFEST).write_text(
        "# Written by the course's publish command, which replaces exactly these files next time.\n"
        + "".join(f"{rel}\n" for rel in _files(tree)), encoding="utf-8")


def previous_publish(dest: Path) -> list[PurePosixPath]:
    """The files an earlier publish wrote to `dest` (none for an empty or missing folder); PublishError
    where publishing there could overwrite or delete files of anyone else's."""
    dest = dest.resolve()
    if dest.is_relative_to(paths.ROOT) or paths.ROOT.is_relative_to(dest):
        raise PublishError(f"{dest} is inside this instructor repository (or holds it): publish to a folder "
                           "outside it, e.g. ../dl-course-public, so that no solution can reach the public one")
    if dest.exists() and not dest.is_dir():
        raise PublishError(f"{dest} is not a folder")
    present = _files(dest) if dest.exists() else []
    if not present:
        return []
    manifest = dest / MANIFEST
    if not manifest.is_file() or manifest.is_symlink():
        raise PublishError(f"{dest} is not empty and not a previous publish (it has no {MANIFEST}): publish to a "
                           "new folder, or a fresh clone of the public repository")
    written = [PurePosixPath(line) for line in manifest.read_text(encoding="utf-8").splitlines()
               if line and not line.startswith("#")]
    if not all(_allowed(rel) and ".." not in rel.parts for rel in written):
        raise PublishError(f"{manifest} lists files a publish never writes: it was edited; publish to a new folder")
    foreign = sorted(set(present) - set(written) - {PurePosixPath(MANIFEST)})
    if foreign:
        raise PublishError(f"{dest} holds files a publish did not write, which it would leave in the student "
                           f"repository: {', '.join(map(str, foreign[:10]))}{' ...' if len(foreign) > 10 else ''}. "
                           "Move them out, or publish to a new folder")
    return written


def replace(dest: Path, tree: Path) -> list[PurePosixPath]:
    """Make `dest` hold the staged `tree`: the previous publish's files removed, `.git` kept."""
    for rel in [*previous_publish(dest), PurePosixPath(MANIFEST)]:
        (dest / rel).unlink(missing_ok=True)
    for here, _ in sorted(_walk(dest), reverse=True):   # the folders left empty, deepest first
        if here != PurePosixPath(".") and not any((dest / here).iterdir()):
            (dest / here).rmdir()
    written = _files(tree)
    for rel in written:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(tree / rel, dest / rel)
    return written


def publish_config(repository: str | None = None, ref: str | None = None) -> dict:
    """course.yml with the repository and ref to publish for, checked (RepositoryError)."""
    cfg = build.course_config()
    cfg.update({k: v for k, v in (("repository", repository), ("ref", ref)) if v is not None})
    build.colab_repository(cfg)
    return cfg


def publish(dest: Path, repository: str | None = None, ref: str | None = None) -> list[PurePosixPath]:
    """Write the student repository for `repository` and `ref` (course.yml's by default) to `dest`."""
    cfg = publish_config(repository, ref)
    previous_publish(dest)   # (refused before anything is built)
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        stage(tree, cfg)
        verify(tree)
        return replace(dest, tree)


def main(dest: Path, repository: str | None = None, ref: str | None = None) -> None:
    try:
        cfg = publish_config(repository, ref)
        written = publish(dest, cfg["repository"], cfg["ref"])
    except (build.RepositoryError, PublishError) as exc:
        raise SystemExit(f"publish stopped: {exc}") from None
    print(f"published {len(written)} files to {dest.resolve()}: commit them there and push to "
          f"https://{cfg['repository']} ({cfg['ref']})")
