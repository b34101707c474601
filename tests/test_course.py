"""The course definition and the notebooks agree; every exercise is wired to both kinds of check."""
import re

import pytest

from autograder import build
from autograder.hidden import registries as hidden_registries
from utils.checks import registries as visible_registries


def _graded(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


@pytest.fixture(scope="module")
def notebooks(assignments):
    return {a: build.text_to_notebook(a) for a in assignments}


def test_points_in_course_yml_match_the_notebooks(notebooks):
    for a in build.course_config()["assignments"]:
        total = sum(c.metadata["nbgrader"]["points"] for c in _graded(notebooks[a["id"]]))
        if not build.is_graded(a):   # graded: false (00_setup): no points anywhere
            assert "points" not in a and total == 0, f"{a['id']} is not graded but has points"
            continue
        assert total == a["points"], f"{a['id']}: course.yml says {a['points']}, notebook has {total}"


def test_every_answer_cell_has_a_test_cell_with_visible_and_hidden_checks(notebooks):
    visible = {n for r in visible_registries() for n in r.factories}
    hidden = {n for r in hidden_registries() for n in r.factories}
    for a, nb in notebooks.items():
        answers = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
                   if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")]
        if not build.is_graded(a):   # an ungraded notebook has nothing to answer or grade
            assert not answers and not _graded(nb), f"{a} is not graded but has answer or graded cells"
            continue
        assert answers, f"{a} has no autograded exercise"
        tests = {c.metadata["nbgrader"]["grade_id"]: c.source for c in _graded(nb) if c.cell_type == "code"}
        for name in answers:
            src = tests.get(f"test_{name}")
            assert src is not None, f"{a}: exercise {name} has no test cell test_{name}"
            assert f'check("{name}", {name})' in src, f"{a}: test_{name} does not call check"
            hidden_part = src.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
            assert f'grade("{name}", {name})' in hidden_part, f"{a}: test_{name} has no hidden grade call"
            assert name in visible and name in hidden, f"{name}: missing a visible or hidden check"
        manual = [c for c in _graded(nb) if c.cell_type == "markdown"]
        assert manual, f"{a} has no written (manually graded) question"


def test_test_cells_hold_no_logic(notebooks):
    """Only check/grade calls: a deleted or edited test cell on Colab cannot change a grade."""
    allowed = re.compile(r'^(check\("\w+", \w+\)|### (BEGIN|END) HIDDEN TESTS|'
                         r'from autograder\.hidden import grade; grade\("\w+", \w+\))$')
    for a, nb in notebooks.items():
        for cell in _graded(nb):
            if cell.cell_type == "code":
                for line in cell.source.strip().splitlines():
                    assert allowed.match(line), f"{a}/{cell.metadata['nbgrader']['grade_id']}: {line!r}"


def test_every_test_call_finds_its_own_notebooks_check(notebooks):
    """Exercise names are per notebook: each test cell's check, looked up as the grader does (by
    the names the notebook's test cells check), is that notebook's, visible and hidden."""
    from autograder.hidden import find as find_hidden
    from autograder.verdict import test_calls
    from utils.checks import find as find_visible
    for a, nb in notebooks.items():
        calls = [call for c in _graded(nb) if c.cell_type == "code" for call in test_calls(c.source)]
        names = {name for _, name in calls}
        for kind, name in calls:
            registry = (find_hidden if kind == "hidden" else find_visible)(name, names)
            assert registry.assignment == a, (a, kind, name, registry.assignment)
    for regs in (list(visible_registries()), list(hidden_registries())):
        assert len({r.assignment for r in regs}) == len(regs)   # one registry per notebook


def test_glossary_lists_the_korean_terms_used(notebooks):
    from autograder import paths
    glossary = (paths.COURSE / "glossary.md").read_text(encoding="utf-8")
    for a, nb in notebooks.items():
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        for term in set(re.findall(r"[\uac00-\ud7a3][\uac00-\ud7a3 ]*[\uac00-\ud7a3]|[\uac00-\ud7a3]", text)):
            assert term in glossary, f"{a} uses the Korean term {term!r}, missing from course/glossary.md"
