"""Run in a student's setting (only the installed `utils`, no instructor code): call every public
callable of `utils` (and of the extra modules named) on every graded exercise's visible cases and
print `PASSES <assignment> <exercise> <callable>` for each that passes them all.

    python answer_key_probe.py [EXTRA_MODULE ...]

The extra modules are the test's control: a module holding a real answer must be found.
"""
import importlib
import inspect
import os
import pkgutil
import signal
import sys
import tempfile

# An editable install of the course would put the repository's utils first: take it out, so that
# the utils imported is the one on PYTHONPATH (the installed wheel).
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in type(f).__module__.lower()
                    and "editable" not in getattr(f, "__name__", "").lower()]
os.chdir(tempfile.mkdtemp())   # what the callables write lands in a scratch folder

import utils  # noqa: E402
from utils.checks import registries  # noqa: E402
from utils.checks.core import call_student, judge_output  # noqa: E402
from utils.data import use_offline_cache  # noqa: E402

CALL_LIMIT = 0.5   # s for one call: an answer to these cases returns in milliseconds


class TooSlow(BaseException):
    pass


def _too_slow(*_):
    raise TooSlow()


def public_callables(extra: list[str]):
    modules = [m.name for m in pkgutil.walk_packages(utils.__path__, "utils.")] + extra
    found = {}
    for name in modules:
        try:
            module = importlib.import_module(name)
        except Exception as exc:
            print(f"cannot import {name}: {exc}", file=sys.stderr)
            continue
        for attr, value in vars(module).items():
            owner = str(getattr(value, "__module__", "") or "")
            if attr.startswith("_") or not callable(value) or not (owner.startswith("utils") or owner in extra):
                continue
            found.setdefault(id(value), (f"{owner}.{getattr(value, '__qualname__', attr)}", value))
    return sorted(found.values(), key=lambda item: item[0])


def could_take(fn, case) -> bool:
    """Whether `fn` accepts the case's arguments (a driver calls it its own way: always tried)."""
    if case.call is not None:
        return True
    try:
        inspect.signature(fn).bind(*case.args, **case.kwargs)
    except TypeError:
        return False
    except ValueError:   # no signature (builtins): try it
        return True
    return True


def passes(name: str, fn, cases) -> bool:
    for i, case in enumerate(cases):
        if not could_take(fn, case):
            return False
        signal.setitimer(signal.ITIMER_REAL, CALL_LIMIT)   # (alarm() counts whole seconds)
        try:
            try:
                judge_output(name, case, call_student(name, fn, case), i, len(cases))
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        except BaseException:   # wrong, broken, or too slow (the alarm may fire as it is disarmed)
            return False
    return True


def main(extra: list[str]) -> None:
    use_offline_cache()
    signal.signal(signal.SIGALRM, _too_slow)
    print(f"utils from {os.path.dirname(utils.__file__)}", flush=True)
    candidates = public_callables(extra)
    print(f"{len(candidates)} callables", flush=True)
    for registry in registries():
        for name in registry.factories:
            cases = registry.cases(name)
            for qualified, fn in candidates:
                if passes(name, fn, cases):
                    print(f"PASSES {registry.assignment} {name} {qualified}", flush=True)
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
