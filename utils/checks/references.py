"""Reference values for the visible checks, without the references themselves.

The visible checks compare a student's answer with what an independent engine (TensorFlow, Keras)
computes on the same inputs. Shipping those references to students would hand them an answer key:
`def softmax(x): return tf_softmax(x)` would pass. So a reference is declared here only by its
signature, with `@reference`; its implementation lives on the instructor side
(`autograder/references/`). Its values for the visible cases are computed when the course is built
and committed in `expected/<module>.json` (as CS231n ships `correct_out`); in a student's kernel a
reference answers only for those inputs, and only while a check makes its cases or judges an
answer (utils.checks.core): called from a notebook, it raises `NoStoredValue`.

On the instructor side (the grader, the build, the tests) `autograder.references` registers the
implementations and every call computes the value: hidden cases, whose inputs are never stored,
are judged there.

Values are looked up by a fingerprint of the call's arguments, and stored in the evidence
encoding (JSON, never pickle).
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import json
from pathlib import Path
from typing import Any, Callable

import numpy as np

from . import evidence

STORE = Path(__file__).parent / "expected"

_implementations: dict[str, Callable] = {}   # reference name -> implementation (instructor side)
_live_package: str | None = None             # where implementations are imported from, if anywhere
_stored: dict[str, dict] = {}                # file name -> {reference name: {fingerprint: value}}
_recording: dict | None = None               # while building: {file: {name: {fingerprint: value}}}
_serving = 0                                 # > 0 while a check makes cases or judges (core.py)


class NoStoredValue(LookupError):
    """A reference asked about inputs that are not a visible case's: only the grader can answer."""


def _file_of(name: str) -> str:
    """The stored-values file of a reference: its module's last name (`softmax` for
    `utils.checks.softmax.tf_softmax`, `optim` for `utils.optim.keras_trajectory`)."""
    module = name.rsplit(".", 1)[0] if "." in name else name
    return module.split(".")[-1] if "." in module else module


def fingerprint(args: tuple, kwargs: dict) -> str:
    """A stable digest of a call's arguments (arrays by dtype, shape and bytes)."""
    h = hashlib.sha256()

    def feed(obj) -> None:
        if isinstance(obj, np.ndarray) or isinstance(obj, np.generic):
            a = np.ascontiguousarray(obj)
            h.update(f"a{a.dtype.str}{a.shape}".encode())
            h.update(a.tobytes())
        elif isinstance(obj, (list, tuple)):
            h.update(f"{type(obj).__name__}{len(obj)}(".encode())
            for v in obj:
                feed(v)
            h.update(b")")
        elif isinstance(obj, dict):
            h.update(f"d{len(obj)}(".encode())
            for k in sorted(obj, key=str):
                feed(str(k))
                feed(obj[k])
            h.update(b")")
        elif obj is None or isinstance(obj, (bool, int, float, str)):
            h.update(f"{type(obj).__name__}:{obj!r};".encode())
        elif isinstance(obj, np.ufunc):   # (by name: numpy 2.0's ufuncs have no __module__, 2.4's do)
            h.update(f"ufunc:{obj.__name__};".encode())
        elif callable(obj) and hasattr(obj, "__qualname__"):
            h.update(f"f{getattr(obj, '__module__', '')}.{obj.__qualname__};".encode())
        else:
            raise TypeError(f"a reference's argument of type {type(obj).__name__} cannot be fingerprinted")

    feed(args)
    feed(kwargs)
    return h.hexdigest()[:32]


def reference(stub: Callable) -> Callable:
    """Declare a reference by its signature and docstring; see the module's docstring."""
    name = f"{stub.__module__}.{stub.__qualname__}"

    @functools.wraps(stub)
    def value(*args, **kwargs):
        impl = _implementation(name)
        if impl is None:
            return _lookup(name, args, kwargs)
        out = impl(*args, **kwargs)
        if _recording is not None:
            _recording.setdefault(_file_of(name), {}).setdefault(name, {})[fingerprint(args, kwargs)] = \
                evidence.encode(out)
        return out

    value.reference_name = name
    return value


def _implementation(name: str) -> Callable | None:
    if name not in _implementations and _live_package is not None:
        import importlib
        importlib.import_module(f"{_live_package}.{_file_of(name)}")   # registers its implementations
        if name not in _implementations:
            raise LookupError(f"{_live_package}.{_file_of(name)} does not implement {name}")
    return _implementations.get(name)


def _lookup(name: str, args: tuple, kwargs: dict):
    if not _serving:
        raise NoStoredValue(f"{name.rsplit('.', 1)[-1]} answers only the checks themselves (the references "
                            f"stay with the instructor)")
    file = _file_of(name)
    if file not in _stored:
        path = STORE / f"{file}.json"
        _stored[file] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    try:
        return evidence.decode(_stored[file][name][fingerprint(args, kwargs)])
    except (KeyError, TypeError):
        raise NoStoredValue(f"{name.rsplit('.', 1)[-1]} has stored values for the visible checks' inputs only "
                            f"(the references themselves stay with the instructor)") from None


@contextlib.contextmanager
def _serving_checks():
    """Stored values are served within the block (a check making its cases or judging)."""
    global _serving
    _serving += 1
    try:
        yield
    finally:
        _serving -= 1


# ---- the instructor side's hooks (autograder.references; private: not for notebooks) ---------------------------------------

def _implement(declared: Callable, impl: Callable) -> None:
    _implementations[declared.reference_name] = impl


def _live_from(package: str | None) -> None:
    """Compute references with the implementations in `package` (imported module by module, as
    they are first needed); None: answer from the stored values."""
    global _live_package
    _live_package = package


def _start_recording() -> None:
    global _recording
    _recording = {}


def _stop_recording() -> dict:
    global _recording
    out, _recording = _recording or {}, None
    return out


class stored_only:
    """Within the block, references answer from the stored values as in a student's kernel."""

    def __enter__(self):
        global _live_package
        self._saved = dict(_implementations), _live_package
        _implementations.clear()
        _live_package = None
        _stored.clear()
        return self

    def __exit__(self, *exc) -> None:
        global _live_package
        _implementations.update(self._saved[0])
        _live_package = self._saved[1]
        _stored.clear()
