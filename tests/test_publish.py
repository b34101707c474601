"""`python -m autograder publish DIR`: the public student repository holds the student files only,
points at the repository it is published for, installs `utils` from a clone and runs a notebook; a
host Colab cannot open is refused, and so is a DIR where publishing could touch someone's files.
The attacks of autograder.adversarial.publish_cases are planted one by one: each refused with its
reason, nothing outside DIR changed. One publish (one nbgrader build, about 11 s) serves them all."""
import ast
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

from autograder import __main__ as cli
from autograder import adversarial, build, paths, publish, publish_check
from autograder.adversarial import PACKAGE, PREVIOUS, SOURCE, TREE

REPOSITORY, REF = "github.com/test-owner/test-course", "spring-2027"   # not course.yml's
COLAB = f"https://colab.research.google.com/github/test-owner/test-course/blob/{REF}/release"
SPEC = f"git+https://github.com/test-owner/test-course@{REF}"


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("publish") / "public"
    publish.publish(dest, REPOSITORY, REF)
    return dest


@pytest.fixture(scope="module")
def secrets() -> publish_check.Secrets:
    return publish_check.instructor_secrets()


def _tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")
            if p.is_file() and ".git" not in p.relative_to(root).parts}


def _student_package() -> set[str]:
    """The utils files git tracks (what a publish sends)."""
    return {str(rel) for rel in publish.package_files()[0]}


def test_the_tree_holds_student_files_only(published, assignments):
    """Every release notebook, the utils package and the instructor repository's pyproject.toml, and
    nothing else: no source notebook, sample answer, hidden check or reference."""
    notebooks = {f"release/{a}/{a}.ipynb" for a in assignments}
    assert _tree(published) == notebooks | _student_package() | {
        "README.md", "pyproject.toml", ".gitignore", publish.MANIFEST}
    listed = [line.split("  ", 1) for line in (published / publish.MANIFEST).read_text().splitlines()
              if not line.startswith("#")]
    assert {rel: digest for digest, rel in listed} == {
        rel: hashlib.sha256((published / rel).read_bytes()).hexdigest() for rel in _tree(published) - {publish.MANIFEST}}
    for rel in [*_student_package(), "pyproject.toml"]:
        assert (published / rel).read_bytes() == (paths.ROOT / rel).read_bytes(), rel
    secrets = publish_check.secret_lines()
    for rel in notebooks:
        for cell in nbformat.read(published / rel, as_version=4).cells:
            assert not [m for m in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "autograder") if m in cell.source], rel
            assert not secrets & {line.strip().lstrip("#").strip() for line in cell.source.splitlines()}, rel
            if cell.metadata.get("nbgrader", {}).get("solution"):
                assert "YOUR CODE HERE" in cell.source or "YOUR ANSWER HERE" in cell.source, rel


def test_badges_setup_cells_and_readme_point_at_the_given_repository(published, assignments):
    readme = (published / "README.md").read_text(encoding="utf-8")
    titles = {a["id"]: a["title"] for a in build.course_config()["assignments"]}
    for a in assignments:
        nb = nbformat.read(published / "release" / a / f"{a}.ipynb", as_version=4)
        badge, setup = nb.cells[0].source, nb.cells[1].source
        assert f"({COLAB}/{a}/{a}.ipynb)" in badge and f'%pip install -q "{SPEC}"' in setup
        assert badge in readme and f"[{titles[a]}](release/{a}/{a}.ipynb)" in readme
    assert SPEC in readme
    course_yml = build.course_config()["repository"].split("/", 1)[1]
    assert not [p for p in published.rglob("*.ipynb") if course_yml in p.read_text(encoding="utf-8")]


def test_a_clone_installs_utils_and_runs_a_release_notebook(published, tmp_path, monkeypatch):
    """Committed and cloned as students get it, `utils` installed the way the setup cell does (its spec,
    with a file:// URL for GitHub's; offline: no dependencies, this environment's setuptools), and
    01's blank notebook run with only that `utils` importable: it runs to its end, every check failing."""
    git = ["git", "-c", "user.name=course", "-c", "user.email=course@example.org"]
    subprocess.run([*git, "init", "-q", "-b", REF, str(published)], check=True)
    subprocess.run([*git, "-C", str(published), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(published), "commit", "-q", "-m", "publish"], check=True)
    clone, site = tmp_path / "clone", tmp_path / "site"
    subprocess.run(["git", "clone", "-q", "-b", REF, str(published), str(clone)], check=True)
    spec = SPEC.replace("https://github.com/test-owner/test-course", clone.as_uri())
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(site), spec], check=True, capture_output=True)
    assert {p.name for p in (site / "utils" / "checks" / "expected").glob("*.json")} == {
        Path(p).name for p in _student_package() if p.endswith(".json")}

    path = clone / "release" / "01_perceptron" / "01_perceptron.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import utils; print(utils.__file__)"))
    monkeypatch.setenv("PYTHONPATH", str(site))   # (the kernel starts in the notebook's folder)
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    printed = [o.get("text", "") for o in nb.cells[-1].outputs]
    assert printed == [f"{site / 'utils' / '__init__.py'}\n"], nb.cells[-1].outputs
    summary = "".join(o.get("text", "") for o in nb.cells[-2].outputs)
    assert "check_all" in nb.cells[-2].source and "0/4 exercises pass their visible checks" in summary, summary
    for cell in nb.cells:
        for error in (o for o in cell.outputs if o.output_type == "error") if cell.cell_type == "code" else ():
            assert error.ename in ("CheckFailure", "NotImplementedError", "ValueError"), (error.ename, error.evalue)


