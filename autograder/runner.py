"""Run a notebook's cells in a sandboxed kernel, from the grader's side of the sandbox.

The notebook client lives in the grading worker, outside the sandbox; only the kernel runs inside
(sandbox.Sandbox). So the executed notebook, each cell's status and the evidence the test cells
recorded exist only in this process: the kernel can send messages, but it cannot write, signal or
ptrace the code that reads them. Everything it sends is still hostile: outputs are capped per cell,
evidence per notebook, and a message the client cannot read fails that cell, not the grader.

Evidence (utils.checks.evidence) arrives as display messages of its own MIME type; they are taken
out of the cell's outputs and kept with the cell that produced them.

Figures (PNG from matplotlib's inline backend, or any PNG or JPEG the notebook displays) are kept
for the people who read the graded notebook, within their own caps, apart from the text's: each
must be an image of its type, within a size in bytes and (PNG) in pixels, and a cell and the
notebook keep only so many, and so many bytes. One that is not kept leaves a note in its place.
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
import struct
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async, run_sync

from utils.checks.evidence import MIME as EVIDENCE_MIME

from .sanitize import image_base64

# After an interrupt, how long the kernel has to answer `pass`. One that took the interrupt answers
# at once (the adversarial class's slow cell: 12.2 s in all with its 10 s cell, against 2.4 s for
# the honest notebook); one that ignores it spends all of this stuck, burning a core if it loops.
RECOVERY_TIMEOUT = 5   # s
FIGURE_MIMES = ("image/png", "image/jpeg")   # (sanitize.inert keeps no other image from a kernel)
# JPEG start-of-frame markers (they carry the size); C4, C8 and CC share the range but are not frames
_JPEG_FRAMES = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg_size(raw: bytes) -> tuple[int, int] | None:
    """(width, height) from a JPEG's first frame header, walking its segments; None if there is none."""
    i = 2
    while i + 9 <= len(raw):
        if raw[i] != 0xFF:
            return None
        marker = raw[i + 1]
        if marker == 0xFF:   # (fill byte)
            i += 1
            continue
        if marker in _JPEG_FRAMES:
            height, width = struct.unpack(">HH", raw[i + 5:i + 9])
            return width, height
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:   # (no length)
            i += 2
            continue
        i += 2 + struct.unpack(">H", raw[i + 2:i + 4])[0]
    return None


def _header_problem(mime: str, data, max_bytes: int, max_px: int) -> str:
    """What the first bytes already show (no more is decoded): not text, too long, not the type
    it says, a PNG too many pixels wide or high."""
    if not isinstance(data, str) or len(data) > (max_bytes + 2) // 3 * 4 + 1024:   # (+ line breaks)
        return f"over {max_bytes >> 10} KB" if isinstance(data, str) else f"not a valid {mime}"
    try:
        head = base64.b64decode(re.sub(r"\s+", "", data[:256])[:64])
    except (binascii.Error, ValueError):
        return f"not a valid {mime}"
    if not head.startswith(b"\x89PNG\r\n\x1a\n" if mime == "image/png" else b"\xff\xd8\xff"):
        return f"not a valid {mime}"
    if mime == "image/png" and len(head) >= 24 and head[12:16] == b"IHDR":
        width, height = struct.unpack(">II", head[16:24])
        if max(width, height) > max_px:
            return f"{width}x{height} pixels, over {max_px} on a side"
    return ""


def _body_problem(mime: str, data: str, max_bytes: int, max_px: int) -> str:
    """What only decoding all of an image shows (its header has passed _header_problem)."""
    clean = image_base64(mime, data)
    if clean is None:
        return f"not a valid {mime}"
    raw = base64.b64decode(clean)
    if len(raw) > max_bytes:
        return f"over {max_bytes >> 10} KB"
    if mime == "image/png":
        size = struct.unpack(">II", raw[16:24]) if len(raw) >= 24 and raw[12:16] == b"IHDR" else None
    else:
        size = _jpeg_size(raw)
    if size is None:
        return f"not a valid {mime}"
    if max(size) > max_px:
        return f"{size[0]}x{size[1]} pixels, over {max_px} on a side"
    return ""


def _figures_in(outs) -> tuple[int, int]:
    """How many images the outputs `outs` hold, and their bytes."""
    count = size = 0
    for out in outs:
        data = out.get("data") or {}
        for mime in FIGURE_MIMES:
            if mime in data:
                count, size = count + 1, size + len(data[mime]) * 3 // 4
    return count, size


