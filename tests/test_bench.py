"""The benchmark's notebook runs: kernel start-up chatter is kept out of the printed figures, and a
failing run still shows what its kernel wrote on stderr."""
import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

from autograder.bench import execute

TO_STDERR = "import sys; print('kernel chatter', file=sys.__stderr__, flush=True)"


def test_kernel_stderr_is_shown_only_when_the_run_fails(tmp_path, capfd):
    execute(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(TO_STDERR)]), tmp_path)
    assert "kernel chatter" not in "".join(capfd.readouterr())

    failing = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(TO_STDERR + "; 1 / 0")])
    with pytest.raises(CellExecutionError, match="ZeroDivisionError"):
        execute(failing, tmp_path)
    assert "kernel chatter" in capfd.readouterr().out
