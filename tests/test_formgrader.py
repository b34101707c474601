"""The instructor's JupyterLab: nbgrader's formgrader on the graded sample class.

JupyterLab is started the way `./run.sh lab` starts it (in the nbgrader course folder, with the
repository on PYTHONPATH), on 127.0.0.1 with a random free port and a known token. The
formgrader draws its tables with JavaScript from /formgrader/api/*, so the pages are rendered in
Debian's headless Chromium (`--dump-dom`) and the rows read from the rendered DOM; the API is
checked directly too. The server log must stay free of errors: a missing or unwritable
exchange folder, for one, makes JupyterLab log them.
"""
from __future__ import annotations

import csv
import html.parser
import re
import shutil
import urllib.parse
import urllib.request

import nbformat
import pytest

from autograder import build, paths
from autograder.sample_class import STUDENTS
from lab_server import Lab, require_chromium, running_lab

ERROR_LINE = re.compile(r"^\[(E|C) |Traceback \(most recent call last\)", re.MULTILINE)


class _Rows(html.parser.HTMLParser):
    """Rows of the formgrader's main table: one {css class of the cell: its text} per row."""

    def __init__(self):
        super().__init__()
        self.rows: list[dict[str, str]] = []
        self.warnings: list[str] = []   # ids of the formgrader's alert boxes
        self._in_table = False
        self._cell: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if (a.get("id") or "").startswith("warning-"):
            self.warnings.append(a["id"])
        if tag == "tbody" and a.get("id") == "main-table":
            self._in_table = True
        elif self._in_table and tag == "tr":
            self.rows.append({})
        elif self._in_table and tag == "td" and self.rows:
            classes = [c for c in (a.get("class") or "").split() if c not in ("text-center", "sorting_1")]
            self._cell = classes[0] if classes else ""
            self.rows[-1][self._cell] = ""

    def handle_endtag(self, tag):
        if tag == "tbody":
            self._in_table = False
        elif tag == "td":
            self._cell = None

    def handle_data(self, data):
        if self._in_table and self._cell is not None:
            self.rows[-1][self._cell] += data.strip()


def rows(dom: str) -> _Rows:
    parser = _Rows()
    parser.feed(dom)
    return parser


@pytest.fixture(scope="module")
def lab(graded_class, tmp_path_factory):
    require_chromium()
    # A copy, so that grading by hand here leaves the session's graded class as it was. Its
    # exchange folder (tmp/exchange) does not exist yet: the course config must create it.
    tmp = tmp_path_factory.mktemp("lab")
    course = shutil.copytree(graded_class[0], tmp / "course")
    with running_lab(course, tmp) as server:
        yield server


@pytest.fixture(scope="module")
def course_def():
    cfg = build.course_config()
    graded = [a for a in cfg["assignments"] if build.is_graded(a)]   # the nbgrader assignments
    return {"course_id": cfg["course_id"], "ids": [a["id"] for a in graded],
            "points": sum(a["points"] for a in graded)}


def assert_no_errors(lab: Lab) -> None:
    log = lab.log_text()
    errors = [line for line in log.splitlines() if ERROR_LINE.search(line)]
    assert not errors, "JupyterLab logged errors:\n" + "\n".join(errors) + f"\n\nfull log:\n{log[-4000:]}"


def test_starts_with_formgrader_and_exchange(lab, course_def):
    log = lab.log_text()
    assert "nbgrader.server_extensions.formgrader | extension was successfully loaded" in log
    assert f"Serving notebooks from local directory: {lab.course}" in log
    # What JupyterLab's Courses and Assignments panels ask for: both go through the exchange.
    for path in ("/courses", f"/assignments?course_id={course_def['course_id']}"):
        answer = lab.api(path)
        assert answer["success"], f"{path}: {answer}"
    assert (lab.course.parent / "exchange").is_dir(), "the course-local exchange folder is missing"
    assert_no_errors(lab)


def test_formgrader_api_lists_assignments_and_students(lab, graded_class, course_def):
    _, scores = graded_class
    assignments = {a["name"]: a for a in lab.api("/formgrader/api/assignments")}
    assert sorted(assignments) == sorted(course_def["ids"])
    for a in course_def["ids"]:
        assert assignments[a]["num_submissions"] == len(STUDENTS), a
        assert assignments[a]["max_score"] == next(
            x["points"] for x in build.course_config()["assignments"] if x["id"] == a)
    students = {s["id"]: s for s in lab.api("/formgrader/api/students")}
    assert sorted(students) == sorted(STUDENTS)
    for s in STUDENTS:  # the gradebook the formgrader reads is the one the autograder wrote
        assert students[s]["max_score"] == course_def["points"]
        assert students[s]["score"] == pytest.approx(
            sum(scores[a, s].auto for a in course_def["ids"])), s
    for a in course_def["ids"]:
        subs = {x["student"]: x for x in lab.api(f"/formgrader/api/submissions/{a}")}
        assert sorted(subs) == sorted(STUDENTS), a


