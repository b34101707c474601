"""Run a notebook's cells in a sandboxed kernel, from the grader's side of the sandbox.

The notebook client lives in the grading worker, outside the sandbox; only the kernel runs inside
(sandbox.Sandbox). So the executed notebook, each cell's status and the evidence the test cells
recorded exist only in this process: the kernel can send messages, but it cannot write, signal or
ptrace the code that reads them. Everything it sends is still hostile: outputs are capped per cell,
evidence per notebook, and a message the client cannot read fails that cell, not the grader.

Evidence (utils.checks.evidence) arrives as display messages of its own MIME type; they are taken
out of the cell's outputs and kept with the cell that produced them.
"""
from __future__ import annotations

import asyncio
import json
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async, run_sync

from utils.checks.evidence import MIME as EVIDENCE_MIME

# After an interrupt, how long the kernel has to answer `pass`. One that took the interrupt answers
# at once (the adversarial class's slow cell: 12.2 s in all with its 10 s cell, against 2.4 s for
# the honest notebook); one that ignores it spends all of this stuck, burning a core if it loops.
RECOVERY_TIMEOUT = 5   # s


class CappedClient(NotebookClient):
    """A notebook client that keeps at most `max_output_chars` of output per cell and sets the
    evidence aside (at most `max_evidence_bytes` for the notebook)."""

    max_output_chars = 100_000
    max_evidence_bytes = 256 << 20
    output_reader: asyncio.Task | None = None   # the running cell's reader of kernel messages

    def reset_caps(self) -> None:
        self.chars: dict[int, int] = {}
        self.truncated: set[int] = set()
        self.evidence: dict[int, list[str]] = {}
        self.evidence_bytes = 0
        self.evidence_dropped: set[int] = set()

    def output(self, outs, msg, display_id, cell_index):
        data = msg.get("content", {}).get("data") if msg.get("msg_type") == "display_data" else None
        if isinstance(data, dict) and EVIDENCE_MIME in data:
            self._keep_evidence(data[EVIDENCE_MIME], cell_index)
            return None
        if cell_index in self.truncated:
            return None
        used = self.chars.get(cell_index, 0)
        self.chars[cell_index] = used + len(json.dumps(msg["content"]))
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
