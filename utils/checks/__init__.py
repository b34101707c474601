"""Visible checks: what a student runs in the notebook's test cells.

    from utils.checks import check
    check("affine_forward", affine_forward)

Each notebook's checks live in their own module here; the hidden checks used for grading live
with the instructor (`autograder/hidden`) and are never installed for students.
"""
from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

from .core import CheckFailure, Registry, run_checks

# modules of the check machinery, not notebooks' checks
NOT_CHECKS = {"core", "evidence", "references", "case_data", "hidden_harness"}


def registries():
    """Each notebook's registry, imported one at a time (a lookup stops at the first match)."""
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name not in NOT_CHECKS):
        yield importlib.import_module(f"{__name__}.{module}").checks


def likely_modules(package_path, name: str) -> list[str]:
    """Modules whose source registers `name`: found without importing the others, so a test cell
    does not pay for every notebook's imports (several load TensorFlow)."""
    pattern = re.compile(r"""\.exercise\(\s*["']%s["']""" % re.escape(name))
    found = []
    for m in sorted(pkgutil.iter_modules(package_path), key=lambda m: m.name):
        path = Path(getattr(m.module_finder, "path", "")) / f"{m.name}.py"
        if m.name not in NOT_CHECKS and path.is_file() and pattern.search(path.read_text(encoding="utf-8")):
            found.append(m.name)
    return found


def find_in(package: str, package_path, name: str) -> Registry:
    """The registry of `package` that has a check `name`."""
    for module in likely_modules(package_path, name):
        reg = importlib.import_module(f"{package}.{module}").checks
        if name in reg.factories:
            return reg
    for module in sorted(m.name for m in pkgutil.iter_modules(package_path) if m.name not in NOT_CHECKS):
        reg = importlib.import_module(f"{package}.{module}").checks
        if name in reg.factories:
            return reg
    raise KeyError(f"there is no check named {name!r}; check the spelling in the test cell")


def find(name: str) -> Registry:
    return find_in(__name__, __path__, name)


def check(name: str, fn) -> None:
    """Run the visible checks of exercise `name` on your function `fn`."""
    run_checks(find(name), name, fn)


def check_all(namespace: dict | None = None) -> dict[str, bool]:
    """Run the visible checks of every exercise of this notebook and print a summary.

    Call it as `check_all()` in a notebook cell: it finds your functions by name among the
    notebook's variables (it never reads the notebook file, so it works on Colab too).
    """
    import inspect
    if namespace is None:
        namespace = inspect.currentframe().f_back.f_globals
    results: dict[str, bool] = {}
    for reg in registries():
        if not any(name in namespace for name in reg.factories):
            continue
        for name in reg.factories:
            if name not in namespace:
                print(f"  {name:<28} not defined yet: run its cell")
                results[name] = False
                continue
            try:
                count = run_checks(reg, name, namespace[name], quiet=True)
            except CheckFailure as exc:
                print(f"\N{BALLOT X} {name:<28} {str(exc).splitlines()[0]}")
                results[name] = False
            else:
                print(f"\N{HEAVY CHECK MARK} {name:<28} {count} checks passed")
                results[name] = True
    passed = sum(results.values())
    print(f"{passed}/{len(results)} exercises pass their visible checks"
          + ("" if passed < len(results) else " (grading adds hidden checks)"))
    return results


__all__ = ["check", "check_all", "CheckFailure"]
