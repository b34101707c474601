"""The similarity and integrity report (autograder/similarity.py) on a small class made from the
course's own sample notebooks: honest students, a planted copy in disguise, an answer to a numpy
exercise that calls TensorFlow autodiff, and a student whose id and answers are hostile HTML."""
from __future__ import annotations

import html.parser
import re
import subprocess
import sys
import time

import nbformat
import pytest

from autograder import similarity
from autograder.build import canonical
from autograder.sample_class import fill, half_right_answers, solution_answers
from lab_server import Canary, dump_dom, require_chromium

A = "02_backprop"


def _in_template(template: str, body: str) -> str:
    """The template cell with its `# YOUR CODE HERE` / raise lines replaced by `body`."""
    lines = template.splitlines()
    at = next(i for i, l in enumerate(lines) if "YOUR CODE HERE" in l)
    indent = lines[at][:len(lines[at]) - len(lines[at].lstrip())]
    rest = [l for l in lines[at + 1:] if "raise NotImplementedError" not in l]
    return "\n".join(lines[:at] + [indent + b if b else b for b in body.strip("\n").splitlines()] + rest)


HAND_WRITTEN = {   # correct answers written differently from the reference and the half-right file
    "numerical_gradient": """
for idx in np.ndindex(*x.shape):
    keep = x[idx]
    x[idx] = keep + h
    up = f(x)
    x[idx] = keep - h
    down = f(x)
    x[idx] = keep
    grad[idx] = (up - down) / (2 * h)
""",
    "affine_forward": """
N = x.shape[0]
D = int(np.prod(x.shape[1:]))
flat = np.reshape(x, (N, D))
out = flat.dot(w)
out = out + b[None, :]
""",
    "affine_backward": """
N = x.shape[0]
flat = x.reshape(N, -1)
dw = flat.T.dot(dout)
db = dout.sum(axis=0)
dx = dout.dot(w.T)
dx = dx.reshape(x.shape)
""",
    "sigmoid_forward": """
pos = x >= 0
z = np.exp(-np.abs(x))
out = np.empty_like(x, dtype=float)
out[pos] = 1.0 / (1.0 + z[pos])
out[~pos] = z[~pos] / (1.0 + z[~pos])
""",
}

AUTODIFF = """
import tensorflow as tf
xv = tf.Variable(x)
with tf.GradientTape() as tape:
    value = f(xv)
grad = tape.gradient(value, xv).numpy()
"""


def _submit(course, student: str, release_nb, answers: dict) -> None:
    """The release notebook with `answers`, as the grader leaves it in submitted/."""
    target = course / "submitted" / student / A / f"{A}.ipynb"
    target.parent.mkdir(parents=True)
    target.write_text(canonical(fill(release_nb, answers)), encoding="utf-8")


@pytest.fixture(scope="module")
def similarity_class(copy_built_course, tmp_path_factory):
    root = tmp_path_factory.mktemp("similarity")
    course = copy_built_course(root / "course")
    release_nb = nbformat.read(course / "release" / A / f"{A}.ipynb", as_version=4)
    template = {gid: src for gid, (_, src) in similarity._answer_cells(release_nb).items()}
    solution, (half, _) = solution_answers(course, A), half_right_answers(A)
    ids = [g for g in template if g in half]     # the code exercises, in order
    own = {g: _in_template(template[g], body) for g, body in HAND_WRITTEN.items()}
    canary = Canary()
    copier = f"copier<img src=x onerror={canary.js('id')}>"
    students = {   # honest: each pair shares at most a few cells written alike
        "solution": solution,
        "blank-a": {},
        "blank-b": {},
        "half": half,
        "mix-1": {**{g: solution[g] for g in ids[:3]}, **{g: half[g] for g in ids[6:]}},
        "mix-2": {**{g: half[g] for g in ids[:2]}, **{g: solution[g] for g in ids[5:]}},
        "variant": {**own, "relu_backward": solution["relu_backward"]},
        "autodiff": {**{g: half[g] for g in ids[1:4]},
                     "numerical_gradient": _in_template(template["numerical_gradient"], AUTODIFF)},
    }
    given = similarity.notebook_names(release_nb)
    students[copier] = {g: similarity.disguise(src, given) for g, src in students["variant"].items()}
    students[copier]["affine_forward"] += (f"# </pre></td></tr></table><script>{canary.js('answer')}</script>"
                                           f"<img src=x onerror={canary.js('answer-img')}>\n")
    for student, answers in students.items():
        _submit(course, student, release_nb, answers)
    t0 = time.perf_counter()
    path, report = similarity.write_report(A, course)
    return dict(course=course, path=path, report=report, copier=copier, canary=canary,
                seconds=time.perf_counter() - t0)


