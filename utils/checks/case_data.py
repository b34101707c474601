"""A check case's inputs as data: what the grader hands the student's kernel for the hidden checks.

The grader builds the hidden cases in its own process, writes their inputs with `encode`, and the
kernel's harness (`utils.checks.hidden_harness`) reads them back with `decode`. The judges, the
references and the seeds that made the cases stay with the grader.

The format is that of `utils.checks.evidence` (JSON; arrays as base64 bytes, never pickle; tuples,
lists and dicts tagged), plus the few other things case inputs hold, each under a tag of its own:

    {"ref": {"module": "utils.optim", "qualname": "rollout"}}      a function or class of the public
                                                                   `utils` package (or of numpy)
    {"ufunc": "tanh"}                                              a numpy ufunc
    {"partial": {"func": <ref>, "args": <tuple>, "kwargs": <dict>}} functools.partial of a ref
    {"generator": {"bit_generator": "PCG64", "state": <dict>}}     a numpy Generator, in that state
    {"watched_function": {"fn": <ref or partial>, "x0": <array>}}  utils.checks.backprop.WatchedFunction
    {"overflow_array": <array>}                                    utils.checks.backprop.watched(array)
    {"posix_path": "cats/cat.1.jpg"}                               pathlib.PurePosixPath

`encode` refuses anything else at once, saying where and why: a lambda, a local function, a function
of a module outside `utils` (the instructor's own modules are never in the kernel's reach), an
object it does not know. Move such a function to `utils` if it holds no answer (a test objective, a
function to differentiate); if it does, hand the kernel the values it needs instead.

`decode` builds only these types. The only code it runs is importing a module of `utils` (or numpy)
to find a reference, which must then be that very object (its `__module__` and `__qualname__` are
the ones written), and creating numpy bit generators. Outputs a student's function returned are
never read with this module: `evidence.decode` knows none of these tags.
"""
from __future__ import annotations

import functools
import importlib
import re
import sys
from pathlib import PurePosixPath
from typing import Any

import numpy as np

from . import evidence
from .evidence import Unencodable

#: the package a referenced function or class must live in (besides numpy's own namespace)
PUBLIC_PACKAGE = "utils"
#: numpy bit generators a Generator may be rebuilt on
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")

_BACKPROP = "utils.checks.backprop"   # WatchedFunction and OverflowIsAnError live there
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class CaseDataError(ValueError):
    """Case data that is not in this format (or names something it may not)."""


# ---- encoding (the grader's side) ---------------------------------------------------------------

