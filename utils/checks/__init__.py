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


def find_in(package: str, package_path, name: str, names=(), notebook: str | None = None) -> Registry:
    """The registry of `package` that has a check `name`. Names are per notebook: where two notebooks
    have one, `notebook` (e.g. "03_softmax") says which, else the one with the most of its exercises
    among `names` (what the notebook defines, or the checks its test cells call)."""
    found = [reg for module in likely_modules(package_path, name)
             if name in (reg := importlib.import_module(f"{package}.{module}").checks).factories]
    if not found:   # (a registration the source scan missed: look everywhere)
        found = [reg for module in sorted(m.name for m in pkgutil.iter_modules(package_path) if m.name not in NOT_CHECKS)
                 if name in (reg := importlib.import_module(f"{package}.{module}").checks).factories]
    if notebook is not None:
        found = [reg for reg in found if reg.assignment == notebook]
    if not found:
        raise KeyError(f"there is no check named {name!r}" + (f" in {notebook}" if notebook else "")
                       + "; check the spelling in the test cell")
    if len(found) == 1:
        return found[0]
    names = set(names)
    score = {reg.assignment: len(names & set(reg.factories)) for reg in found}
    best = max(score.values())
    top = [reg for reg in found if score[reg.assignment] == best]
    if len(top) == 1:
        return top[0]
    raise KeyError(f"{name!r} is an exercise of {' and '.join(r.assignment for r in top)}: say which, "
                   f"e.g. check({name!r}, {name}, notebook={top[0].assignment!r})")


def find(name: str, names=(), notebook: str | None = None) -> Registry:
    return find_in(__name__, __path__, name, names, notebook)


def _caller_names(depth: int = 2) -> dict:
    import inspect
    frame = inspect.currentframe()
    for _ in range(depth):
        frame = frame.f_back
    return frame.f_globals


def check(name: str, fn, notebook: str | None = None) -> None:
    """Run the visible checks of exercise `name` on your function `fn` (`notebook`: only where two
    notebooks have an exercise of that name and yours cannot be told from what it defines)."""
    run_checks(find(name, _caller_names(), notebook), name, fn)


def notebook_registry(namespace: dict, notebook: str | None = None) -> Registry | None:
    """The registry of the notebook whose exercises `namespace` defines most of (None: none)."""
    regs = [reg for reg in registries() if notebook is None or reg.assignment == notebook]
    score = {reg.assignment: sum(name in namespace for name in reg.factories) for reg in regs}
    best = max(score.values(), default=0)
    top = [reg for reg in regs if score[reg.assignment] == best and best > 0]
    if len(top) > 1:
        raise KeyError(f"this notebook's exercises could be those of {' or '.join(r.assignment for r in top)}: "
                       f"say which, e.g. check_all(notebook={top[0].assignment!r})")
    return top[0] if top else None


def check_all(namespace: dict | None = None, notebook: str | None = None) -> dict[str, bool]:
    """Run the visible checks of every exercise of this notebook and print a summary.

    Call it as `check_all()` in a notebook cell: it finds your functions by name among the
    notebook's variables (it never reads the notebook file, so it works on Colab too). Whatever
    one exercise's check does, the others are still checked.
    """
    if namespace is None:
        namespace = _caller_names()
    results: dict[str, bool] = {}
    reg = notebook_registry(namespace, notebook)
    for name in reg.factories if reg else ():
        if name not in namespace:
            print(f"  {name:<28} not defined yet: run its cell")
            results[name] = False
            continue
        try:
            count = run_checks(reg, name, namespace[name], quiet=True)
        except CheckFailure as exc:
            print(f"\N{BALLOT X} {name:<28} {str(exc).splitlines()[0]}")
            results[name] = False
        except Exception as exc:   # (the check itself broke, e.g. a library the check uses)
            print(f"\N{BALLOT X} {name:<28} its check raised {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
                  if str(exc) else f"\N{BALLOT X} {name:<28} its check raised {type(exc).__name__}")
            results[name] = False
        else:
            print(f"\N{HEAVY CHECK MARK} {name:<28} {count} checks passed")
            results[name] = True
    passed = sum(results.values())
    print(f"{passed}/{len(results)} exercises pass their visible checks"
          + ("" if passed < len(results) else " (grading adds hidden checks)"))
    return results


__all__ = ["check", "check_all", "CheckFailure"]