def test_formgrader_pages_render_in_chromium(lab, course_def):
    ids, n = course_def["ids"], len(STUDENTS)

    # Without a browser the table is empty: the rows below come from the formgrader's scripts.
    req = urllib.request.Request(lab.url + "/formgrader", headers={"Authorization": f"token {lab.token}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        raw = rows(r.read().decode())
    assert not [a for a in ids for row in raw.rows if a in row.values()]

    manage = rows(lab.render("/formgrader"))           # Manage Assignments
    assert not manage.warnings, f"formgrader warns: {manage.warnings}"  # e.g. warning-exchange
    assert sorted(r["name"] for r in manage.rows) == sorted(ids)
    assert all(r["num-submissions"] == str(n) for r in manage.rows), manage.rows

    gradebook = rows(lab.render("/formgrader/gradebook"))   # Manual Grading
    assert sorted(r["name"] for r in gradebook.rows) == sorted(ids)
    assert all(r["num-submissions"] == str(n) for r in gradebook.rows), gradebook.rows

    students = rows(lab.render("/formgrader/manage_students"))   # Manage Students
    assert sorted(r["id"] for r in students.rows) == sorted(STUDENTS)
    assert all(r["score"].endswith(f"/ {course_def['points']}") for r in students.rows), students.rows

    written = {a["name"]: a["max_written_score"] for a in lab.api("/formgrader/api/assignments")}
    # An assignment's submissions, where written answers are graded by hand: one page template for
    # every assignment (each assignment's submissions are checked through the API above), so the
    # first and the last stand for all; a render costs about a second of Chromium.
    for a in (ids[0], ids[-1]):
        subs = rows(lab.render(f"/formgrader/manage_submissions/{urllib.parse.quote(a)}"))
        assert sorted(r["student-id"] for r in subs.rows) == sorted(STUDENTS), a
        if written[a]:   # the sample solution's written answers wait for the instructor
            assert any(r["status"] == "needs manual grading" for r in subs.rows), subs.rows

    assert_no_errors(lab)


def test_the_grading_page_shows_the_students_figures(lab, course_def):
    """The Manual Grading page of a submission carries the figures of its graded notebook as
    images, in the page as Chromium built it, and no Content-Security-Policy keeps them out."""
    a = next(a for a in course_def["ids"] if "plt.show()" in paths.source_script(a).read_text(encoding="utf-8"))
    graded = nbformat.read(lab.course / "autograded" / "sample-solution" / a / f"{a}.ipynb", as_version=4)
    pngs = [o["data"]["image/png"] for c in graded.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert pngs, f"{a}: the graded solution has no figure"
    notebook = lab.api(f"/formgrader/api/notebooks/{urllib.parse.quote(a)}")[0]["name"]
    sub = next(x for x in lab.api(f"/formgrader/api/submitted_notebooks/{a}/{notebook}")
               if x["student"] == "sample-solution")
    page = f"/formgrader/submissions/{sub['id']}/?index=0"
    dom = lab.render(page)
    assert all(f'src="data:image/png;base64,{p}"' in dom for p in pngs), f"{a}: figures missing from the page"
    req = urllib.request.Request(lab.url + page, headers={"Authorization": f"token {lab.token}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        policy = r.headers.get("Content-Security-Policy", "")
    images = re.search(r"(?:img-src|default-src)([^;]*)", policy)
    assert images is None or "data:" in images.group(1), policy
    assert_no_errors(lab)


def test_manual_grades_merge_with_autograded_scores(lab, graded_class, course_def):
    """Grade the sample solution's written answers as the formgrader's form does (PUT a manual
    score per cell); the totals and the CSV export then add them to the autograded points."""
    _, scores = graded_class
    student = "sample-solution"
    added = {}
    for a in course_def["ids"]:
        added[a] = 0.0
        for nb in lab.api(f"/formgrader/api/notebooks/{urllib.parse.quote(a)}"):
            sub = next(x for x in lab.api(f"/formgrader/api/submitted_notebooks/{a}/{nb['name']}")
                       if x["student"] == student)
            for g in lab.api(f"/formgrader/api/grades?submission_id={sub['id']}"):
                if g["needs_manual_grade"]:
                    lab.api(f"/formgrader/api/grade/{g['id']}", put={"manual_score": g["max_score"]})
                    added[a] += g["max_score"]
    assert sum(added.values()) > 0, "the sample solution has no written answers to grade"

    total = next(s for s in lab.api("/formgrader/api/students") if s["id"] == student)["score"]
    assert total == pytest.approx(sum(scores[a, student].auto + added[a] for a in course_def["ids"]))
    for a in course_def["ids"]:
        sub = next(x for x in lab.api(f"/formgrader/api/submissions/{a}") if x["student"] == student)
        assert not sub["needs_manual_grade"], a

    target = lab.tmp / "grades.csv"
    build.nbgrader("export", "--to", str(target), cwd=lab.course)
    with open(target, newline="") as f:
        exported = {(r["assignment"], r["student_id"]): r for r in csv.DictReader(f)}
    for a in course_def["ids"]:
        row = exported[a, student]
        assert float(row["raw_score"]) == pytest.approx(scores[a, student].auto + added[a]), row
        assert float(row["score"]) == float(row["raw_score"])   # no late penalty in the sample class
    assert_no_errors(lab)
