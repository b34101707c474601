"""The reference solutions, taken from the source notebooks themselves (no second copy).

`load_solutions("02_backprop")` runs the notebook's code cells except its test cells and returns
the namespace, so tests and the benchmark can call e.g. `ns["affine_backward"]`.
"""
from __future__ import annotations

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
            src = "\n".join(l for l in cell.source.splitlines() if not l.lstrip().startswith(("%", "!")))
            exec(compile(src, f"<{assignment}>", "exec"), ns)
    import matplotlib.pyplot as plt
    plt.close("all")
    return ns


def load_answers(assignment: str) -> dict:
    """The reference answers without the notebook's experiments: the first code cell (the
    imports) and the answer cells, run. Cheaper than `load_solutions` for a notebook that trains."""
    cells = list(code_cells(assignment))
    ns: dict = {"__name__": f"answers_{assignment}"}
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in [cells[0]] + [c for c in cells[1:] if c.metadata.get("nbgrader", {}).get("solution")]:
            src = "\n".join(l for l in cell.source.splitlines() if not l.lstrip().startswith(("%", "!")))
            exec(compile(src, f"<{assignment}>", "exec"), ns)
    return ns