def encode(value: Any, where: str = "the input") -> Any:
    """A JSON-able description of `value`; `where` names it in the error when it cannot be encoded."""
    tagged = _encode_tagged(value, where)
    if tagged is not None:
        return tagged
    if isinstance(value, tuple):
        return {"tuple": [encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, list):
        return {"list": [encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise Unencodable(f"{where}: a dict with non-string keys")
        return {"dict": {k: encode(v, f"{where}[{k!r}]") for k, v in value.items()}}
    try:
        return evidence.encode(value)   # None, bool, str, numbers, numpy scalars and plain arrays
    except Unencodable as exc:
        raise Unencodable(f"{where}: {exc} cannot be handed to the student's kernel as data") from None


def _encode_tagged(value, where: str):
    """The tagged description of `value` if it is one of the extra types, else None."""
    backprop = sys.modules.get(_BACKPROP)   # not imported: no instance of its classes can exist
    if isinstance(value, np.ndarray):
        if type(value) is np.ndarray:
            return None
        if backprop is not None and type(value) is backprop.OverflowIsAnError:
            return {"overflow_array": evidence.encode(value.view(np.ndarray))}
        raise Unencodable(f"{where}: an array of type {type(value).__name__} (only plain numpy arrays and "
                          f"utils.checks.backprop.watched arrays)")
    if backprop is not None and type(value) is backprop.WatchedFunction:
        return {"watched_function": {"fn": encode(value.fn, f"{where}.fn"), "x0": evidence.encode(value.x0)}}
    if type(value) is np.random.Generator:
        state = value.bit_generator.state
        if state.get("bit_generator") not in BIT_GENERATORS:
            raise Unencodable(f"{where}: a Generator on the bit generator {state.get('bit_generator')!r}")
        return {"generator": {"bit_generator": state["bit_generator"], "state": encode(state, f"{where}.state")}}
    if isinstance(value, np.str_):   # a str too, which evidence.encode would send as a plain str
        return {"scalar": evidence.encode(np.asarray(value).reshape(1))}
    if type(value) is PurePosixPath:
        return {"posix_path": str(value)}
    if type(value) is functools.partial:
        return {"partial": {"func": _encode_callable(value.func, f"{where}.func"),
                            "args": encode(value.args, f"{where}.args"),
                            "kwargs": encode(dict(value.keywords), f"{where}.keywords")}}
    if callable(value) and not isinstance(value, (bool, int, float, str, np.generic)):
        return _encode_callable(value, where)
    return None


def _encode_callable(fn, where: str) -> dict:
    if isinstance(fn, np.ufunc):
        if getattr(np, fn.__name__, None) is not fn:
            raise Unencodable(f"{where}: the ufunc {fn.__name__} is not numpy.{fn.__name__}")
        return {"ufunc": fn.__name__}
    module, qualname = getattr(fn, "__module__", None), getattr(fn, "__qualname__", None)
    what = f"{module}.{qualname}" if module and qualname else f"a {type(fn).__name__} object"
    if not isinstance(module, str) or not isinstance(qualname, str):
        raise Unencodable(f"{where}: {what} is not a function or class the kernel can import; hand it data "
                          f"(or a function of the public `{PUBLIC_PACKAGE}` package) instead")
    if "<lambda>" in qualname or "<locals>" in qualname:
        kind = "a lambda" if "<lambda>" in qualname else "a function defined inside another"
        raise Unencodable(f"{where}: {what} is {kind}; the kernel can only import functions defined at the top "
                          f"level of a module of `{PUBLIC_PACKAGE}`. Move it there if it holds no answer (with its "
                          f"data bound by functools.partial), else hand the kernel the values it needs.")
    if not _allowed_module(module):
        raise Unencodable(f"{where}: {what} is not in the public `{PUBLIC_PACKAGE}` package, and the student's kernel "
                          f"may import nothing else (the instructor's modules are out of its reach). Move it to "
                          f"`{PUBLIC_PACKAGE}` if it holds no answer; if it is a reference or an answer, hand the "
                          f"kernel the values it needs instead.")
    try:
        found = resolve(module, qualname)
    except CaseDataError as exc:
        raise Unencodable(f"{where}: {what} cannot be found again by its name ({exc})") from None
    if found is not fn:
        raise Unencodable(f"{where}: {module}:{qualname} names another object than {what}")
    return {"ref": {"module": module, "qualname": qualname}}


def _allowed_module(module: str) -> bool:
    return module == "numpy" or module == PUBLIC_PACKAGE or module.startswith(PUBLIC_PACKAGE + ".")


# ---- decoding (the kernel's side) ---------------------------------------------------------------

def resolve(module: str, qualname: str):
    """The function or class `qualname` of `module` (a module of `utils`, or numpy itself)."""
    if not (isinstance(module, str) and isinstance(qualname, str) and _allowed_module(module)):
        raise CaseDataError(f"a reference outside the `{PUBLIC_PACKAGE}` package")
    parts = qualname.split(".")
    if not all(_IDENTIFIER.match(p) for p in module.split(".")) or \
            not all(_IDENTIFIER.match(p) and not p.startswith("__") for p in parts):
        raise CaseDataError("a malformed reference")
    obj = importlib.import_module(module)
    for part in parts:
        obj = getattr(obj, part, None)
    if obj is None or not callable(obj) or isinstance(obj, np.ufunc) or \
            getattr(obj, "__module__", None) != module or getattr(obj, "__qualname__", None) != qualname:
        raise CaseDataError(f"no function or class {qualname} defined in {module}")
    return obj


def decode(obj: Any) -> Any:
    """Inverse of `encode`."""
    if isinstance(obj, dict) and len(obj) == 1:
        (tag, body), = obj.items()
        if tag in ("tuple", "list"):
            if not isinstance(body, list):
                raise CaseDataError(f"malformed {tag}")
            items = [decode(v) for v in body]
            return tuple(items) if tag == "tuple" else items
        if tag == "dict":
            if not isinstance(body, dict):
                raise CaseDataError("malformed dict")
            return {str(k): decode(v) for k, v in body.items()}
        if tag in _DECODERS:
            return _DECODERS[tag](body)
    try:
        return evidence.decode(obj)
    except ValueError as exc:
        raise CaseDataError(str(exc)) from None


def _decode_ref(body):
    if not isinstance(body, dict) or set(body) != {"module", "qualname"}:
        raise CaseDataError("malformed reference")
    return resolve(body["module"], body["qualname"])


def _decode_ufunc(name):
    fn = getattr(np, name, None) if isinstance(name, str) and _IDENTIFIER.match(name) else None
    if not isinstance(fn, np.ufunc):
        raise CaseDataError("not a numpy ufunc")
    return fn


def _decode_callable(obj):
    if isinstance(obj, dict) and set(obj) == {"ref"}:
        return _decode_ref(obj["ref"])
    if isinstance(obj, dict) and set(obj) == {"ufunc"}:
        return _decode_ufunc(obj["ufunc"])
    raise CaseDataError("malformed function reference")


def _decode_partial(body):
    if not isinstance(body, dict) or set(body) != {"func", "args", "kwargs"}:
        raise CaseDataError("malformed partial")
    args, kwargs = decode(body["args"]), decode(body["kwargs"])
    if not isinstance(args, tuple) or not isinstance(kwargs, dict):
        raise CaseDataError("malformed partial")
    return functools.partial(_decode_callable(body["func"]), *args, **kwargs)


def _decode_generator(body):
    if not isinstance(body, dict) or set(body) != {"bit_generator", "state"} or \
            body["bit_generator"] not in BIT_GENERATORS:
        raise CaseDataError("malformed generator")
    state = decode(body["state"])
    if not isinstance(state, dict) or state.get("bit_generator") != body["bit_generator"]:
        raise CaseDataError("malformed generator state")
    bits = getattr(np.random, body["bit_generator"])()
    try:
        bits.state = state
    except (TypeError, ValueError, KeyError) as exc:
        raise CaseDataError(f"malformed generator state ({type(exc).__name__})") from None
    return np.random.Generator(bits)


def _decode_array(body) -> np.ndarray:
    try:
        array = evidence.decode(body)
    except ValueError as exc:
        raise CaseDataError(str(exc)) from None
    if not isinstance(array, np.ndarray):
        raise CaseDataError("malformed array")
    return array


def _decode_watched_function(body):
    if not isinstance(body, dict) or set(body) != {"fn", "x0"}:
        raise CaseDataError("malformed watched function")
    fn = body["fn"]
    fn = _decode_partial(fn["partial"]) if isinstance(fn, dict) and set(fn) == {"partial"} else _decode_callable(fn)
    from .backprop import WatchedFunction
    return WatchedFunction(fn, _decode_array(body["x0"]))


def _decode_overflow_array(body):
    from .backprop import OverflowIsAnError
    return _decode_array(body).view(OverflowIsAnError)


def _decode_posix_path(body):
    if not isinstance(body, str):
        raise CaseDataError("malformed path")
    return PurePosixPath(body)


_DECODERS = {"ref": _decode_ref, "ufunc": _decode_ufunc, "partial": _decode_partial,
             "generator": _decode_generator, "watched_function": _decode_watched_function,
             "overflow_array": _decode_overflow_array, "posix_path": _decode_posix_path}
