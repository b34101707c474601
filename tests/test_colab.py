"""The course under Colab's own package versions (course/colab-constraints.txt), as a student there
meets it: `utils` installed by pip the way the setup cell does it, and every notebook run to its end
with correct answers. (Under the pinned versions the same notebooks run in the sample class:
tests/test_notebooks.py.) `python -m autograder colab` does the work in the background of the
session (tests/conftest.py); its environment is made once in build/colab-venv."""
import pytest

from autograder import build, colab_check


def _constraints() -> dict[str, str]:
    lines = colab_check.CONSTRAINTS.read_text(encoding="utf-8").splitlines()
    return dict(line.split("==") for line in lines if "==" in line and not line.startswith("#"))


def test_installing_utils_replaces_none_of_colabs_packages(colab_report):
    assert colab_report["changed"] == [], f"pip changed Colab's packages while installing utils: {colab_report['changed']}"
    imports, pins = colab_report["imports"], _constraints()
    assert {name: imports[name] for name in ("numpy", "matplotlib", "keras")} == \
        {name: pins[name] for name in ("numpy", "matplotlib", "keras")}
    assert imports["tensorflow"] == pins["tensorflow-cpu"]
    assert "site-packages" in imports["utils"], f"kernels import utils from {imports['utils']}, not the installed package"


@pytest.mark.parametrize("assignment", build.assignment_ids())
def test_notebook_runs_and_passes_under_colabs_versions(colab_report, assignment):
    """Every cell runs without an error and, in a graded notebook, check_all() reports every
    exercise passing."""
    runs = {r["assignment"]: colab_check.Run(**r) for r in colab_report["runs"]}
    run = runs[assignment]
    assert not run.errors, run.line()
    if build.is_graded(assignment):
        assert run.exercises is not None, f"{assignment}: check_all() printed no summary"
        passing, total = run.exercises
        assert passing == total > 0, run.line() + "\n" + run.summary
    assert run.ok
