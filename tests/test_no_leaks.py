"""No solution, hidden test or instructor module reaches students: not in release/, not in `utils`,
not in the wheel `pip install` builds for Colab."""
import zipfile
from pathlib import PurePosixPath

import nbformat

from autograder import paths
from autograder.publish_check import IMPORTS_GRADER, INSTRUCTOR_FOLDERS, SECRET_MARKERS, secret_lines


def _release_text():
    for path in sorted(paths.RELEASE.rglob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        yield path, "\n".join(c.source for c in nb.cells)


def test_there_are_secrets_to_look_for():
    assert len(secret_lines()) > 20


def test_release_has_no_solutions_or_hidden_tests():
    secrets = secret_lines()
    for path, text in _release_text():
        for marker in SECRET_MARKERS:
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
        assert not any({*INSTRUCTOR_FOLDERS, "release"} & set(PurePosixPath(n).parts) for n in names), names
        secrets = secret_lines()
        for n in code:
            text = z.read(n).decode("utf-8", errors="replace")
            assert not IMPORTS_GRADER.search(text), n
            stripped = {l.strip() for l in text.splitlines()}
            assert not secrets & stripped, f"{n} in the wheel contains solution lines"
