"""The instructor's JupyterLab on a course folder, and pages rendered in headless Chromium
(shared by test_formgrader.py and test_inert.py).

JupyterLab is started the way `./run.sh lab` starts it (in the nbgrader course folder, with the
repository on PYTHONPATH), on 127.0.0.1 with a random free port and a known token. Pages are
rendered in Debian's headless Chromium (`--dump-dom`): their scripts run, and the DOM they leave
is returned.
"""
from __future__ import annotations

import contextlib
import http.server
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from autograder import paths

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
START_TIMEOUT = 60   # s, for JupyterLab to answer
PAGE_TIMEOUT = 60    # s of real time for Chromium to render one page
# Virtual time does not advance while requests are pending, so the budget is time for the
# page's scripts once the API has answered, not a guess at how slow the server is.
VIRTUAL_TIME_BUDGET_MS = 10000


def kill_group(proc: subprocess.Popen) -> None:
    """Stop a process started with start_new_session=True and everything it spawned."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=wait)
            return


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_chromium() -> None:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: `./run.sh test` installs Debian's chromium "
                    "(or set CHROMIUM to a Chromium/Chrome binary)")


def dump_dom(url: str, tmp: Path) -> str:
    """The DOM of the page at `url` after its scripts ran, in headless Chromium with a throwaway
    profile under `tmp`."""
    profile = tmp / f"chromium-{secrets.token_hex(4)}"
    cmd = [CHROMIUM, "--headless", "--disable-gpu", "--disable-dev-shm-usage",
           "--no-sandbox",  # its own throwaway profile, our loopback server only; root needs it
           "--no-first-run", "--disable-extensions", "--disable-background-networking",
           f"--user-data-dir={profile}", f"--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}",
           "--dump-dom", url]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=PAGE_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"Chromium did not render {url} in {PAGE_TIMEOUT} s")
    finally:
        kill_group(proc)  # its helper processes too
        shutil.rmtree(profile, ignore_errors=True)
    if proc.returncode != 0 or b"<html" not in out:
        pytest.fail(f"Chromium failed on {url} ({proc.returncode}):\n{err.decode()[-2000:]}")
    return out.decode("utf-8")


class Lab:
    """A JupyterLab server on loopback, in an nbgrader course folder."""

    def __init__(self, course: Path, tmp: Path):
        self.course, self.tmp = course, tmp
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / "jupyterlab.log"
        env = dict(os.environ)
        # As ./run.sh lab: the course config imports autograder.*, grading kernels its hidden checks.
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(paths.ROOT), env.get("PYTHONPATH")) if p)
        # Nothing from the user's own Jupyter config, runtime or data folders.
        for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTER_DATA_DIR"):
            env[var] = str(tmp / var.lower())
        cmd = [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser",
               "--ip=127.0.0.1", f"--port={self.port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={self.token}"]
        if os.geteuid() == 0:
            cmd.append("--allow-root")
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(cmd, cwd=course, env=env, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def api(self, path: str, put: dict | None = None):
        req = urllib.request.Request(self.url + path, headers={"Authorization": f"token {self.token}"},
                                     data=None if put is None else json.dumps(put).encode(),
                                     method="GET" if put is None else "PUT")
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.load(r)

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"JupyterLab exited ({self.proc.returncode}):\n{self.log_text()[-3000:]}")
            with contextlib.suppress(OSError):
                self.api("/api/status")
                return
            time.sleep(0.5)
        pytest.fail(f"JupyterLab did not answer in {START_TIMEOUT} s:\n{self.log_text()[-3000:]}")

    def render(self, page: str) -> str:
        """The DOM of a page of this server after its scripts ran, in headless Chromium.

        The page is opened through /login?token=...&next=page: that sets the login cookie for
        the whole server (a token on the page's own URL sets it only for the page's folder, and
        the page's API requests then go unauthenticated)."""
        return dump_dom(f"{self.url}/login?" + urllib.parse.urlencode({"token": self.token, "next": page}),
                        self.tmp)

    def stop(self) -> None:
        kill_group(self.proc)


@contextlib.contextmanager
def running_lab(course: Path, tmp: Path):
    lab = Lab(course, tmp)
    try:
        lab.wait_until_up()
        yield lab
    finally:
        lab.stop()


class Canary(http.server.ThreadingHTTPServer):
    """A loopback HTTP server that records the paths requested of it: a hostile page that runs
    script calls it (tests/test_inert.py, tests/test_similarity.py)."""

    def __init__(self):
        self.hits: list[str] = []   # paths without the leading slash, e.g. "<student>/<payload>"
        self._taken = 0
        canary = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                canary.hits.append(self.path.strip("/"))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.server_address[1]}"
        self.url = f"http://{self.host}"
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def take(self) -> set[str]:
        """The payloads that called since the last take."""
        time.sleep(0.5)   # a request Chromium sent as it closed
        end = len(self.hits)
        new, self._taken = self.hits[self._taken:end], end
        return set(new)

    def js(self, tag: str) -> str:
        """A call of the canary with no slash, quote or space (it fits in a file name and an unquoted attribute)."""
        return (f"document.createElement(`img`).src=[String.fromCharCode(104,116,116,112,58),``,`{self.host}`,`{tag}`]"
                ".join(String.fromCharCode(47));document.title=`PWNED`")
