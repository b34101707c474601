"""Publish the student repository: what students clone and Colab opens, written from this private
instructor repository.

    python -m autograder publish DIR [--repository github.com/OWNER/NAME] [--ref REF]

DIR then holds, for the repository and ref given (course.yml's by default):

    release/NN/NN.ipynb   the student notebooks, their badges and setup cells pointing at that repository
    utils/                the student package as git tracks it (its working-tree content), with its
                          visible checks' stored values: never an untracked or ignored file
    pyproject.toml        this repository's own: the setup cell's `pip install git+https://...` builds utils
    README.md             every notebook with its title and "Open in Colab" badge
    .gitignore
    .published-files      the sha256 and path of every file this command wrote

Push DIR to that repository. DIR must lie outside this repository, and be empty (a fresh clone of the
public repository, `.git` only, is empty; `.git` may be a folder or, for a worktree or submodule, a
file) or a previous publish holding nothing else. Publishing again removes the files the previous
publish listed, and only while each still holds what was written: a changed one stops the publish,
named, and so does a listed path through a link or a folder. Nothing outside DIR is removed or
written, and no link is ever followed there.

The tree is checked before it reaches DIR (`verify`): only the kinds of file above; no instructor
folder (source/, samples/, autograder/); no nbgrader marker in any spelling, in any file; no
statement of a solution or hidden test (compared as parsed Python, in code, comments, docstrings and
doctests alike) and no function or class of a hidden check, a reference or a solution; no import of
the grader; release notebooks with nbgrader's metadata only and no outputs; stored check values for
declared references only; pyproject.toml packaging utils alone with lower bounds only.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path, PurePosixPath


from . import build, paths
from .publish_check import MANIFEST, PublishError, _allowed, _digest, _files, verify

_MANIFEST_HEAD = ("# Written by the course's publish command: the sha256 and path of each file it wrote. The next\n"
                  "# publish removes exactly these files, and only while each still holds what was written.\n")
_MANIFEST_LINE = re.compile(r"([0-9a-f]{64})  (\S+)")
GITIGNORE = "__pycache__/\n*.pyc\n.ipynb_checkpoints/\n*.egg-info/\nbuild/\ndist/\ncheckpoints/\n"


# ---- the tree -----------------------------------------------------------------------------------

def _git(root: Path, *args: str) -> list[PurePosixPath]:
    proc = subprocess.run(["git", "-C", str(root), *args, "-z", "--", "utils"], capture_output=True)
    if proc.returncode:
        raise PublishError(f"publish sends only the files git tracks, and git could not list them in {root}: "
                           f"{proc.stderr.decode(errors='replace').strip()}")
    return [PurePosixPath(p) for p in proc.stdout.decode("utf-8", errors="surrogateescape").split("\0") if p]


def package_files(root: Path = paths.ROOT) -> tuple[list[PurePosixPath], list[PurePosixPath]]:
    """(the utils files to publish, the untracked ones left out): the `.py` files and stored check
    values git tracks, as they are in the working tree; never an untracked or ignored file (a
    scratch file, a .ipynb_checkpoints copy) or one deleted from the working tree."""
    tracked, problems = [], []
    for rel in sorted(set(_git(root, "ls-files", "--cached"))):
        if not _allowed(rel):
            continue
        kind = _kind(root, rel)   # (no part of the path a link)
        if kind == "file":
            tracked.append(rel)
        elif kind != "missing":   # (missing: deleted in the working tree)
            problems.append(f"{rel}: tracked, but in the working tree {kind}")
    if problems:
        raise PublishError("utils files that are not regular files:\n  " + "\n  ".join(problems))
    untracked = [r for r in _git(root, "ls-files", "--others", "--exclude-standard") if _allowed(r)]
    return tracked, sorted(untracked)


def stage_package(tree: Path, root: Path = paths.ROOT) -> list[PurePosixPath]:
    """Copy the utils files to publish from `root` into `tree`; return the untracked ones left out."""
    tracked, untracked = package_files(root)
    for rel in tracked:
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / rel, tree / rel, follow_symlinks=False)
    return untracked


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


def write_manifest(tree: Path) -> None:
    """List every file of `tree` with its sha256 in its `.published-files`."""
    (tree / MANIFEST).unlink(missing_ok=True)
    (tree / MANIFEST).write_text(_MANIFEST_HEAD + "".join(f"{_digest(tree / rel)}  {rel}\n" for rel in _files(tree)),
                                 encoding="utf-8")


def stage(tree: Path, cfg: dict) -> list[PurePosixPath]:
    """Write the student repository for `cfg`'s repository and ref into the empty folder `tree`;
    return the untracked utils files left out."""
    with tempfile.TemporaryDirectory() as course:   # (never the real class's nbgrader folder)
        build.build_release(tree / "release", Path(course), cfg)
    untracked = stage_package(tree)
    shutil.copyfile(paths.ROOT / "pyproject.toml", tree / "pyproject.toml")
    (tree / "README.md").write_text(student_readme(cfg), encoding="utf-8")
    (tree / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    write_manifest(tree)
    return untracked


# ---- DIR ----------------------------------------------------------------------------------------

def _destination(dest: Path) -> Path:
    """`dest` resolved, where a publish may write: outside this repository, a folder or nothing yet
    under a folder."""
    dest = dest.resolve()
    if dest.is_relative_to(paths.ROOT) or paths.ROOT.is_relative_to(dest):
        raise PublishError(f"{dest} is inside this instructor repository (or holds it): publish to a folder "
                           "outside it, e.g. ../dl-course-public, so that no solution can reach the public one")
    for place in (dest, *dest.parents):
        try:
            mode = os.stat(place).st_mode
        except (FileNotFoundError, NotADirectoryError):
            continue
        if not stat.S_ISDIR(mode):
            raise PublishError(f"{place} is not a folder" + (f", so {dest} cannot be one" if place != dest else ""))
        break
    return dest


def _kind(dest: Path, rel: PurePosixPath) -> str:
    """What lies at `rel` under `dest`, each part looked at without following a link: "missing",
    "file" (a regular file under real folders), or why it is neither."""
    here = dest
    for i, part in enumerate(rel.parts):
        here = here / part
        try:
            mode = os.lstat(here).st_mode
        except FileNotFoundError:
            return "missing"
        if stat.S_ISLNK(mode):
            return f"{here.relative_to(dest)} is a link"
        if i < len(rel.parts) - 1 and not stat.S_ISDIR(mode):
            return f"{here.relative_to(dest)} is not a folder"
    return "file" if stat.S_ISREG(mode) else "a folder" if stat.S_ISDIR(mode) else "not a regular file"


def _read_manifest(dest: Path) -> dict[PurePosixPath, str]:
    """{path: sha256} of the files the publish in `dest` wrote; PublishError where the list is not
    one a publish writes."""
    if _kind(dest, PurePosixPath(MANIFEST)) != "file":
        raise PublishError(f"{dest} is not empty and not a previous publish (it has no {MANIFEST}): publish to a "
                           "new folder, or a fresh clone of the public repository")
    written, bad = {}, []
    for line in (dest / MANIFEST).read_text(encoding="utf-8", errors="replace").splitlines():
        if not line or line.startswith("#"):
            continue
        match = _MANIFEST_LINE.fullmatch(line)
        rel = PurePosixPath(match.group(2)) if match else None
        if rel is None or not _allowed(rel) or str(rel) in (MANIFEST, ".") or rel in written:
            bad.append(line)
        else:
            written[rel] = match.group(1)
    if bad:
        raise PublishError(f"{dest / MANIFEST} lists what a publish never writes "
                           f"({bad[0]!r}{' ...' if bad[1:] else ''}): "
                           "it was edited (or written by an older publish, without digests). Remove the files "
                           "yourself, or publish to a new folder")
    return written


def previous_publish(dest: Path) -> dict[PurePosixPath, str]:
    """{path: sha256} of the files an earlier publish wrote to `dest` and that are still there (none
    for an empty or missing folder); PublishError where publishing there could remove, overwrite or
    leave behind a file of anyone else's."""
    dest = _destination(dest)
    present = _files(dest) if dest.is_dir() else []
    if not present:
        return {}
    written = _read_manifest(dest)
    kinds = {rel: _kind(dest, rel) for rel in written}
    odd = [f"{rel} ({kind})" for rel, kind in kinds.items() if kind not in ("file", "missing")]
    if odd:
        raise PublishError(f"{dest / MANIFEST} lists paths that are not files a publish wrote: {', '.join(odd[:10])}: "
                           "it was edited, or the folder changed; nothing was removed. Publish to a new folder")
    kept = {rel: digest for rel, digest in written.items() if kinds[rel] == "file"}
    changed = sorted(rel for rel, digest in kept.items() if _digest(dest / rel) != digest)
    if changed:
        raise PublishError(f"files of the previous publish in {dest} were changed since: "
                           f"{', '.join(map(str, changed[:10]))}"
                           f"{' ...' if len(changed) > 10 else ''}. Publishing would remove them: keep the changes "
                           "elsewhere (in this repository, if they are the course's), restore the files "
                           f"(`git -C {dest} checkout -- FILE`), then publish again")
    foreign = sorted(set(present) - set(kept) - {PurePosixPath(MANIFEST)})
    if foreign:
        raise PublishError(f"{dest} holds files a publish did not write, which it would leave in the student "
                           f"repository: {', '.join(map(str, foreign[:10]))}{' ...' if len(foreign) > 10 else ''}. "
                           "Move them out, or publish to a new folder")
    return kept


