"""The adversarial sample class: submissions that break naive autograders, each with the result it
must get. Built from assignment 01's release and reference answers, so it follows the notebook.

    write_class(folder, course)  ->  {student: Expected}

Every case is graded in one run together with honest students; tests/test_adversarial.py asserts
each score and that a reason is reported.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import nbformat

from . import paths
from .sample_class import fill, solution_answers

ASSIGNMENT = "01_perceptron"
FULL = 12   # autograded points of 01


@dataclass
class Expected:
    score: float
    reason: str          # a phrase the student's notes or verdicts must contain ("" for none)
    what: str
    also: tuple = ()     # other scores that are as fair, where the outcome depends on timing

    def accepts(self, score: float) -> bool:
        return score == self.score or score in self.also


def _cells(nb) -> list:
    return nb["cells"]


def _code(source: str) -> dict:
    return nbformat.v4.new_code_cell(source)


def _insert_after(nb, grade_id: str, cell) -> None:
    cells = _cells(nb)
    i = next(k for k, c in enumerate(cells) if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id)
    cells.insert(i + 1, cell)


def _set_answer(nb, grade_id: str, source: str) -> None:
    for c in _cells(nb):
        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            c["source"] = source


def _answer(nb, grade_id: str) -> str:
    return next(c["source"] for c in _cells(nb)
                if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id)


def _tests(nb) -> list:
    return [c for c in _cells(nb) if c.get("metadata", {}).get("nbgrader", {}).get("grade")
            and not c["metadata"]["nbgrader"].get("solution") and c["cell_type"] == "code"]


def cases(solution, blank, secrets: list[str], targets: list[str]) -> dict[str, tuple[bytes, Expected]]:
    """student id -> (file content, expected result)."""
    out: dict[str, tuple[bytes, Expected]] = {}

    def add(student, nb, expected, raw: bytes | None = None):
        out[student] = (raw if raw is not None else nbformat.writes(nbformat.from_dict(nb)).encode(), expected)

    def sol():
        return copy.deepcopy(solution)

    add("honest", sol(), Expected(FULL, "", "the reference answers"))

    nb = sol()
    _insert_after(nb, "perceptron_train", _code("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"))
    add("infinite-loop", nb, Expected(2, "stuck", "a loop that ignores interrupts after the second answer"))

    nb = sol()
    _insert_after(nb, "perceptron_train", _code("import time\ntime.sleep(3600)"))
    add("slow-cell", nb, Expected(FULL, "ran past the", "a cell past the time limit, interrupted; the rest still runs"))

    nb = sol()
    # One request larger than the machine (filled, so without the cap it would really take 27 GB).
    # Growing a list block by block hits the same cap, but how long that takes depends on how fast
    # the machine faults pages in (13 s for 4 GB here once), so it would race the cell time limit.
    _set_answer(nb, "one_hot", "import numpy as np\ndistances = np.ones((60000, 60000))\n" + _answer(nb, "one_hot"))
    add("memory-bomb", nb, Expected(FULL - 3, "MemoryError", "asks for a 27 GB matrix, more than the memory cap"))

    nb = sol()
    _insert_after(nb, "xor_params", _code("import os\nfor _ in range(100000):\n    os.fork()"))
    # Every fork copies the kernel, sockets included, so what follows depends on timing: the kernel
    # answers the interrupt and every answer is graded (12), or a copy takes over and a later cell
    # is stuck (the third answer's test lost with the bomb's cell, 6, or not, 9). Either way the
    # bomb is contained and the answers graded before it keep their credit.
    add("fork-bomb", nb, Expected(FULL, "ran past the", "forks until the process cap after the third answer",
                                  also=(FULL - 6, FULL - 3)))

    nb = sol()
    _insert_after(nb, "perceptron_predict", _code("import sys\nsys.exit()"))
    add("sys-exit", nb, Expected(FULL, "", "sys.exit() (IPython only reports it)"))

    nb = sol()
    _insert_after(nb, "perceptron_train", _code("import os\nos._exit(1)"))
    add("os-exit", nb, Expected(2, "kernel died", "os._exit() kills the kernel after the second answer"))

    nb = sol()
    _set_answer(nb, "one_hot", _answer(nb, "one_hot").replace("def one_hot(", "def one_hot(:"))
    add("syntax-error", nb, Expected(FULL - 3, "SyntaxError", "a SyntaxError in one answer"))

    nb = sol()
    nb["cells"] = [c for c in _cells(nb) if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") != "test_one_hot"]
    add("deleted-test", nb, Expected(FULL, "missing", "deleted a test cell"))

    nb = copy.deepcopy(blank)
    for c in _tests(nb):
        c["source"] = "print('all good')"
    add("edited-tests", nb, Expected(0, "edited", "blank answers, test cells replaced by prints"))

    nb = sol()
    for c in _cells(nb):
        c["metadata"].pop("nbgrader", None)
    add("no-metadata", nb, Expected(FULL, "lost its nbgrader metadata", "all nbgrader metadata stripped"))

    nb = sol()
    nb["metadata"]["colab"] = {"provenance": [], "name": "01_perceptron.ipynb"}
    for k, c in enumerate(_cells(nb)):
        c["id"] = f"Xc0l4b{k:04d}"
        c["metadata"] = {"id": c["id"], "colab": {"base_uri": "https://localhost:8080/"}}
        if c["cell_type"] == "code":
            c["outputs"], c["metadata"]["outputId"] = [], f"out-{k}"
    add("colab", nb, Expected(FULL, "lost its nbgrader metadata", "Colab re-save: new ids, colab keys, no nbgrader metadata"))

    nb = sol()
    cells = _cells(nb)
    i = next(k for k, c in enumerate(cells) if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "one_hot")
    dup = copy.deepcopy(cells[i])
    dup["id"] = "dup-one-hot"
    cells[i]["source"] = _answer(blank, "one_hot")        # the stub, then the real answer duplicated
    cells.insert(i + 1, dup)
    cells[3], cells[4] = cells[4], cells[3]
    add("reordered-duplicated", nb, Expected(FULL, "appeared 2 times", "cells swapped and an answer cell duplicated"))

    add("empty-file", None, Expected(0, "empty", "a zero-byte file"), raw=b"")
    add("invalid-json", None, Expected(0, "invalid JSON", "a truncated download"),
        raw=nbformat.writes(nbformat.from_dict(sol())).encode()[:500])

    nb = sol()
    _insert_after(nb, "perceptron_predict", _code("for i in range(200000):\n    print('spam' * 20)"))
    add("huge-output", nb, Expected(FULL, "", "prints 16 MB"))

    nb = sol()
    _insert_after(nb, "perceptron_predict", _code(
        "import glob\nfound = []\n"
        f"for pattern in ['../../source/*/*.ipynb', '../../gradebook.db', *{secrets!r}]:\n"
        "    found += glob.glob(pattern)\n"
        "print('LEAKED' if found else 'NOTHING-FOUND', found)"))
    add("reads-solutions", nb, Expected(FULL, "", "looks for source notebooks and the gradebook"))

    nb = sol()
    _insert_after(nb, "perceptron_predict", _code(
        f"for p in ['../../gradebook.db', *{targets!r}]:\n"
        "    try:\n        open(p, 'w').write('owned')\n    except OSError as e:\n        print('blocked', p, e)"))
    add("writes-outside", nb, Expected(FULL, "", "tries to overwrite the gradebook and write outside its folder"))

    nb = copy.deepcopy(blank)
    _insert_after(nb, "perceptron_predict", _code(
        "import numpy as np, utils.checks, utils.checks.core as core\n"
        "np.allclose = lambda *a, **k: True\nnp.array_equal = lambda *a, **k: True\n"
        "core.judge_output = lambda *a, **k: None\ncore.run_checks = lambda *a, **k: 1\n"
        "utils.checks.check = lambda *a, **k: print('passed!')\ncheck = utils.checks.check\n"
        "import autograder.hidden as h\nh.grade = lambda *a, **k: print('passed!')"))
    add("monkeypatch", nb, Expected(0, "recorded no result", "blank answers; replaces np.allclose, the judges and check()/grade()"))

    nb = copy.deepcopy(blank)
    for c in _tests(nb):
        c["metadata"]["tags"] = ["skip-execution"]
    add("skip-execution", nb, Expected(0, "not implemented", "blank answers, test cells tagged skip-execution"))

    nb = sol()
    _insert_after(nb, "perceptron_predict", _code(
        # What TensorFlow does, without its import (seconds per kernel): a warning through its
        # Python logger, one through `warnings`, and C++ log lines written to file descriptor 2.
        "import logging, os, sys, warnings\nlogging.getLogger('tensorflow').warning('a TensorFlow warning')\n"
        "warnings.warn('a library warning')\nprint('W0000 something on stderr', file=sys.stderr)\n"
        "os.write(2, b'I0000 port.cc:153] oneDNN custom operations are on.\\n')"))
    add("stderr-warnings", nb, Expected(FULL, "", "correct answers that print TensorFlow warnings to stderr"))

    add("renamed", sol(), Expected(FULL, "", "the notebook file renamed"))
    return out


def escape_targets(course: Path) -> list[str]:
    """Files the `writes-outside` student tries to write (the course's own, or harmless markers)."""
    return [str(course / "gradebook.db"), str(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"),
            "/tmp/dl-course-escape-marker", str(course.parent / "escape-marker")]


def write_class(folder: Path, course: Path, release_dir: Path) -> dict[str, Expected]:
    """Write the class in nbgrader's layout (one student's file renamed) and return the expectations."""
    release_nb = nbformat.read(release_dir / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    solution = nbformat.reads(nbformat.writes(fill(release_nb, solution_answers(course, ASSIGNMENT))), as_version=4)
    blank = nbformat.reads(nbformat.writes(release_nb), as_version=4)
    expected = {}
    # what a student must not reach: the instructor notebooks, the checks' source, the gradebook
    secrets = [str(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"), str(course / "gradebook.db"),
               str(paths.SOURCE / ASSIGNMENT / f"{ASSIGNMENT}.py"), str(paths.ROOT / "autograder" / "hidden" / "perceptron.py")]
    for student, (raw, exp) in cases(solution, blank, secrets, escape_targets(course)).items():
        name = "Copy of my notebook (2).ipynb" if student == "renamed" else f"{ASSIGNMENT}.ipynb"
        target = folder / student / ASSIGNMENT / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(raw)
        expected[student] = exp
    return expected
