"""Match a student's notebook to the assignment and rebuild it as an untouched notebook would be.

Students edit on Colab, which ignores nbgrader's cell locks and may drop or rewrite metadata and
cell ids; they also delete, duplicate, move and retype cells. Grading what they handed in as-is
would turn those accidents into zeros (or into passes, for an edited test cell). Instead we take
only the *answers* from the submission and put them into a fresh copy of the assignment:

1. a submitted cell is matched to an assignment cell by, in order: its nbgrader `grade_id`, its
   cell id, its exact content (for locked cells: text, provided code, test cells), and finally its
   position between matched cells (answer cells, the closest one to the original stub);
2. every answer cell of the assignment takes the matched student text (the stub if none);
   every locked cell — test cells included — comes from the assignment, whatever the student did
   to it; code cells the student added are kept, right after the cell they followed;
3. every repair is written to a log that the student sees in the feedback.
"""
from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field

import nbformat

from .intake import TEXT_NOTEBOOK_SUFFIXES


class Unmatchable(ValueError):
    """The submission cannot be graded as this assignment; the message says why."""


@dataclass
class Repaired:
    answers: dict[str, str]                 # grade_id -> the student's text
    extras: dict[str, list]                 # assignment cell id -> student cells to insert after it
    log: list[str] = field(default_factory=list)