@pytest.mark.parametrize("repository", ["gitlab.com/test-owner/test-course", "bitbucket.org/test-owner/test-course",
                                        "git.example.edu/group/sub/test-course"])
def test_a_host_colab_cannot_open_is_refused_with_the_reason(repository, tmp_path, capsys):
    dest = tmp_path / "public"
    with pytest.raises(SystemExit) as refused:
        cli.main(["publish", str(dest), "--repository", repository])
    reason = str(refused.value)
    assert "Colab opens a notebook by URL only from a GitHub repository" in reason and "Mirror" in reason
    assert not dest.exists()
    with pytest.raises(build.RepositoryError) as build_refused:   # the build: the same check, the same words
        build.build_release(tmp_path / "release", tmp_path / "course", {**build.course_config(), "repository": repository})
    assert str(build_refused.value) in reason
    assert not (tmp_path / "release").exists() and not (tmp_path / "course").exists()


@pytest.mark.parametrize("repository, ref", [
    ("https://github.com/test-owner/test-course", REF), ("github.com/test-owner", REF),
    ("github.com/test-owner/test-course.git", REF), ("github.com/-owner/test-course", REF),
    ("github.com/test-owner/..", REF), (REPOSITORY, "a..b"), (REPOSITORY, "-x"), (REPOSITORY, 'main"; rm -rf ~; "'),
    (REPOSITORY, "main branch"), (REPOSITORY, "main/"), (REPOSITORY, ""), (REPOSITORY, 2027),
    ("github.com/o--/test-course", REF), ("github.com/test-owner/n.", REF), (REPOSITORY, ".hidden"),
    (REPOSITORY, "a.lock/b"), (REPOSITORY, "main.")])
def test_a_malformed_repository_or_ref_is_refused(repository, ref, tmp_path):
    with pytest.raises(build.RepositoryError, match="repository|ref"):
        publish.publish(tmp_path / "public", repository, ref)
    assert not (tmp_path / "public").exists()


def test_publish_writes_only_outside_this_repository_and_over_its_own_files(tmp_path):
    inside = paths.BUILD / "publish-test"
    with pytest.raises(publish.PublishError, match="inside this instructor repository"):
        publish.publish(inside, REPOSITORY, REF)
    assert not inside.exists()
    with pytest.raises(publish.PublishError, match="inside this instructor repository"):
        publish.publish(paths.ROOT.parent, REPOSITORY, REF)
    someone = tmp_path / "someone"
    (someone / "release").mkdir(parents=True)
    (someone / "release" / "notes.md").write_text("mine")
    with pytest.raises(publish.PublishError, match="not a previous publish"):
        publish.publish(someone, REPOSITORY, REF)
    assert (someone / "release" / "notes.md").read_text() == "mine"
    (someone / publish.MANIFEST).write_text("release/notes.md\n../outside.md\n")   # a forged list
    with pytest.raises(publish.PublishError, match="edited"):
        publish.publish(someone, REPOSITORY, REF)
    assert (someone / "release" / "notes.md").read_text() == "mine"


def test_a_new_publish_replaces_the_previous_one_and_nothing_else(published, tmp_path):
    """An older publish (its own notebook since dropped, another README) in a clone: replaced by the
    new one, `.git` untouched."""
    previous = tmp_path / "previous"
    shutil.copytree(published, previous, ignore=shutil.ignore_patterns(".git"))
    (previous / ".git").mkdir()
    (previous / ".git" / "HEAD").write_text("the public repository's history")
    (previous / "release" / "99_gone").mkdir()
    (previous / "release" / "99_gone" / "99_gone.ipynb").write_text("{}")
    (previous / "README.md").write_text("old")
    publish.write_manifest(previous)   # (as that publish wrote it)

    publish.replace(previous, published)
    assert _tree(previous) == _tree(published) and (previous / ".git" / "HEAD").exists()
    assert not (previous / "release" / "99_gone").exists()
    assert (previous / "README.md").read_bytes() == (published / "README.md").read_bytes()

    (previous / "utils" / "mine.py").write_text("# someone's")   # a file no publish wrote: left alone
    with pytest.raises(publish.PublishError, match="utils/mine.py"):
        publish.replace(previous, published)
    assert (previous / "utils" / "mine.py").exists() and (previous / "README.md").exists()


