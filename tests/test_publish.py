"""`python -m autograder publish DIR`: the public student repository holds the student files only,
points at the repository it is published for, installs `utils` from a clone and runs a notebook; a
host Colab cannot open is refused, and so is a DIR where publishing could touch someone's files."""
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from autograder import __main__ as cli
from autograder import build, paths, publish

REPOSITORY, REF = "github.com/test-owner/test-course", "spring-2027"   # not course.yml's
COLAB = f"https://colab.research.google.com/github/test-owner/test-course/blob/{REF}/release"
SPEC = f"git+https://github.com/test-owner/test-course@{REF}"


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("publish") / "public"
    publish.publish(dest, REPOSITORY, REF)
    return dest


def _tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")
            if p.is_file() and ".git" not in p.relative_to(root).parts}


def _student_package() -> set[str]:
    package = paths.ROOT / "utils"
    return {p.relative_to(paths.ROOT).as_posix()
            for p in [*package.rglob("*.py"), *(package / "checks" / "expected").glob("*.json")]}


def test_the_tree_holds_student_files_only(published, assignments):
    """Every release notebook, the utils package and the instructor repository's pyproject.toml, and
    nothing else: no source notebook, sample answer, hidden check or reference."""
    notebooks = {f"release/{a}/{a}.ipynb" for a in assignments}
    assert _tree(published) == notebooks | _student_package() | {
        "README.md", "pyproject.toml", ".gitignore", publish.MANIFEST}
    for rel in [*_student_package(), "pyproject.toml"]:
        assert (published / rel).read_bytes() == (paths.ROOT / rel).read_bytes(), rel
    secrets = publish.secret_lines()
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
        p.name for p in (paths.ROOT / "utils" / "checks" / "expected").glob("*.json")}

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
    (REPOSITORY, "main branch"), (REPOSITORY, "main/"), (REPOSITORY, ""), (REPOSITORY, 2027)])
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
    previous = tmp_path / "previous"
    shutil.copytree(published, previous, ignore=shutil.ignore_patterns(".git"))
    (previous / ".git").mkdir()
    (previous / ".git" / "HEAD").write_text("the public repository's history")
    (previous / "release" / "99_gone").mkdir()
    (previous / "release" / "99_gone" / "99_gone.ipynb").write_text("{}")
    with open(previous / publish.MANIFEST, "a") as manifest:
        manifest.write("release/99_gone/99_gone.ipynb\n")
    (previous / "README.md").write_text("old")

    publish.replace(previous, published)
    assert _tree(previous) == _tree(published) and (previous / ".git" / "HEAD").exists()
    assert not (previous / "release" / "99_gone").exists()
    assert (previous / "README.md").read_bytes() == (published / "README.md").read_bytes()

    (previous / "utils" / "mine.py").write_text("# someone's")   # a file no publish wrote: left alone
    with pytest.raises(publish.PublishError, match="utils/mine.py"):
        publish.replace(previous, published)
    assert (previous / "utils" / "mine.py").exists() and (previous / "README.md").exists()


def test_verify_names_every_piece_of_instructor_content(published, tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(published, tree, ignore=shutil.ignore_patterns(".git"))
    publish.verify(tree)   # as published
    notebook = tree / "release" / "01_perceptron" / "01_perceptron.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("### BEGIN SOLUTION\nw = 1\n### END SOLUTION"))
    nbformat.write(nb, notebook)
    (tree / "source" / "01_perceptron").mkdir(parents=True)
    shutil.copy(paths.source_script("01_perceptron"), tree / "source" / "01_perceptron")
    shutil.copy(paths.ROOT / "autograder" / "hidden" / "softmax.py", tree / "utils" / "checks" / "more_softmax.py")
    shutil.copy(paths.ROOT / "autograder" / "references" / "softmax.py", tree / "utils" / "tf_softmax.py")
    with open(tree / "utils" / "plots.py", "a") as f:
        f.write(f"\nfrom autograder.hidden import grade\n{sorted(publish.secret_lines())[0]}\n")
    (tree / "utils" / "notes.txt").write_text("")
    pyproject = tree / "pyproject.toml"
    pinned = pyproject.read_text().replace('"numpy>=', '"numpy==', 1)   # (pip would replace Colab's numpy)
    assert pinned != pyproject.read_text()
    pyproject.write_text(pinned)

    with pytest.raises(publish.PublishError) as refused:
        publish.verify(tree)
    problems = str(refused.value)
    for expected in ["01_perceptron.ipynb: contains 'BEGIN SOLUTION'", "source/01_perceptron/01_perceptron.py: instructor-only",
                     "utils/checks/more_softmax.py: a copy of autograder/hidden/softmax.py",
                     "utils/tf_softmax.py: a copy of autograder/references/softmax.py",
                     "utils/plots.py: imports the grader", "utils/plots.py: solution or hidden-test lines",
                     "utils/notes.txt: not", "pyproject.toml: 'numpy=="]:
        assert expected in problems, (expected, problems)
