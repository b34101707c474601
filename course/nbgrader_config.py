"""nbgrader configuration for this course (copied into the generated course folder)."""
c = get_config()  # noqa: F821  (nbgrader provides it)

import os  # noqa: E402
import sys  # noqa: E402

_here = os.path.dirname(os.path.abspath(__file__))  # the course folder this file is copied into

# This config imports the course's plugins (autograder/). Run from a plain shell, without the
# repository on PYTHONPATH, nbgrader would log the ImportError and go on with its own defaults:
# `nbgrader autograde` would then run student code unsandboxed. The build writes where the
# repository is (repository.txt, beside this copy); without it, nbgrader stops here.
_repo_file = os.path.join(_here, "repository.txt")
if os.path.exists(_repo_file):
    with open(_repo_file, encoding="utf-8") as _f:
        _repo = _f.read().strip()
    if _repo and _repo not in sys.path:
        sys.path.insert(0, _repo)
try:
    import autograder  # noqa: E402,F401
except ImportError:
    raise SystemExit(f"{__file__}: the course's grader (autograder/) cannot be imported; rebuild the course "
                     "folder (python -m autograder build) or put the repository on PYTHONPATH") from None

c.CourseDirectory.course_id = "dl-course"
# Absolute, so that the formgrader (which loads this file from JupyterLab's root) finds the same
# course and nbgrader does not warn "root '.' is not absolute" on every request.
c.CourseDirectory.root = _here

# The exchange is where `nbgrader release_assignment`/`collect` and JupyterLab's Assignments,
# Courses and Formgrader panels move files. On a JupyterHub it is the one every user's nbgrader is
# given by a config on Jupyter's config path (student_nbgrader_config.py, installed system-wide or
# in ~/.jupyter; README, "JupyterHub with nbgrader's exchange"): this file, read after those, keeps
# it. Elsewhere nbgrader's default (/usr/local/share/nbgrader/exchange) is missing on most machines
# and JupyterLab then logs errors: a folder beside this course folder (build/exchange), created here.


def _configured_exchange():
    """Exchange.root as the nbgrader_config.py files on Jupyter's config path set it (the first
    that sets it: the one nbgrader lets win), or None."""
    from jupyter_core.paths import jupyter_config_path
    from traitlets.config.loader import PyFileConfigLoader
    if getattr(sys, "_course_exchange_lookup", False):   # (a copy of this file on that path)
        return None
    sys._course_exchange_lookup = True
    try:
        for folder in jupyter_config_path():
            path = os.path.join(folder, "nbgrader_config.py")
            if not os.path.isfile(path) or os.path.realpath(path) == os.path.realpath(__file__):
                continue
            try:
                cfg = PyFileConfigLoader("nbgrader_config.py", path=folder).load_config()
            except (Exception, SystemExit):   # (nbgrader itself logs a broken config and goes on)
                continue
            if "Exchange" in cfg and cfg.Exchange.get("root"):
                return cfg.Exchange.root
        return None
    finally:
        sys._course_exchange_lookup = False


_exchange = _configured_exchange()
if _exchange is None:
    _exchange = os.path.join(os.path.dirname(_here), "exchange")
    os.makedirs(_exchange, exist_ok=True)
c.Exchange.root = _exchange

# What a student starts from in an answer cell.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# A test cell fails only by raising. TensorFlow and friends write log lines to stderr, which
# nbgrader would otherwise count as a failure, so stderr is dropped from graded cells.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"[\s\S]"

# A student deleting a test cell must not lose (or dodge) it: restore it from the source.
c.OverwriteCells.add_missing_cells = True

# Cells tagged `skip-execution` would otherwise be skipped: a blank notebook with skipped
# tests would pass. Only a tag no student can guess is honoured.
c.Execute.skip_cells_with_tag = "instructor-skip-execution-8f3c"

c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True

# Feedback shows the student their graded notebook, minus the hidden tests: in the cell source
# and in the traceback lines IPython quotes from test cells.
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import ClearHiddenTests, GetGrades  # noqa: E402

from autograder.preprocessors import StripTestTracebacks  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, StripTestTracebacks,
                                    CSSHTMLHeaderPreprocessor]
from autograder.preprocessors import FeedbackExporter  # noqa: E402

c.GenerateFeedback.exporter_class = FeedbackExporter   # nbconvert's HTML, templates compiled once

# Student content reaches the course folder inert (autograder/sanitize.py). Behind that, nbconvert's
# own sanitiser for HTML, JavaScript and markdown outputs, in the feedback and the formgrader alike
# (nbgrader's templates render markdown cells without it).
c.HTMLExporter.sanitize_html = True

# `python -m autograder grade` executes and judges every submission in a sandbox first; nbgrader then
# scores its results instead of running student code (autograder/grade_class.py, nbgrader_api).
# `nbgrader autograde` and the formgrader's Autograde button would run student code here, unsandboxed:
# they stop with a message pointing at that command (before touching the course folder).
from autograder.preprocessors import SandboxedResultsOnly  # noqa: E402

c.Autograde.exporter_class = SandboxedResultsOnly

# Late submissions: nbgrader's own mechanism (the due date and each student's extension in the
# gradebook, the submission's timestamp.txt), with the course's policy from course.yml.
from autograder.lateness import CoursePolicy  # noqa: E402

c.AssignLatePenalties.plugin_class = CoursePolicy

# `nbgrader export` (and `python -m autograder`'s grades.csv): quoted, with LMS ids, lateness and a
# status column that marks scores still waiting for manual grading.
from autograder.grade import CourseCsvExport  # noqa: E402

c.ExportApp.plugin_class = CourseCsvExport