def test_verify_names_every_piece_of_instructor_content(published, tmp_path, secrets):
    tree = tmp_path / "tree"
    shutil.copytree(published, tree, ignore=shutil.ignore_patterns(".git"))
    publish_check.verify(tree, secrets)   # as published: the honest control
    notebook = tree / "release" / "01_perceptron" / "01_perceptron.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("### BEGIN SOLUTION\nw = 1\n### END SOLUTION"))
    nbformat.write(nb, notebook)
    (tree / "source" / "01_perceptron").mkdir(parents=True)
    shutil.copy(paths.source_script("01_perceptron"), tree / "source" / "01_perceptron")
    shutil.copy(paths.ROOT / "autograder" / "hidden" / "softmax.py", tree / "utils" / "checks" / "more_softmax.py")
    shutil.copy(paths.ROOT / "autograder" / "references" / "softmax.py", tree / "utils" / "tf_softmax.py")
    with open(tree / "utils" / "plots.py", "a") as f:
        f.write(f"\nfrom autograder.hidden import grade\n{_material(secrets)['short']}\n")
    (tree / "utils" / "notes.txt").write_text("")
    pyproject = tree / "pyproject.toml"
    pinned = pyproject.read_text().replace('"numpy>=', '"numpy==', 1)   # (pip would replace Colab's numpy)
    assert pinned != pyproject.read_text()
    pyproject.write_text(pinned)

    with pytest.raises(publish.PublishError) as refused:
        publish_check.verify(tree, secrets)
    problems = str(refused.value)
    for expected in ["01_perceptron.ipynb: contains 'BEGIN SOLUTION'", "source/01_perceptron/01_perceptron.py: instructor-only",
                     "utils/checks/more_softmax.py: a copy of autograder/hidden/softmax.py",
                     "utils/tf_softmax.py: a copy of autograder/references/softmax.py",
                     "utils/plots.py: imports the grader", "utils/plots.py: 1 statement(s) of a solution",
                     "utils/notes.txt: not", "pyproject.toml: 'numpy=="]:
        assert expected in problems, (expected, problems)


def test_prose_about_the_grader_is_not_an_import(published, tmp_path, secrets):
    """N4, FP2: a notebook's markdown or a docstring that mentions the autograder is no leak."""
    tree = tmp_path / "tree"
    shutil.copytree(published, tree, ignore=shutil.ignore_patterns(".git"))
    notebook = tree / "release" / "01_perceptron" / "01_perceptron.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("Submit the notebook as it is: the autograder reruns it."))
    nbformat.write(nb, notebook)
    gradcheck = tree / "utils" / "gradcheck.py"
    gradcheck.write_text('"""Seeds differ from the grader\'s: import autograder results never reach students."""\n'
                         + gradcheck.read_text())
    publish_check.verify(tree, secrets)


# ---- the red team's attacks (autograder/adversarial.py: publish_cases) ------------------------------

def _material(secrets) -> dict:
    """What the cases plant: a solution region of 02 with several statements (no block in it), a
    short solution statement, and 02's hidden check and references."""
    a = adversarial.PUBLISH_ASSIGNMENT
    regions = [textwrap.dedent("\n".join(publish_check._region(cell.source, "solution").values()))
               for cell in jupytext.read(paths.source_script(a)).cells if cell.cell_type == "code"]

    def statements(code):
        try:
            return [s for d, s in publish_check._statements(ast.parse(code)).items() if d in secrets.statements]
        except SyntaxError:
            return []
    solution = next(r for r in regions if len(statements(r)) >= 3 and "\n " not in r)
    short = next(ast.unparse(s) for r in regions for s in statements(r) if len(ast.unparse(s)) < 25)
    read = lambda folder: (paths.ROOT / "autograder" / folder / "backprop.py").read_text(encoding="utf-8")
    return {"solution": solution, "short": short, "hidden": read("hidden"), "reference": read("references")}


CASES = adversarial.publish_cases("x = f(1)", "y = g(x)", "", "")   # (their names and kinds)


@pytest.fixture(scope="module")
def cases(secrets) -> dict:
    return adversarial.publish_cases(**_material(secrets))


