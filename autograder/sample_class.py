"""The bundled sample class: three submissions per assignment, graded end to end with nbgrader.

- `sample-solution`: the release notebook with every answer cell filled from the source;
- `sample-blank`: the release notebook as a student receives it;
- `sample-half-right`: the release notebook with the answers in `samples/NN/half_right.py`.

`samples/NN/half_right.py` starts with `# expected score: N`; tests assert the grade matches.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat

from . import paths
from .build import canonical

STUDENTS = ("sample-solution", "sample-blank", "sample-half-right")
PROBE_MARKER = "SAMPLE-FACTS "
_MARKERS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")
_BLOCK = re.compile(r"^# %% (\S+)\s*$", re.MULTILINE)


def _is_answer(cell) -> bool:
    return cell.metadata.get("nbgrader", {}).get("solution", False)


def _grade_id(cell) -> str:
    return cell.metadata["nbgrader"]["grade_id"]


def solution_answers(course: Path, assignment: str) -> dict[str, str]:
    """Answer-cell text of the instructor notebook, solution markers removed."""
    nb = nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    return {_grade_id(c): "\n".join(l for l in c.source.splitlines() if not _MARKERS.match(l))
            for c in nb.cells if _is_answer(c)}


def half_right_answers(assignment: str) -> tuple[dict[str, str], int]:
    """The half-right student's answers by grade id, and the score the file says they earn."""
    text = (paths.SAMPLES / assignment / "half_right.py").read_text(encoding="utf-8")
    expected = re.search(r"^# expected score: (\d+(?:\.\d+)?)\s*$", text, re.MULTILINE)
    if not expected:
        raise ValueError(f"samples/{assignment}/half_right.py must start with '# expected score: N'")
    parts = _BLOCK.split(text)
    answers = {gid: body.strip("\n") for gid, body in zip(parts[1::2], parts[2::2])}
    return answers, float(expected.group(1))


def fill(release_nb, answers: dict[str, str]):
    nb = nbformat.from_dict(release_nb)
    unknown = set(answers) - {_grade_id(c) for c in nb.cells if _is_answer(c)}
    if unknown:
        raise ValueError(f"answers for cells that are not answer cells: {sorted(unknown)}")
    for cell in nb.cells:
        if _is_answer(cell) and _grade_id(cell) in answers:
            cell.source = answers[_grade_id(cell)]
    return nb


def roster():
    """The sample class's roster: its three students, named for what they submit."""
    from .roster import Roster, Student
    return Roster([Student(s, first_name="Sample", last_name=s.removeprefix("sample-").replace("-", " "))
                   for s in STUDENTS])


def probe_cell(probe: str):
    """A last code cell that runs `probe` (code that sets `facts`, from the notebook's own
    variables) and prints `facts` as one JSON line after PROBE_MARKER (numpy values as lists)."""
    return nbformat.v4.new_code_cell(
        probe.rstrip("\n") + "\n\nimport json as _json\n"
        f"print({PROBE_MARKER!r} + _json.dumps(facts, default=lambda value: value.tolist()))")


def probed_facts(graded_nb) -> dict:
    """What the probe cell of a graded notebook printed (see `probe_cell`)."""
    import json
    for cell in reversed(graded_nb.cells):
        for out in cell.get("outputs", []) if cell.cell_type == "code" else ():
            for line in out.get("text", "").splitlines():
                if line.startswith(PROBE_MARKER):
                    return json.loads(line[len(PROBE_MARKER):])
    raise LookupError(f"no line starting with {PROBE_MARKER!r} in the notebook's outputs")


def write_submissions(folder: Path, assignment: str, course: Path,
                      release_dir: Path = paths.RELEASE, probe: str | None = None) -> dict[str, Path]:
    """Write the three sample submissions in nbgrader's layout: `folder/<student>/<assignment>/`.
    `probe`: code appended as the solution's last cell (`probe_cell`), so that a test can read
    the facts of the solution's run from its graded notebook instead of running it again."""
    release_nb = nbformat.read(release_dir / assignment / f"{assignment}.ipynb", as_version=4)
    notebooks = {
        "sample-solution": fill(release_nb, solution_answers(course, assignment)),
        "sample-blank": fill(release_nb, {}),
        "sample-half-right": fill(release_nb, half_right_answers(assignment)[0]),
    }
    if probe:
        notebooks["sample-solution"].cells.append(probe_cell(probe))
    written = {}
    for student, nb in notebooks.items():
        target = folder / student / assignment / f"{assignment}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(canonical(nb), encoding="utf-8")
        written[student] = target
    return written


def predicted_score(assignment: str, namespace: dict) -> tuple[float, float, float]:
    """The score the half-right answers earn, judged in this process rather than by the grader:
    `(earned, declared in the file, autograded total)`.

    The answers run in a copy of `namespace` (the notebook's imports and given helpers, e.g. what
    `load_solutions` returns) with the reference versions of the exercises removed, so an
    unanswered exercise cannot pass on the reference. Each test cell then earns its points when
    every check it calls (visible, then hidden) passes, as in grading.
    """
    import jupytext
    import numpy as np

    from utils.checks import find as find_visible
    from utils.checks.core import CheckFailure, run_checks

    from . import hidden
    from .verdict import test_calls

    answers, declared = half_right_answers(assignment)
    tests = [(c.metadata["nbgrader"]["points"], test_calls(c.source))
             for c in jupytext.read(paths.source_script(assignment)).cells
             if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
             and not c.metadata["nbgrader"].get("solution")]
    exercises = {name for _, calls in tests for _, name in calls}
    env = {k: v for k, v in namespace.items() if k not in exercises}
    for grade_id, source in answers.items():
        exec(compile(source, f"<half_right {grade_id}>", "exec"), env)
    earned = 0.0
    for points, calls in tests:
        try:
            with np.errstate(all="ignore"):
                for kind, name in calls:
                    registry = (find_visible(name, notebook=assignment) if kind == "visible"
                                else hidden.find(name, notebook=assignment))
                    run_checks(registry, name, env.get(name), quiet=True)
        except CheckFailure:
            continue
        earned += points
    return earned, declared, float(sum(points for points, _ in tests))
