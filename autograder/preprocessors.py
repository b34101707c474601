"""nbconvert preprocessors (and an exporter) that nbgrader runs for this course (configured in
course/nbgrader_config.py)."""
from pathlib import Path

import jinja2
import nbformat
from nbconvert.exporters import HTMLExporter, NotebookExporter
from nbconvert.preprocessors import ExecutePreprocessor, Preprocessor
from nbgrader.converters.base import NbGraderException
from traitlets import Bool, Unicode
from traitlets.utils.importstring import import_item

class StripTestTracebacks(Preprocessor):
    """Reduce a failed test cell's traceback to its message.

    IPython tracebacks quote the lines around the failing call, which in a test cell are the
    hidden tests. The message (what was expected, what came back) is what a student needs.
    """

    enabled = Bool(True)  # nbconvert skips preprocessors that are not enabled

    def preprocess_cell(self, cell, resources, index):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    out["traceback"] = [f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"]
        return cell, resources


class InjectResults(Preprocessor):
    """Take each cell's outputs from the grader's results instead of executing the notebook.

    `python -m autograder grade` executes submissions in sandboxes, in parallel, and judges them
    outside the student's kernel; it writes `<results_dir>/<student>/<notebook>.ipynb`
    with the verdicts as test-cell outputs. nbgrader then only scores and records them, as the
    single writer of the gradebook. Cells are matched by id (the grader keeps them stable).
    Configured by grade_class.nbgrader_api.
    """

    enabled = Bool(True)
    results_dir = Unicode(help="the grader's results for this assignment, a folder per student").tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        path = Path(self.results_dir) / info["student"] / f"{info['notebook']}.ipynb"
        done = {c.get("id"): c for c in nbformat.read(path, as_version=4).cells} if path.exists() else {}
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            result = done.get(cell.get("id"))
            if result is None:
                cell.outputs = [nbformat.v4.new_output(
                    "error", ename="GraderError", evalue="this cell has no result from the grader",
                    traceback=["GraderError: this cell has no result from the grader"])]
            else:
                cell.outputs, cell.execution_count = result.outputs, result.get("execution_count")
        return nb, resources


REFUSAL = ("nbgrader autograde would run the students' code unsandboxed on this machine: grade with "
           "`python -m autograder grade ASSIGNMENT SUBMISSIONS` (in the repository), which runs each "
           "notebook in a sandbox and then has nbgrader score the results.")


class SandboxedResultsOnly(NotebookExporter):
    """The exporter of nbgrader's Autograde (course/nbgrader_config.py): it refuses to start unless
    the autograde steps only score the grader's results (InjectResults, as grade_class.nbgrader_api
    sets them) and execute nothing. So `nbgrader autograde` and the formgrader's Autograde button
    stop before touching the course folder or the gradebook, and `python -m autograder grade` works.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        steps = [import_item(s) if isinstance(s, str) else s
                 for s in getattr(self.parent, "autograde_preprocessors", [])]
        runs_code = any(isinstance(s, type) and issubclass(s, ExecutePreprocessor) for s in steps)
        if runs_code or InjectResults not in steps:
            self.log.error(REFUSAL)
            raise NbGraderException(REFUSAL)


class _CompiledTemplates(jinja2.BytecodeCache):
    """Jinja's compiled templates, kept in memory for the life of the process (keyed by template
    name and source checksum, so an edited template compiles again)."""

    def __init__(self):
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if (code := self._code.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket):
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED_TEMPLATES = _CompiledTemplates()


class FeedbackExporter(HTMLExporter):
    """nbgrader's feedback exporter (HTML), with nbconvert's templates compiled once per process.
    nbgrader makes an exporter, and so a Jinja environment, for every notebook: compiling the
    templates again took 0.25 s of the grader's 1.2 s per notebook here."""

    def _create_environment(self):
        environment = super()._create_environment()
        environment.bytecode_cache = _COMPILED_TEMPLATES
        return environment