def _open_folder(dest_fd: int, parts: tuple[str, ...], create: bool) -> int:
    """A descriptor of the folder `parts` under `dest_fd`, every part opened without following a link
    (made, where `create`)."""
    fd = os.dup(dest_fd)
    try:
        for part in parts:
            if create:
                try:
                    os.mkdir(part, dir_fd=fd)
                except FileExistsError:
                    pass
            child = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = child
        return fd
    except BaseException:
        os.close(fd)
        raise


def replace(dest: Path, tree: Path) -> list[PurePosixPath]:
    """Make `dest` hold the staged `tree`: the previous publish's files removed (each checked again as
    it goes, never through a link), `.git` and everything else untouched, the new list written last."""
    old = previous_publish(dest)
    dest = _destination(dest)
    new = [rel for rel in _files(tree) if str(rel) != MANIFEST]
    blocked = [f"{rel} ({kind})" for rel in new if (kind := _kind(dest, rel)) != "missing" and rel not in old]
    if blocked:
        raise PublishError(f"{dest} has something where the publish writes: {', '.join(blocked[:10])}")
    dest.mkdir(parents=True, exist_ok=True)
    root = os.open(dest, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for rel in sorted(old, key=lambda r: (-len(r.parts), str(r))):   # (deepest first, folders emptied)
            folder = _open_folder(root, rel.parts[:-1], create=False)
            try:
                with open(rel.name, "rb", opener=lambda name, flags: os.open(
                        name, flags | os.O_NOFOLLOW, dir_fd=folder)) as f:
                    if not stat.S_ISREG(os.fstat(f.fileno()).st_mode) or \
                            hashlib.sha256(f.read()).hexdigest() != old[rel]:
                        raise PublishError(f"{dest / rel} changed while publishing: nothing more was removed")
                os.unlink(rel.name, dir_fd=folder)
            finally:
                os.close(folder)
            for depth in range(len(rel.parts) - 1, 0, -1):   # its folders, once empty
                parent = _open_folder(root, rel.parts[:depth - 1], create=False)
                try:
                    os.rmdir(rel.parts[depth - 1], dir_fd=parent)
                except OSError:   # (not empty, or gone)
                    break
                finally:
                    os.close(parent)
        for rel in [*new, PurePosixPath(MANIFEST)]:
            folder = _open_folder(root, rel.parts[:-1], create=True)
            try:
                flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | (os.O_TRUNC if str(rel) == MANIFEST else os.O_EXCL)
                if str(rel) == MANIFEST and _kind(dest, rel) not in ("file", "missing"):
                    raise PublishError(f"{dest / MANIFEST} is not a file")
                with open(os.open(rel.name, flags, 0o644, dir_fd=folder), "wb") as f:
                    f.write((tree / rel).read_bytes())
            finally:
                os.close(folder)
    finally:
        os.close(root)
    return [*new, PurePosixPath(MANIFEST)]


# ---- the command --------------------------------------------------------------------------------

def publish_config(repository: str | None = None, ref: str | None = None) -> dict:
    """course.yml with the repository and ref to publish for, checked (RepositoryError)."""
    cfg = build.course_config()
    cfg.update({k: v for k, v in (("repository", repository), ("ref", ref)) if v is not None})
    build.colab_repository(cfg)
    return cfg


def publish(dest: Path, repository: str | None = None, ref: str | None = None,
            left_out: list | None = None) -> list[PurePosixPath]:
    """Write the student repository for `repository` and `ref` (course.yml's by default) to `dest`;
    `left_out` (a list) gets the untracked utils files that were not published."""
    cfg = publish_config(repository, ref)
    previous_publish(dest)   # (refused before anything is built)
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        untracked = stage(tree, cfg)
        verify(tree)
        written = replace(dest, tree)
    if left_out is not None:
        left_out.extend(untracked)
    return written


def main(dest: Path, repository: str | None = None, ref: str | None = None) -> None:
    left_out: list[PurePosixPath] = []
    try:
        cfg = publish_config(repository, ref)
        written = publish(dest, cfg["repository"], cfg["ref"], left_out)
    except (build.RepositoryError, build.SourceError, PublishError) as exc:
        raise SystemExit(f"publish stopped: {exc}") from None
    if left_out:
        print(f"not published, as git does not track them: {', '.join(map(str, left_out))}")
    print(f"published {len(written)} files to {dest.resolve()}: commit them there and push to "
          f"https://{cfg['repository']} ({cfg['ref']})")
