"""release/ is exactly what the build makes from source/, and is what a student should get."""
import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell

from autograder import build, paths


def test_release_matches_a_fresh_build(built_course, assignments):
    _, fresh = built_course
    committed = sorted(p.relative_to(paths.RELEASE) for p in paths.RELEASE.rglob("*.ipynb"))
    rebuilt = sorted(p.relative_to(fresh) for p in fresh.rglob("*.ipynb"))
    assert committed == rebuilt == [paths.Path(a, f"{a}.ipynb") for a in assignments]
    for rel in committed:
        assert (paths.RELEASE / rel).read_bytes() == (fresh / rel).read_bytes(), (
            f"release/{rel} is stale: run `./run.sh release` and commit the result")


def test_build_is_deterministic(built_course, graded_class, assignments):
    """Two builds in different folders give the same bytes: this session's and the one the sample
    class was graded from (tests/conftest.py builds it beside its course folder)."""
    _, first = built_course
    again = graded_class[0].parent / "release"
    assert again != first
    for a in assignments:
        assert (first / a / f"{a}.ipynb").read_bytes() == (again / a / f"{a}.ipynb").read_bytes()


@pytest.mark.parametrize("assignment", build.assignment_ids())
def test_release_notebook_shape(assignment):
    nb = nbformat.read(paths.RELEASE / assignment / f"{assignment}.ipynb", as_version=4)
    nbformat.validate(nb)
    badge, setup = nb.cells[0], nb.cells[1]
    assert "colab.research.google.com" in badge.source and f"release/{assignment}/{assignment}.ipynb" in badge.source
    assert build.install_spec() in setup.source
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            assert "raise NotImplementedError()" in cell.source or "YOUR ANSWER HERE" in cell.source
        elif meta:
            assert meta["locked"] and not cell.metadata.get("editable", True)


class _FakePip:
    def __init__(self):
        self.calls = []

    def __call__(self, line):
        self.calls.append(line)


@pytest.mark.parametrize("assignment", build.assignment_ids())
@pytest.mark.parametrize("on_colab", [False, True])
def test_setup_cell_installs_utils_only_on_colab(assignment, on_colab, monkeypatch):
    """Every release notebook's setup cell, run as on Colab (where the runtime has imported
    `google.colab` before any cell runs) and as in a plain local kernel."""
    import sys
    import types
    nb = nbformat.read(paths.RELEASE / assignment / f"{assignment}.ipynb", as_version=4)
    shell = InteractiveShell.instance()
    pip = _FakePip()
    shell.register_magic_function(pip, magic_kind="line", magic_name="pip")
    if on_colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    result = shell.run_cell(nb.cells[1].source)
    assert result.success
    if on_colab:
        assert pip.calls == [f'install -q "{build.install_spec()}"']
    else:
        assert pip.calls == []
