"""Instructor-side tooling: build the release, grade submissions, hidden checks.

Nothing in this package is released to students or installed by `pip install` of the course's
`utils` (pyproject.toml packages `utils` only; tests/test_no_leaks.py proves it).
"""