def test_the_planted_copy_ranks_first_and_honest_pairs_stay_low(similarity_class):
    report, copier = similarity_class["report"], similarity_class["copier"]
    top = report.pairs[0]
    assert {top.a, top.b} == {"variant", copier}, [(p.a, p.b, round(p.score, 2)) for p in report.pairs[:5]]
    assert top.score >= 0.8
    assert all(s >= 0.8 for g, s in top.exercises.items() if g in HAND_WRITTEN), top.exercises
    honest = [p for p in report.pairs if copier not in (p.a, p.b)]
    assert max(p.score for p in honest) < 0.6 * top.score, [(p.a, p.b, round(p.score, 2)) for p in honest[:3]]
    assert similarity_class["seconds"] < 10


def test_the_template_is_not_similarity(similarity_class):
    """Two blank notebooks (the release as given) share nothing that counts, nor do they pair
    with anyone else; template lines inside an answer never count either."""
    report = similarity_class["report"]
    for p in report.pairs:
        assert not {"blank-a", "blank-b"} & {p.a, p.b}, (p.a, p.b, p.score)
    assert similarity.code_tokens("def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n",
                                  "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()") == []


def test_normalising_ignores_names_literals_comments_and_layout():
    a = "total = 0\nfor item in values:  # add up\n    total += item * 2.5\nprint(total)\n"
    b = "acc=0   # start\n\nfor v in values :\n    acc += (v\n            * 7.0)\nprint( acc )\n"
    assert similarity._kgram_hashes(similarity.code_tokens(a)) == similarity._kgram_hashes(similarity.code_tokens(b))


def test_autodiff_in_a_numpy_exercise_is_flagged_for_that_exercise_only(similarity_class):
    report = similarity_class["report"]
    assert "numerical_gradient" in report.numpy_exercises
    flagged = {(f.student, f.exercise): f for f in report.findings}
    assert set(flagged) == {("autodiff", "numerical_gradient")}, flagged
    names = {name for _, name in flagged["autodiff", "numerical_gradient"].uses}
    assert "tensorflow.GradientTape" in names and "tensorflow" in names


def test_framework_exercises_are_not_numpy_ones(built_course):
    course, _ = built_course
    source = nbformat.read(course / "source" / "07_cnn" / "07_cnn.ipynb", as_version=4)
    numpy_ids, allowed, _ = similarity.numpy_exercises(source)
    assert "conv_forward_naive" in numpy_ids and "build_lenet" not in numpy_ids
    # 10's fine_tune drives the course's Keras learner (learn.fit): not a numpy exercise either
    source = nbformat.read(course / "source" / "10_transfer" / "10_transfer.ipynb", as_version=4)
    numpy_ids = similarity.numpy_exercises(source)[0]
    assert "one_cycle_lr" in numpy_ids and "fine_tune" not in numpy_ids
    aliases = {"tf": "tensorflow", "keras": "keras", "tvg": "utils.autodiff.tf_value_and_grads"}
    found = {n for _, n in similarity.uses("y = keras.ops.matmul(a, b)\nz = tvg(f, x)\n"
                                           "m = __import__('torch')\n", aliases)}
    assert found == {"keras.ops.matmul", "utils.autodiff.tf_value_and_grads", "torch"}
    # a computed name hides what it reaches: the code that computes it is named instead
    hidden = ("t = __import__('tensor' + 'flow')\nexec(code)\ny = eval('1')\n"
              "import importlib\nm = importlib.import_module(n)\nimport sys\nk = sys.modules[n]\n"
              "from builtins import __import__ as imp\nb = __builtins__\n")
    assert similarity.uses(hidden, {}) == [(1, "__import__"), (2, "exec"), (3, "eval"), (4, "importlib"),
                                           (5, "importlib.import_module"), (7, "sys.modules"),
                                           (8, "builtins.__import__"), (9, "__builtins__")]
    # control: the same computations without hiding anything are not named
    assert similarity.uses("t = 'tensor' + 'flow'\nm = np.exp(x)\nimport sys\np = sys.path\n", {}) == []