class CappedClient(NotebookClient):
    """A notebook client that keeps at most `max_output_chars` of output per cell and sets the
    evidence aside (at most `max_evidence_bytes` for the notebook)."""

    max_output_chars = 100_000
    max_evidence_bytes = 256 << 20
    output_reader: asyncio.Task | None = None   # the running cell's reader of kernel messages

    # figures: Limits.figures, figures_per_cell, figure_kb, figures_mb, figure_px
    figures, figures_per_cell, figure_bytes, figures_bytes, figure_px = 30, 6, 1 << 20, 4 << 20, 2400

    def reset_caps(self) -> None:
        self.chars: dict[int, int] = {}
        self.truncated: set[int] = set()
        self.evidence: dict[int, list[str]] = {}
        self.evidence_bytes = 0
        self.evidence_dropped: set[int] = set()
        self.figures_in: dict[int, tuple[int, int]] = {}   # per cell: images in its outputs, and bytes

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        data = content.get("data") if msg.get("msg_type") in ("display_data", "execute_result") else None
        if isinstance(data, dict) and EVIDENCE_MIME in data and msg.get("msg_type") == "display_data":
            self._keep_evidence(data[EVIDENCE_MIME], cell_index)
            return None
        if cell_index in self.truncated:
            return None
        if isinstance(data, dict) and any(m in data for m in (*FIGURE_MIMES, "image/svg+xml")):
            if self.clear_before_next_output:   # (a redrawn plot: what this output replaces goes first)
                outs[:] = []
                self.clear_display_id_mapping(cell_index)
                self.clear_before_next_output = False
            kept, notes = self._keep_figures(data, cell_index, outs)
            content = {**content, "data": {**{k: v for k, v in data.items() if k not in FIGURE_MIMES}, **kept}}
            msg = {**msg, "content": content}
            for note in notes:
                text = f"[grader: figure not kept: {note}]\n"
                if not any(o.get("text") == text for o in outs):   # (once per reason in what the cell shows)
                    outs.append(nbformat.v4.new_output("stream", name="stdout", text=text))
            data = {k: v for k, v in data.items() if k not in FIGURE_MIMES}   # (the text cap counts the rest)
            if not content["data"]:
                return None
        used = self.chars.get(cell_index, 0)
        counted = {**content, "data": data} if isinstance(data, dict) else content
        self.chars[cell_index] = used + len(json.dumps(counted))
        if self.chars[cell_index] > self.max_output_chars:
            self.truncated.add(cell_index)
            text = msg["content"].get("text") if msg.get("msg_type") == "stream" else None
            if isinstance(text, str) and used < self.max_output_chars:   # keep what fits of it
                super().output(outs, {**msg, "content": {**msg["content"], "text": text[:self.max_output_chars - used]}},
                               display_id, cell_index)
            outs.append(nbformat.v4.new_output(
                "stream", name="stdout",
                text=f"\n[grader: output truncated after {self.max_output_chars} characters]\n"))
            return None
        return super().output(outs, msg, display_id, cell_index)

    def _keep_figures(self, data: dict, cell_index: int, outs) -> tuple[dict, list[str]]:
        """The images of one output that are kept, and why each other one is not. Counted from what
        the cell's outputs hold now (a plot redrawn with clear_output replaces its earlier frames);
        the counts are checked before an image is decoded."""
        self.figures_in[cell_index] = _figures_in(outs)
        kept, notes = {}, []
        if "image/svg+xml" in data and not any(m in data for m in FIGURE_MIMES):
            notes.append("SVG is not shown; PNG, matplotlib's inline default, is")
        for mime in FIGURE_MIMES:
            if mime not in data:
                continue
            in_cell = self.figures_in[cell_index][0]
            count, size = (sum(v[i] for v in self.figures_in.values()) for i in (0, 1))
            problem = _header_problem(mime, data[mime], self.figure_bytes, self.figure_px)
            if problem:
                pass
            elif in_cell >= self.figures_per_cell:   # (counted before the whole image is decoded)
                problem = f"more than {self.figures_per_cell} in one cell"
            elif count >= self.figures:
                problem = f"more than {self.figures} in the notebook"
            else:
                problem = _body_problem(mime, data[mime], self.figure_bytes, self.figure_px)
            this = len(data[mime]) * 3 // 4 if not problem else 0
            if not problem and size + this > self.figures_bytes:
                problem = f"the notebook's figures are over {self.figures_bytes >> 20} MB"
            if problem:
                notes.append(problem)
                continue
            kept[mime] = data[mime]
            self.figures_in[cell_index] = (in_cell + 1, self.figures_in[cell_index][1] + this)
        return kept, notes

    def _keep_evidence(self, line, cell_index: int) -> None:
        if not isinstance(line, str):
            return
        self.evidence_bytes += len(line)
        if self.evidence_bytes > self.max_evidence_bytes:
            self.evidence_dropped.add(cell_index)
            return
        self.evidence.setdefault(cell_index, []).append(line)

    def _update_display_id(self, display_id, msg):
        # Updating a display rewrites every earlier output with its id, past the output cap (400
        # outputs updated with 1 MB each made 400 MB of feedback): a grader shows the first.
        return None

    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        # Remembered so that _recovered can stop it: after a CellTimeoutError nbclient leaves the
        # timed-out cell's reader running, and it would take (and drop) the next cells' messages.
        self.output_reader = asyncio.current_task()
        await super()._async_poll_output_msg(parent_msg_id, cell, cell_index)


