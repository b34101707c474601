"""Class grading: intake shapes, parallel executors (process pool and Dask), one gradebook writer."""
import sqlite3
import threading
import zipfile
from pathlib import Path

import pytest

from autograder import grade, grade_class, intake, sample_class

EXPECTED_01 = {"sample-solution": 12, "sample-blank": 0}


@pytest.fixture(scope="module")
def course_and_class(tmp_path_factory, copy_built_course):
    root = tmp_path_factory.mktemp("class")
    course = copy_built_course(root / "course")
    for a in ("01_perceptron", "03_softmax"):
        sample_class.write_submissions(root / "incoming", a, course, course / "release")
    return root, course


def _expected(assignment):
    half = sample_class.half_right_answers(assignment)[1]
    full = {"01_perceptron": 12, "03_softmax": 12}[assignment]
    return {"sample-solution": full, "sample-blank": 0, "sample-half-right": half}


def test_two_runs_with_pool_and_dask_share_one_gradebook(course_and_class):
    root, course = course_and_class
    results, errors = {}, []

    def run(assignment, executor):
        try:
            results[assignment] = grade_class.grade_class(assignment, root / "incoming", course,
                                                          executor=executor, workers=1, progress=False)
        except Exception as exc:   # surfaced below
            errors.append(exc)
    threads = [threading.Thread(target=run, args=("01_perceptron", "dask")),
               threading.Thread(target=run, args=("03_softmax", "local"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with sqlite3.connect(course / "gradebook.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = {(r.assignment, r.student): r.auto for r in grade.scores(course, ["01_perceptron", "03_softmax"])}
    for a in ("01_perceptron", "03_softmax"):
        assert {r.student: r.score for r in results[a]} == _expected(a)
        for student, score in _expected(a).items():
            assert rows[(a, student)] == score, (a, student)


def test_intake_reads_flat_folders_zips_and_colab_downloads(course_and_class, tmp_path):
    root, _ = course_and_class
    nb = (root / "incoming" / "sample-solution" / "01_perceptron" / "01_perceptron.ipynb").read_bytes()
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "kim01_01_perceptron.ipynb").write_bytes(nb)
    (flat / "lee02_assignment1.ipynb").write_bytes(nb)
    (flat / "lee02_01_perceptron.ipynb").write_bytes(nb)
    got = intake.collect(flat, "01_perceptron").submissions
    assert [s.student for s in got] == ["kim01", "lee02"]
    assert got[1].origin.endswith("lee02_01_perceptron.ipynb") and "2 notebooks" in got[1].note

    with zipfile.ZipFile(tmp_path / "lms.zip", "w") as z:
        z.writestr("export/park03_01_perceptron.ipynb", nb)
        z.writestr("__MACOSX/._park03_01_perceptron.ipynb", b"junk")
    taken = intake.collect(tmp_path / "lms.zip", "01_perceptron")
    assert [s.student for s in taken.submissions] == ["park03"]
    assert [(f.file, f.fate) for f in taken.fates] == [
        ("__MACOSX/._park03_01_perceptron.ipynb", intake.IGNORED), ("export/park03_01_perceptron.ipynb", intake.GRADED)]

    colab = tmp_path / "colab"
    (colab / "choi 04").mkdir(parents=True)
    (colab / "choi 04" / "Copy of 01_perceptron.ipynb").write_bytes(nb)
    got = intake.collect(colab, "01_perceptron").submissions
    assert [s.student for s in got] == ["choi-04"] and got[0].raw == nb

    custom = intake.collect(flat, "01_perceptron", id_pattern=r"^[a-z]+(?P<student>\d+)_").submissions
    assert [s.student for s in custom] == ["01", "02"]


def test_intake_never_merges_two_students(course_and_class, tmp_path):
    """In a zip of folders the folder names the student (a file inside named after someone else
    changes nothing), and two submissions that map to one id stop intake with both names."""
    root, _ = course_and_class
    nb = (root / "incoming" / "sample-solution" / "01_perceptron" / "01_perceptron.ipynb").read_bytes()
    with zipfile.ZipFile(tmp_path / "folders.zip", "w") as z:
        z.writestr("Victim Kim_1001_assignsubmission_file/01_perceptron.ipynb", nb)
        z.writestr("Mallory Lee_1002_assignsubmission_file/Victim Kim_01_perceptron.ipynb", nb)
    got = intake.collect(tmp_path / "folders.zip", "01_perceptron").submissions
    assert [(s.student, Path(s.origin).name) for s in got] == [
        ("Mallory-Lee-1002", "Victim Kim_01_perceptron.ipynb"), ("Victim-Kim-1001", "01_perceptron.ipynb")]
    with zipfile.ZipFile(tmp_path / "clash.zip", "w") as z:
        z.writestr("kim 01_01_perceptron.ipynb", nb)
        z.writestr("kim-01_01_perceptron.ipynb", nb)
    with pytest.raises(intake.Collision, match="kim 01_01_perceptron.ipynb and kim-01_01_perceptron.ipynb.*--assign"):
        intake.collect(tmp_path / "clash.zip", "01_perceptron")


def test_feedback_exporter_renders_as_nbconvert_and_compiles_its_templates_once():
    """The feedback exporter nbgrader is configured with (course/nbgrader_config.py) writes what
    nbconvert's HTMLExporter writes, and a second exporter (nbgrader makes one per notebook) finds
    the templates compiled."""
    import nbformat.v4 as v4
    from nbconvert.exporters import HTMLExporter

    from autograder import preprocessors
    nb = v4.new_notebook(cells=[v4.new_markdown_cell("# Loss\n$x^2$"), v4.new_code_cell(
        "1 + 1", outputs=[v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)])])
    expected = HTMLExporter().from_notebook_node(nb)[0]
    compiled = preprocessors._COMPILED_TEMPLATES._code
    compiled.clear()
    assert preprocessors.FeedbackExporter().from_notebook_node(nb)[0] == expected
    kept = dict(compiled)
    assert kept, "no template was kept compiled"
    loaded = []
    original = preprocessors._CompiledTemplates.load_bytecode
    preprocessors._CompiledTemplates.load_bytecode = lambda self, bucket: (original(self, bucket),
                                                                            loaded.append(bucket.code is not None))
    try:
        assert preprocessors.FeedbackExporter().from_notebook_node(nb)[0] == expected
    finally:
        preprocessors._CompiledTemplates.load_bytecode = original
    assert loaded and all(loaded) and compiled == kept
    config = (grade_class.paths.ROOT / "course" / "nbgrader_config.py").read_text()
    assert "c.GenerateFeedback.exporter_class = FeedbackExporter" in config
