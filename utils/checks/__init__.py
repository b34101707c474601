"""Visible checks: what a student runs in the notebook's test cells.

    from utils.checks import check
    check("affine_forward", affine_forward)

Each notebook's checks live in their own module here; the hidden checks used for grading live
with the instructor (`autograder/hidden`) and are never installed for students.
"""
from __future__ import annotations

import importlib
import pkgutil

from .core import CheckFailure, Registry, run_checks

# modules of the check machinery, not notebooks' checks
NOT_CHECKS = {"core", "evidence"}


def registries():
    """Each notebook's registry, imported one at a time (a lookup stops at the first match)."""
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name not in NOT_CHECKS):
        yield importlib.import_module(f"{__name__}.{module}").checks


def find(name: str) -> Registry:
    for reg in registries():
        if name in reg.factories:
            return reg
    raise KeyError(f"there is no check named {name!r}; check the spelling in the test cell")


def check(name: str, fn) -> None:
    """Run the visible checks of exercise `name` on your function `fn`."""
    run_checks(find(name), name, fn)


__all__ = ["check", "CheckFailure"]
