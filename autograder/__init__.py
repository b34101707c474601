"""Instructor-side tooling: build the release, grade submissions, hidden checks.

Nothing in this package is released to students or installed by `pip install` of the course's
`utils` (pyproject.toml packages `utils` only; tests/test_no_leaks.py proves it).
"""
import sys

# jsonschema (under nbformat) imports rfc3987_syntax when it is installed, which builds a parser at
# import time: 1.2 s of the start-up of every grader process (workers, sandboxed runners, nbgrader
# commands), for an "iri" format check nbformat never uses. Importing this package first skips it.
sys.modules.setdefault("rfc3987_syntax", None)

# Every instructor-side process computes the visible checks' references (utils.checks.references);
# only a student's kernel answers from their stored values.
from . import references  # noqa: E402,F401