def _error_text(cell) -> str:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return f"{out.get('ename')}: {out.get('evalue')}"
    return ""


def run_cells(client: CappedClient, nb, limits: dict) -> list[dict]:
    """Execute the code cells of `nb` (the client's notebook) in order, within the limits. For each:
    {"index", "status", "error", "records"} where records are the evidence lines it sent."""
    client.reset_caps()
    client.max_output_chars = limits["max_output_chars"]
    client.max_evidence_bytes = limits["max_evidence_mb"] << 20
    client.figures, client.figures_per_cell = limits["figures"], limits["figures_per_cell"]
    client.figure_bytes, client.figures_bytes = limits["figure_kb"] << 10, limits["figures_mb"] << 20
    client.figure_px = limits["figure_px"]
    deadline = time.monotonic() + limits["notebook_timeout"]
    cells: list[dict] = []
    stopped: str | None = None   # why the remaining cells did not run
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if stopped is None and time.monotonic() > deadline:
            stopped = f"the notebook ran past its {limits['notebook_timeout']} s limit"
        if stopped is not None:
            cells.append({"index": index, "status": "not run", "error": stopped, "records": []})
            continue
        status, error = "ok", ""
        remaining = max(1, int(deadline - time.monotonic()))
        client.timeout = min(limits["cell_timeout"], remaining)
        try:
            client.execute_cell(cell, index)
            error = _error_text(cell)
            status = "error" if error else "ok"
        except CellTimeoutError:
            status, error = "timeout", f"the cell ran past the {client.timeout} s limit"
            if not _recovered(client):
                stopped = f"the kernel was stuck in cell {index} and was stopped"
        except DeadKernelError:
            status, error = "died", "the kernel died (exit, crash, or out of memory)"
            stopped = f"the kernel died in cell {index}"
        except CellExecutionError as exc:  # not raised with allow_errors, kept for safety
            status, error = "error", str(exc).splitlines()[-1]
        except Exception as exc:   # a message the client could not read: the kernel's doing
            status, error = "died", f"the kernel sent what the grader could not read ({type(exc).__name__})"
            stopped = f"the kernel misbehaved in cell {index}"
        if index in client.truncated:
            error = (error + "; " if error else "") + "output truncated"
        if index in client.evidence_dropped:
            error = (error + "; " if error else "") + "too much evidence: some was dropped"
        cells.append({"index": index, "status": status, "error": error,
                      "records": client.evidence.get(index, [])})
    return cells


def _recovered(client: CappedClient) -> bool:
    """After a timeout: interrupt, and check the kernel answers again within RECOVERY_TIMEOUT."""
    graded = client.nb
    if client.output_reader is not None:
        client.output_reader.cancel()
    try:
        # nbclient's kernel manager is asynchronous: its interrupt is a coroutine to wait for.
        run_sync(ensure_async)(client.km.interrupt_kernel())
        probe = nbformat.v4.new_code_cell("pass")
        # execute_cell stores the cell it ran at its index: run the probe in a notebook of its own.
        client.nb = nbformat.v4.new_notebook(cells=[probe])
        client.timeout = RECOVERY_TIMEOUT
        client.execute_cell(probe, 0)
        return True
    except Exception:
        return False
    finally:
        client.nb = graded