def _plant(case, root: Path, outside: Path | None = None) -> None:
    fill = lambda text: text.replace("{outside}", str(outside)).replace("{repository}", str(paths.ROOT))
    for rel, text in (case.write or {}).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    for rel, text in (case.append or {}).items():
        with open(root / rel, "a") as f:
            f.write(text)
    for rel in case.folders:
        (root / rel).mkdir(parents=True)
    for rel, target in (case.links or {}).items():
        os.symlink(fill(target), root / rel)
    if case.substitute:
        rel, pattern, replacement = case.substitute
        text = (root / rel).read_text()
        planted = re.sub(pattern, replacement, text, count=1)
        assert planted != text, f"the case no longer plants anything in {rel}"
        (root / rel).write_text(planted)
    if case.manifest:
        digest = lambda m: hashlib.sha256((root / m.group(1)).read_bytes()).hexdigest()
        with open(root / case.dest / publish.MANIFEST, "a") as f:
            f.write("".join(re.sub(r"\{sha:([^}]+)\}", digest, line) + "\n" for line in case.manifest))


def _snapshot(root: Path) -> dict:
    """Every path under `root` with what it is and holds (links not followed)."""
    out = {}
    for folder, dirs, names in os.walk(root):
        for name in dirs + names:
            p = Path(folder) / name
            out[str(p)] = os.readlink(p) if p.is_symlink() else p.read_bytes() if p.is_file() else "folder"
    return out


def _refused(case, call):
    if case.refusal:
        with pytest.raises((publish.PublishError, build.SourceError)) as refused:
            call()
        assert case.refusal in str(refused.value), (case.what, str(refused.value))
        return None
    return call()


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.where == TREE])
def test_a_planted_tree_is_refused(name, cases, published, tmp_path, secrets):
    case = cases[name]
    tree = tmp_path / "tree"
    shutil.copytree(published, tree, ignore=shutil.ignore_patterns(".git"))
    _plant(case, tree)
    _refused(case, lambda: publish_check.verify(tree, secrets))


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.where == PACKAGE])
def test_only_tracked_utils_files_are_staged(name, cases, tmp_path):
    """A git clone of this repository's utils (tracked files, as they are in the working tree)."""
    case, root, tree = cases[name], tmp_path / "repo", tmp_path / "tree"
    tracked = sorted(_student_package())
    for rel in [*tracked, ".gitignore"]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(paths.ROOT / rel, root / rel)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    _plant(case, root)
    if case.track:
        subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    untracked = _refused(case, lambda: publish.stage_package(tree, root))
    if not case.refusal:
        assert sorted(_tree(tree)) == tracked, case.what
        assert not [rel for rel in case.left_out if (tree / rel).exists()]
        assert set(map(str, untracked)) <= set(case.left_out)


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.where == PREVIOUS])
def test_a_planted_previous_publish_is_refused_and_nothing_changes(name, cases, published, tmp_path):
    case, root = cases[name], tmp_path / "place"
    shutil.copytree(published, root / "dir", ignore=shutil.ignore_patterns(".git"))
    (root / "dir" / ".git").mkdir()
    (root / "dir" / ".git" / "HEAD").write_text("history")
    (root / "outside" / "sub").mkdir(parents=True)
    (root / "outside" / "important.py").write_text("# outside DIR\n")
    (root / "outside" / "sub" / "deep.py").write_text("# outside DIR\n")
    _plant(case, root, outside=root / "outside")
    before = _snapshot(root)
    dest = root / case.dest
    _refused(case, lambda: publish.replace(dest, published))
    after = _snapshot(root)
    outside_dest = lambda snapshot: {p: v for p, v in snapshot.items() if not Path(p).is_relative_to(dest)}
    assert outside_dest(after) == outside_dest(before), case.what
    if case.refusal:
        assert after == before, case.what
    else:
        assert _tree(dest) == _tree(published), case.what
        assert (dest / ".git").read_bytes() == before[str(dest / ".git")]


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.where == SOURCE])
def test_a_planted_source_notebook_stops_the_build(name, cases, tmp_path, monkeypatch):
    case = cases[name]
    planted = tmp_path / case.substitute[0]
    planted.parent.mkdir(parents=True)
    shutil.copyfile(paths.ROOT / case.substitute[0], planted)
    _plant(case, tmp_path)
    real = paths.source_script
    monkeypatch.setattr(paths, "source_script", lambda a: planted if a == adversarial.PUBLISH_ASSIGNMENT else real(a))
    nb = _refused(case, lambda: build.text_to_notebook(adversarial.PUBLISH_ASSIGNMENT))
    if nb is not None:
        assert case.absent and case.absent not in json.dumps(nb), case.what


def test_a_dir_under_a_file_is_refused_before_the_build(tmp_path, monkeypatch):
    """D10: refused at once, not after building (the build is not reached)."""
    (tmp_path / "afile").write_text("x")
    monkeypatch.setattr(build, "build_release", lambda *a, **k: pytest.fail("built"))
    with pytest.raises(publish.PublishError, match="is not a folder"):
        publish.publish(tmp_path / "afile" / "public", REPOSITORY, REF)
