"""Judge a submission's evidence in the grader's own process, and write the verdicts into its notebook.

The student's kernel only recorded what their functions returned (utils.checks.evidence). Here the
same cases are regenerated from the visible and hidden check modules (they are seeded) and every
output is judged; each test cell's outputs are replaced by its verdict. nbgrader then scores the
notebook as usual: a test cell with an error output earns nothing, one without earns its points.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

import nbformat
import numpy as np

from utils.checks import find as find_visible
from utils.checks.core import CheckFailure, judge_output
from utils.checks.evidence import MAX_RECORD_BYTES, decode

from . import hidden

_CALL = re.compile(r"""\b(check|grade)\(\s*["'](\w+)["']""")
KINDS = {"check": "visible", "grade": "hidden"}


@dataclass
class CellVerdict:
    grade_id: str
    points: float
    passed: bool
    reason: str      # a category for the class summary
    message: str     # what the student reads


def test_calls(source: str) -> list[tuple[str, str]]:
    """The (kind, exercise) checks a test cell runs, in order."""
    return [(KINDS[fn], name) for fn, name in _CALL.findall(source)]


def read_records(lines: list) -> list[dict]:
    """The evidence records a test cell sent. They come from the student's kernel: anything that is
    not a well-formed record (not text, not JSON, nested past Python's limit) is ignored."""
    records = []
    for line in lines:
        if not isinstance(line, str) or len(line) > MAX_RECORD_BYTES or _containers(line) > MAX_CONTAINERS:
            continue   # (a legitimate record holds its arrays as text: few brackets, bounded size)
        try:
            rec = json.loads(line)
        except (ValueError, RecursionError):   # (json.loads of a str raises only these)
            continue
        if isinstance(rec, dict):
            records.append(rec)
    return records


MAX_OUTPUT_ELEMENTS = 3_000_000   # in one array of an output: the largest case (04's he_init) has 853 923
MAX_MESSAGE_CHARS = 4_000          # what a verdict says


def _elements(value) -> int:
    if isinstance(value, np.ndarray):
        return int(value.size)
    if isinstance(value, (tuple, list)):
        return max((_elements(v) for v in value), default=0)
    if isinstance(value, dict):
        return max((_elements(v) for v in value.values()), default=0)
    return 1


# JSON of many empty containers ("[{},{},...]") takes ~25 times its size in memory once parsed
MAX_CONTAINERS = 100_000


def _containers(line: str) -> int:
    return line.count("{") + line.count("[")


def _reason(message: str) -> str:
    if "not implemented yet" in message:
        return "not implemented"
    if " raised " in message:
        return "raised an error"
    return "wrong answer"


def judge_call(kind: str, name: str, records: list[dict], names=()) -> tuple[bool, str, str]:
    """(passed, reason, message) for one check call from the evidence it left. `names`: every
    exercise the notebook's test cells check (exercise names are per notebook: they tell which)."""
    mine = [r for r in records if r.get("kind") == kind and r.get("name") == name]
    prefix = "hidden checks: " if kind == "hidden" else ""
    if not mine:
        return False, "no evidence", ""
    rec = mine[-1]
    if "error" in rec:
        return False, _reason(str(rec["error"])), prefix + str(rec["error"])
    try:
        outputs = [decode(o) for o in rec["outputs"]]
    except Exception:
        return False, "bad evidence", f"{prefix}the outputs of {name} could not be read"
    largest = max((_elements(o) for o in outputs), default=0)
    if largest > MAX_OUTPUT_ELEMENTS:   # (a judge's message about it would take gigabytes to write)
        return False, "wrong answer", (f"{prefix}{name} returned an array of {largest} elements, far more "
                                       f"than any case asks for")
    registry = hidden.find(name, names) if kind == "hidden" else find_visible(name, names)
    cases = registry.cases(name)
    if len(outputs) != len(cases):
        return False, "bad evidence", f"{prefix}{name} produced {len(outputs)} outputs for {len(cases)} cases"
    for i, (case, out) in enumerate(zip(cases, outputs)):
        try:
            judge_output(name, case, out, i, len(cases))
        except CheckFailure as exc:
            return False, "wrong answer", prefix + str(exc)
        except Exception as exc:  # an output so odd the judge tripped on it
            return False, "wrong answer", (f"{prefix}{name}, case {i + 1}/{len(cases)}: unexpected output "
                                           f"({type(exc).__name__}: {exc})")
    word = "hidden check" if kind == "hidden" else "check"
    return True, "passed", f"\N{HEAVY CHECK MARK} {name}: {len(cases)} {word}{'s' * (len(cases) != 1)} passed"


def judge_notebook(executed, cells: list[dict], stopped: str = "") -> list[CellVerdict]:
    """Replace every test cell's outputs in `executed` by its verdict; return the verdicts."""
    status = {c["index"]: c for c in cells}
    verdicts = []
    checked = {name for c in executed.cells if c.cell_type == "code" for _, name in test_calls(c.source)}
    for index, cell in enumerate(executed.cells):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        st = status.get(index, {"status": "not run", "error": stopped or "the notebook did not run"})
        records = read_records(st.get("records", []))
        lines, passed, reason = [], True, "passed"
        for kind, name in test_calls(cell.source):
            try:
                ok, why, message = judge_call(kind, name, records, checked)
            except Exception as exc:   # evidence odd enough to trip the reading itself
                ok, why, message = False, "bad evidence", f"{name}: the recorded outputs could not be read ({type(exc).__name__})"
            if len(message) > MAX_MESSAGE_CHARS:
                message = message[:MAX_MESSAGE_CHARS] + " [...]"
            if ok:
                lines.append(message)
                continue
            passed, reason = False, why
            if why == "no evidence":   # the cell never got to record: say what stopped it
                reason = {"timeout": "timed out", "died": "kernel died", "not run": "not run",
                          "ok": "checks bypassed"}.get(st["status"], "error in test cell")
                message = (f"{name}: not graded, the test cell ran but its checks recorded no result "
                           f"(were `check` or `grade` replaced?)" if st["status"] == "ok" else
                           f"{name}: not graded, {st.get('error') or 'the test cell did not finish'}")
            lines.append(message)
            break
        cell.outputs = [_stream("\n".join(lines[:-1] if not passed else lines))] if (passed or len(lines) > 1) else []
        if not passed:
            cell.outputs.append(nbformat.v4.new_output("error", ename="CheckFailure", evalue=lines[-1],
                                                       traceback=[f"CheckFailure: {lines[-1]}"]))
        verdicts.append(CellVerdict(meta["grade_id"], float(meta.get("points", 0)), passed, reason, lines[-1]))
    return verdicts


def _stream(text: str):
    return nbformat.v4.new_output("stream", name="stdout", text=text + "\n")
