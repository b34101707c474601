"""Execute one submission's notebook: the part of grading that runs inside the sandbox.

    python -m autograder.runner JOB_DIR

The runner starts the kernel first, then waits for `go` on stdin (the grader starts sandboxes ahead
of their notebooks, see sandbox.Sandbox); by then JOB_DIR holds `notebook.ipynb` and
`limits.json`. This writes `executed.ipynb` and `cells.json` (for every code cell: how it ended,
and which evidence lines it wrote). The kernel writes evidence to `evidence.jsonl` (see
utils.checks.evidence); nothing here judges anything. Only the standard library, nbformat and
nbclient are used, so the sandbox needs nothing else from the course.
"""
from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async, run_sync

EVIDENCE = "evidence.jsonl"
# After an interrupt, how long the kernel has to answer `pass`. One that took the interrupt answers
# at once (the adversarial class's slow cell: 12.2 s in all with its 10 s cell, against 2.4 s for
# the honest notebook); one that ignores it spends all of this stuck, burning a core if it loops.
RECOVERY_TIMEOUT = 5   # s


class CappedClient(NotebookClient):
    """A notebook client that keeps at most `max_output_chars` of output per cell."""

    max_output_chars = 100_000
    output_reader: asyncio.Task | None = None   # the running cell's reader of kernel messages

    def output(self, outs, msg, display_id, cell_index):
        if cell_index in self.truncated:
            return None
        self.chars[cell_index] = self.chars.get(cell_index, 0) + len(json.dumps(msg["content"]))
        if self.chars[cell_index] > self.max_output_chars:
            self.truncated.add(cell_index)
            outs.append(nbformat.v4.new_output(
                "stream", name="stdout",
                text=f"\n[grader: output truncated after {self.max_output_chars} characters]\n"))
            return None
        return super().output(outs, msg, display_id, cell_index)

    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        # Remembered so that _recovered can stop it: after a CellTimeoutError nbclient leaves the
        # timed-out cell's reader running, and it would take (and drop) the next cells' messages.
        self.output_reader = asyncio.current_task()
        await super()._async_poll_output_msg(parent_msg_id, cell, cell_index)


def _evidence_size(job: Path) -> int:
    try:
        return (job / EVIDENCE).stat().st_size
    except FileNotFoundError:
        return 0


def _error_text(cell) -> str:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return f"{out.get('ename')}: {out.get('evalue')}"
    return ""


def run(job: Path) -> None:
    work = job / "work"
    work.mkdir(exist_ok=True)
    os.environ["COURSE_EVIDENCE"] = str(job / EVIDENCE)
    # `skip_cells_with_tag`: a tag no student can guess (the default would let them skip cells).
    # The notebook and the limits come once the kernel is up.
    client = CappedClient(nbformat.v4.new_notebook(), allow_errors=True, interrupt_on_timeout=False,
                          kernel_name="python3", skip_cells_with_tag="grader-never-skips-7c1e",
                          shutdown_kernel="immediate", resources={"metadata": {"path": str(work)}})
    client.chars, client.truncated = {}, set()
    t0 = time.monotonic()
    with client.setup_kernel():
        print(f"kernel started in {time.monotonic() - t0:.2f} s", flush=True)
        if sys.stdin.readline().strip() != "go":
            print("not used: stopping", flush=True)
            return
        t0 = time.monotonic()
        limits = json.loads((job / "limits.json").read_text())
        nb = client.nb = nbformat.read(job / "notebook.ipynb", as_version=4)
        client.max_output_chars = limits["max_output_chars"]
        cells = _run_cells(client, nb, job, limits)
        print(f"cells ran in {time.monotonic() - t0:.2f} s", flush=True)
    print(f"kernel stopped at {time.monotonic() - t0:.2f} s", flush=True)
    nbformat.write(nb, job / "executed.ipynb")
    (job / "cells.json").write_text(json.dumps(cells))


def _run_cells(client: CappedClient, nb, job: Path, limits: dict) -> list[dict]:
    deadline = time.monotonic() + limits["notebook_timeout"]
    cells: list[dict] = []
    stopped: str | None = None   # why the remaining cells did not run
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if stopped is None and time.monotonic() > deadline:
            stopped = f"the notebook ran past its {limits['notebook_timeout']} s limit"
        if stopped is not None:
            cells.append({"index": index, "status": "not run", "error": stopped})
            continue
        start = _evidence_size(job)
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
        if index in client.truncated:
            error = (error + "; " if error else "") + "output truncated"
        cells.append({"index": index, "status": status, "error": error,
                      "evidence": [start, _evidence_size(job)]})
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


if __name__ == "__main__":
    run(Path(sys.argv[1]))
