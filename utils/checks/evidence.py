"""Evidence: what a student's function returned, written down so a clean process can judge it.

When the grader runs a notebook it sets `COURSE_EVIDENCE`. Test cells then do not judge anything in
the student's kernel (where `np.allclose` or the checks themselves may have been replaced); they
call the student's function on each case and send the outputs to the grader's notebook client as a
display message of type `MIME`, which the client keeps with the cell that sent it (no file: the
kernel cannot reach what the grader reads). The grader regenerates the same cases in its own
process and runs the judges there.

The format is JSON lines with arrays as base64 bytes, never pickle: reading evidence must not run
code the student controls.
"""
from __future__ import annotations

import base64
import json
import os
from typing import Any

import numpy as np

ENV = "COURSE_EVIDENCE"
MIME = "application/x-dl-course-evidence"
MAX_RECORD_BYTES = 48 << 20   # one check's outputs (04's hidden he_init sends 22 MB); larger is an error

# dtype kinds an answer may have: bool, ints, floats, complex, strings (no objects, no structs)
_SAFE_KINDS = set("biufcU")


class Unencodable(TypeError):
    pass


def encode(value: Any) -> Any:
    """A JSON-able description of `value` (nested tuples/lists/dicts of arrays and scalars)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)) and type(value) in (int, float):
        return value if not isinstance(value, float) or np.isfinite(value) else {"float": repr(value)}
    if isinstance(value, np.generic):
        value = np.asarray(value)
        return {"scalar": encode(value.reshape(1))}
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in _SAFE_KINDS:
            raise Unencodable(f"an array of dtype {value.dtype}")
        data = np.ascontiguousarray(value)   # (0-d comes back 1-d: the shape is the value's own)
        return {"array": base64.b64encode(data.tobytes()).decode("ascii"),
                "dtype": data.dtype.str, "shape": list(value.shape)}
    if isinstance(value, tuple):
        return {"tuple": [encode(v) for v in value]}
    if isinstance(value, list):
        return {"list": [encode(v) for v in value]}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise Unencodable("a dict with non-string keys")
        return {"dict": {k: encode(v) for k, v in value.items()}}
    raise Unencodable(f"a {type(value).__name__}")


def decode(obj: Any) -> Any:
    """Inverse of `encode`. Only builds plain Python values and numpy arrays of safe dtypes."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if not isinstance(obj, dict) or len(obj) == 0:
        raise ValueError("malformed evidence")
    if "array" in obj:
        dtype = np.dtype(obj["dtype"])
        if dtype.kind not in _SAFE_KINDS:
            raise ValueError(f"evidence array of unsafe dtype {dtype}")
        shape = tuple(int(n) for n in obj["shape"])
        return np.frombuffer(base64.b64decode(obj["array"]), dtype=dtype).reshape(shape).copy()
    if "scalar" in obj:
        return decode(obj["scalar"])[0]
    if "float" in obj:
        return float(obj["float"])
    if "tuple" in obj:
        return tuple(decode(v) for v in obj["tuple"])
    if "list" in obj:
        return [decode(v) for v in obj["list"]]
    if "dict" in obj:
        return {str(k): decode(v) for k, v in obj["dict"].items()}
    raise ValueError("malformed evidence")


def recording() -> str | None:
    """Set when the grader is running this kernel (outputs are then recorded, not judged), else None."""
    return os.environ.get(ENV) or None


def record(kind: str, name: str, outputs: list, error: str | None = None) -> None:
    """Send one check call's evidence: every case's output, or the error that stopped it."""
    entry: dict = {"kind": kind, "name": name}
    if error is not None:
        entry["error"] = error
    else:
        try:
            entry["outputs"] = [encode(o) for o in outputs]
        except Unencodable as exc:
            entry = {"kind": kind, "name": name,
                     "error": f"{name} returned {exc}, which is not an answer the checks accept"}
    line = json.dumps(entry)
    if len(line) > MAX_RECORD_BYTES:
        line = json.dumps({"kind": kind, "name": name,
                           "error": f"{name} returned {len(line) >> 20} MB of output; too large"})
    from IPython.display import publish_display_data
    publish_display_data({MIME: line})
