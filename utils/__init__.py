"""Shared helpers for the deep-learning course notebooks.

Students import this package in every notebook; it holds tools (gradient checking, toy data,
plots, the visible checks) and never an exercise's solution.
"""
import os

__version__ = "0.1.0"

# Set by the test suite and CI: experiments run fewer steps (same code path) when true.
FAST = os.environ.get("COURSE_FAST") == "1"
