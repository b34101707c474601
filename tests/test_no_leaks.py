"""No solution, hidden test or instructor module reaches students: not in release/, not in `utils`,
not in the wheel `pip install` builds for Colab."""
import re
import zipfile

import jupytext
import nbformat
import pytest

from autograder import build, paths

_REGIONS = {"solution": ("BEGIN SOLUTION", "END SOLUTION"),
            "hidden": ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")}


def _region_lines(text, kind):
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


def secret_lines():
    """Lines that only the instructor may see: solution bodies and hidden tests, long enough
    to be distinctive (a bare `return out` could appear anywhere)."""
    lines = set()
    for a in build.assignment_ids():
        nb = jupytext.read(paths.source_script(a))
        for cell in nb.cells:
            for kind in _REGIONS:
                lines.update(l for l in _region_lines(cell.source, kind) if len(l) >= 25)
    return lines


def _release_text():
    for path in sorted(paths.RELEASE.rglob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        yield path, "\n".join(c.source for c in nb.cells)


def test_there_are_secrets_to_look_for():
    assert len(secret_lines()) > 20


def test_release_has_no_solutions_or_hidden_tests():
    secrets = secret_lines()
    for path, text in _release_text():
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "autograder", "MARK SCHEME"):
            assert marker not in text, f"{path} contains {marker!r}"
        stripped = {l.strip().lstrip("#").strip() for l in text.splitlines()}
        assert not secrets & stripped, f"{path} contains solution lines: {sorted(secrets & stripped)[:3]}"


def test_utils_contains_no_solution_lines():
    secrets = secret_lines()
    for path in (paths.ROOT / "utils").rglob("*.py"):
        stripped = {l.strip() for l in path.read_text(encoding="utf-8").splitlines()}
        assert not secrets & stripped, f"{path} contains solution lines: {sorted(secrets & stripped)[:3]}"


def test_wheel_ships_utils_only(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        code = [n for n in names if not n.startswith("dl_course_utils-")]
        assert code and all(n.startswith("utils/") for n in code), code
        assert not any(re.search(r"autograder|source/|samples/|release/", n) for n in names)
        secrets = secret_lines()
        for n in code:
            text = z.read(n).decode("utf-8", errors="replace")
            assert "from autograder" not in text and "import autograder" not in text, n
            stripped = {l.strip() for l in text.splitlines()}
            assert not secrets & stripped, f"{n} in the wheel contains solution lines"