def _nbg(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _norm(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


MAX_TEXT_BYTES = 2 << 20      # a jupytext notebook of the course is under 100 KB,
MAX_TEXT_LINES = 20_000        # under 1000 lines,
MAX_TEXT_CELLS = 2000          # with under 200 places a cell may start (jupytext is slow on many)
_HEADER = {".py": re.compile(r"\A(?:#!.*\n)?# ---[ \t]*\n(?:#.*\n)*?# ---[ \t]*\n"),
           ".md": re.compile(r"\A---[ \t]*\n(?:.*\n)*?---[ \t]*\n")}
_CELL_START = re.compile(r"^[ \t]*$|^# (?:%%|\+|-|In\[)|^```|^~~~|^<!--", re.MULTILINE)


def read_notebook_text(raw: bytes, name: str) -> str:
    """A jupytext text notebook as .ipynb JSON (repair reads it like any notebook). Its YAML header
    is dropped unread (the grader needs only the cells, and YAML aliases can expand to gigabytes),
    and a text past the caps is refused: it is parsed in the grader's own process."""
    import jupytext
    suffix = ".md" if name.lower().endswith(".md") else ".py"
    if len(raw) > MAX_TEXT_BYTES:
        raise ValueError(f"a jupytext notebook over {MAX_TEXT_BYTES >> 20} MB")
    # the lines as jupytext splits them (\r, \u2028 and the like too), so the strip and caps see them
    lines = raw.decode("utf-8-sig", errors="replace").splitlines()
    if len(lines) > MAX_TEXT_LINES:
        raise ValueError(f"a jupytext notebook of more than {MAX_TEXT_LINES} lines")
    while lines and not lines[0].strip():   # (jupytext finds a header after blank lines)
        lines.pop(0)
    text = _HEADER[suffix].sub("", "\n".join(lines) + "\n", count=1)
    if len(_CELL_START.findall(text)) > MAX_TEXT_CELLS:
        raise ValueError(f"a jupytext notebook of more than {MAX_TEXT_CELLS} cells")
    return jupytext.writes(jupytext.reads(text, fmt=suffix.lstrip(".")), fmt="ipynb")


def read_submission(raw: bytes, name: str = ""):
    """Parse a submitted file (a notebook, or one in jupytext's text form when `name` ends in
    .py/.md) into a notebook, or raise Unmatchable with the reason."""
    if not raw.strip():
        raise Unmatchable("the submitted file is empty")
    if name.lower().endswith(TEXT_NOTEBOOK_SUFFIXES):
        try:
            raw = read_notebook_text(raw, name).encode()
        except Exception as exc:   # jupytext's parser on a student's text: any failure is theirs
            raise Unmatchable(f"the jupytext file could not be read ({type(exc).__name__}: {exc})"[:300]) from None
    try:
        data = json.loads(raw.decode("utf-8", errors="replace"))
    except json.JSONDecodeError as exc:
        raise Unmatchable(f"the submitted file is not a notebook (invalid JSON: {exc})") from None
    except RecursionError:
        raise Unmatchable("the submitted file is not a notebook (JSON nested too deeply)") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise Unmatchable("the submitted file is JSON but not a Jupyter notebook (no cells)")
    try:
        return nbformat.reads(json.dumps(data), as_version=4)
    except Exception as exc:  # nbformat raises several types for old/odd files
        raise Unmatchable(f"the notebook could not be read ({type(exc).__name__}: {exc})") from None


def repair(submitted, assignment_nb) -> Repaired:
    """Map `submitted` (any notebook) onto `assignment_nb` (the release notebook)."""
    ref = assignment_nb.cells
    ids = {c.get("id"): i for i, c in enumerate(ref)}
    by_gid = {_nbg(c)["grade_id"]: i for i, c in enumerate(ref) if _nbg(c).get("grade_id")}
    answer_idx = [i for i, c in enumerate(ref) if _nbg(c).get("solution")]
    locked_by_text: dict[tuple, list[int]] = {}
    for i, c in enumerate(ref):
        if i not in answer_idx:
            locked_by_text.setdefault((c.cell_type, _norm(c.source)), []).append(i)

    log: list[str] = []
    sub = submitted.cells
    match: list[int | None] = [None] * len(sub)
    any_metadata = any(_nbg(c).get("grade_id") for c in sub)
    if not any_metadata:
        log.append("The notebook had lost its nbgrader metadata (saved by another editor?): "
                   "cells were matched by id, content and position.")

    for j, c in enumerate(sub):
        gid = _nbg(c).get("grade_id")
        if gid in by_gid and ref[by_gid[gid]].cell_type == c.cell_type:
            match[j] = by_gid[gid]
        elif c.get("id") in ids and ref[ids[c.get("id")]].cell_type == c.cell_type:
            match[j] = ids[c.get("id")]
    used_locked = {m for m in match if m is not None and m not in answer_idx}
    for j, c in enumerate(sub):
        if match[j] is None:
            for i in locked_by_text.get((c.cell_type, _norm(c.source)), []):
                if i not in used_locked:
                    match[j] = i
                    used_locked.add(i)
                    break

    if not any(m is not None for m in match):
        raise Unmatchable("no cell of the submitted notebook matches this assignment "
                          "(wrong notebook handed in?)")

    # Position: an unmatched cell lies between the matched cells around it; if the assignment has
    # an answer cell of the same type there that nothing claimed, it is the likeliest home.
    claimed = {m for m in match if m is not None}
    for j, c in enumerate(sub):
        if match[j] is not None:
            continue
        lo = max((m for m in match[:j] if m is not None), default=-1)
        hi = min((m for m in match[j + 1:] if m is not None), default=len(ref))
        if hi < lo:   # the surrounding cells are out of order; only look after `lo`
            hi = len(ref)
        free = [i for i in answer_idx if lo < i < hi and i not in claimed
                and ref[i].cell_type == c.cell_type]
        if free:
            best = max(free, key=lambda i: difflib.SequenceMatcher(
                None, _norm(ref[i].source), _norm(c.source)).ratio())
            match[j] = best
            claimed.add(best)

    order = [m for m in match if m is not None]
    if order != sorted(order):
        log.append("Cells were out of order: they were graded in the assignment's order.")

    answers: dict[str, str] = {}
    extras: dict[str, list] = {}
    for i in answer_idx:
        gid = _nbg(ref[i])["grade_id"]
        found = [sub[j] for j, m in enumerate(match) if m == i]
        stub = _norm(ref[i].source)
        if not found:
            log.append(f"Answer cell `{gid}` was not found: graded as unanswered.")
            continue
        edited = [c for c in found if _norm(c.source) != stub]
        chosen = (edited or found)[-1]
        if len(found) > 1:
            log.append(f"Answer cell `{gid}` appeared {len(found)} times: the last edited copy was graded.")
        answers[gid] = chosen.source
    for i, c in enumerate(ref):
        if i in answer_idx:
            continue
        copies = [sub[j] for j, m in enumerate(match) if m == i]
        gid = _nbg(c).get("grade_id")
        if gid and _nbg(c).get("grade"):
            if not copies:
                log.append(f"Test cell `{gid}` was missing: the original was restored.")
            elif any(_norm(x.source) != _norm(c.source) for x in copies):
                log.append(f"Test cell `{gid}` had been edited: the original was restored.")
    after = None
    for j, c in enumerate(sub):
        if match[j] is not None:
            after = ref[match[j]].get("id")
        elif c.cell_type == "code" and c.source.strip():
            extras.setdefault(after, []).append(c)
    if extras:
        n = sum(len(v) for v in extras.values())
        log.append(f"{n} code cell(s) you added were kept and run where you put them.")
    return Repaired(answers, extras, log)


def assemble(template, repaired: Repaired):
    """A copy of `template` (release or instructor notebook) with the student's answers and cells."""
    nb = nbformat.from_dict(json.loads(json.dumps(template)))
    cells = []
    head_extras = repaired.extras.get(None, [])
    for k, c in enumerate(head_extras):
        cells.append(_student_cell(c, f"student-0-{k}"))
    for cell in nb.cells:
        gid = _nbg(cell).get("grade_id")
        if _nbg(cell).get("solution") and gid in repaired.answers:
            cell.source = repaired.answers[gid]
        cells.append(cell)
        for k, c in enumerate(repaired.extras.get(cell.get("id"), [])):
            cells.append(_student_cell(c, f"student-{cell.get('id')}-{k}"))
    nb.cells = cells
    return nb


def _student_cell(cell, cell_id: str):
    new = nbformat.v4.new_code_cell(cell.source)
    new["id"] = cell_id[:64]
    return new