class _Elements(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.handlers += [k for k, _ in attrs if k.startswith("on")]


def test_the_page_is_inert_in_chromium_and_shows_the_pair(similarity_class, tmp_path):
    require_chromium()
    path, copier, canary = similarity_class["path"], similarity_class["copier"], similarity_class["canary"]
    assert "similarity" in path.name and path.parent == similarity_class["course"] / "reports"
    page = path.read_text(encoding="utf-8")
    assert "Content-Security-Policy" in page and "script-src 'none'" in page
    parsed = _Elements()
    parsed.feed(page)
    assert not {"script", "img", "iframe", "object"} & set(parsed.tags) and not parsed.handlers
    # control: the same payload unescaped on a page without the CSP does call the canary
    control = tmp_path / "control.html"
    control.write_text(f"<!DOCTYPE html><html><body>{copier}</body></html>", encoding="utf-8")
    dump_dom(control.as_uri(), tmp_path)
    time.sleep(0.3)
    assert canary.hits, "the control payload did not run: the check below would prove nothing"
    canary.hits.clear()
    dom = dump_dom(path.as_uri(), tmp_path)
    time.sleep(0.3)
    assert canary.hits == []
    assert re.search(r"<title>([^<]*)</title>", dom).group(1) == f"Similarity and integrity: {A}"
    rows = re.findall(r"<tr class=\"pair\">(.*?)</tr>", dom, re.DOTALL)
    assert rows and "variant" in rows[0] and "copier&lt;img src=x onerror=" in rows[0]
    assert "&lt;script&gt;" in dom    # the hostile answer is shown, as text


def test_cli_writes_the_report(similarity_class):
    course = similarity_class["course"]
    run = subprocess.run([sys.executable, "-m", "autograder", "similarity", A, "--course", str(course)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert str(similarity.report_path(course, A)) in run.stdout


def test_the_page_names_students_as_the_roster_does(similarity_class, tmp_path):
    """Ids mean little to a TA: the roster's names stand beside them, escaped (an LMS lets a
    student set their own display name)."""
    import shutil
    from autograder.roster import Roster, Student
    course = shutil.copytree(similarity_class["course"], tmp_path / "course")
    Roster([Student("variant", first_name="<b>Kim", last_name="Min-ji</b>"), Student("half", first_name="Lee")]).save(course)
    path, report = similarity.write_report(A, course)
    page = path.read_text(encoding="utf-8")
    assert report.names == {"variant": "<b>Kim Min-ji</b>", "half": "Lee"}
    assert "variant (&lt;b&gt;Kim Min-ji&lt;/b&gt;)" in page and "half (Lee)" in page and "<b>Kim" not in page


def test_hostile_students_never_stop_or_garble_the_report(copy_built_course, tmp_path):
    """autograder.adversarial.SIMILARITY_CASES beside two honest students: the report is written, in
    seconds, with the honest students in it; nothing reorders the page's text."""
    import json
    import os

    from autograder.adversarial import SIMILARITY_CASES
    course = copy_built_course(tmp_path / "course")
    release_nb = nbformat.read(course / "release" / A / f"{A}.ipynb", as_version=4)
    solution = solution_answers(course, A)
    honest = {"honest-solution": solution, "honest-blank": {}}
    for name, (student, answers) in SIMILARITY_CASES.items():
        folder = course / "submitted" / student / A
        folder.mkdir(parents=True)
        target = folder / f"{A}.ipynb"
        if answers == "fifo":
            os.mkfifo(target)
        elif answers == "link-to-dev-zero":
            target.symlink_to("/dev/zero")
        elif answers == "no-source":
            nb = json.loads(canonical(fill(release_nb, solution)))
            for cell in nb["cells"]:
                cell.pop("source", None)
            target.write_text(json.dumps(nb), encoding="utf-8")
        else:
            target.write_text(json.dumps(fill(release_nb, answers)), encoding="ascii")   # a lone surrogate as \ud800
    for student, answers in honest.items():
        _submit(course, student, release_nb, answers)
    t0 = time.perf_counter()
    path, report = similarity.write_report(A, course)
    assert time.perf_counter() - t0 < 30
    assert {"honest-solution", "honest-blank", "surrogate"} <= set(report.students)
    page = path.read_text(encoding="utf-8")
    assert "\u202e" not in page and "Most similar pairs" in page
    assert any(f.student == "surrogate" for f in report.findings)
    assert [f.uses for f in report.findings if f.student == "computed"] == [[(1, "__import__")]]
    assert not any(f.student.startswith("honest") for f in report.findings)


def test_hidden_framework_use_is_named_and_honest_answers_are_not():
    """autograder.adversarial.INTEGRITY_EVASIONS (a red team's ways of reaching TensorFlow, Keras or
    the course's autodiff from a numpy exercise without naming them) are each named on the exercise
    they answer; HONEST_INTEGRITY's answers (numpy by hand, a magic, an unfinished cell, prose that
    names Keras) get no finding, in the same classes."""
    import jupytext

    from autograder.adversarial import HONEST_INTEGRITY, INTEGRITY_EVASIONS
    from autograder.paths import ROOT
    cases = {**{f"evasion-{k}": v for k, v in INTEGRITY_EVASIONS.items()},
             **{f"honest-{k}": v for k, v in HONEST_INTEGRITY.items()}}
    flagged: dict[str, set[str]] = {}
    for assignment in sorted({a for a, _ in cases.values()}):
        release = nbformat.read(ROOT / "release" / assignment / f"{assignment}.ipynb", as_version=4)
        source = jupytext.read(ROOT / "source" / assignment / f"{assignment}.py")
        answers = {name: {gid: ("code", text) for gid, text in cells.items()}
                   for name, (a, cells) in cases.items() if a == assignment}
        report = similarity.analyse(assignment, answers, release, source)
        for f in report.findings:
            flagged.setdefault(f.student, set()).add(f.exercise)
    for name, (_, cells) in cases.items():
        if name.startswith("evasion-"):
            assert list(cells)[-1] in flagged.get(name, set()), f"{name} is not named"
        else:
            assert name not in flagged, f"{name} was flagged: {flagged[name]}"
