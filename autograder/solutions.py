"""The reference solutions, taken from the source notebooks themselves (no second copy).

`load_solutions("02_backprop")` runs the notebook's code cells except its test cells and returns
the namespace, so tests and the benchmark can call e.g. `ns["affine_backward"]`.
"""
from __future__ import annotations

import ast
import contextlib
import io
import os
import tempfile

import jupytext

from .paths import source_script


def code_cells(assignment: str, *, include_tests: bool = False):
    nb = jupytext.read(source_script(assignment))
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution") and not include_tests:
            continue
        yield cell


def _python_source(cell) -> str:
    """A code cell's source without IPython's `%magic` and `!shell` lines, to run with exec."""
    return "\n".join(l for l in cell.source.splitlines() if not l.lstrip().startswith(("%", "!")))


def load_solutions(assignment: str, *, quiet: bool = True) -> dict:
    os.environ.setdefault("COURSE_FAST", "1")
    os.environ.setdefault("MPLBACKEND", "Agg")
    import matplotlib
    matplotlib.use("Agg")
    ns: dict = {"__name__": f"solutions_{assignment}"}
    sink = io.StringIO() if quiet else None
    # in a scratch working directory, as a fresh notebook folder: what the notebook writes
    # (checkpoints, saved models) neither lands in the repository nor is found by the next run
    with contextlib.redirect_stdout(sink) if quiet else contextlib.nullcontext(), \
            tempfile.TemporaryDirectory(prefix=f"solutions_{assignment}_") as scratch, contextlib.chdir(scratch):
        for cell in code_cells(assignment):
            exec(compile(_python_source(cell), f"<{assignment}>", "exec"), ns)
    import matplotlib.pyplot as plt
    plt.close("all")
    return ns


def _run_definitions(source: str, ns: dict, filename: str) -> None:
    """Run the statements of a cell that only define things: imports, functions, classes, and
    assignments computed without a call (constants such as `N_TRAIN = 1_200 if FAST else 55_000`;
    one that reads an experiment's result, which was not run, is skipped: a name or a key that is
    not there). What the cell runs (training, plots, data loading) is left out."""
    for node in ast.parse(source).body:
        definition = isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef))
        constant = isinstance(node, (ast.Assign, ast.AnnAssign)) and not any(isinstance(n, ast.Call) for n in ast.walk(node))
        if not (definition or constant):
            continue
        try:
            exec(compile(ast.Module(body=[node], type_ignores=[]), filename, "exec"), ns)
        except (NameError, LookupError):
            if definition:
                raise


def load_answers(assignment: str) -> dict:
    """The reference answers without the notebook's experiments: the first code cell (the
    imports), the answer cells, and the definitions of every other cell (the helpers the answers
    call), run. Much cheaper than `load_solutions` for a notebook that trains."""
    cells = list(code_cells(assignment))
    ns: dict = {"__name__": f"answers_{assignment}"}
    with contextlib.redirect_stdout(io.StringIO()):
        for i, cell in enumerate(cells):
            src = _python_source(cell)
            if i == 0 or cell.metadata.get("nbgrader", {}).get("solution"):
                exec(compile(src, f"<{assignment}>", "exec"), ns)
            else:
                _run_definitions(src, ns, f"<{assignment}>")
    return ns
