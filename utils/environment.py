"""Where a notebook runs and what it has: Colab or local, Python/TensorFlow/Keras versions, the GPU,
Google Drive, and a folder for files that must outlive a Colab runtime.

    from utils.environment import check_environment
    check_environment()        # prints a table; raises EnvironmentProblem if something is missing

Nothing here needs Colab: every function also works (and says so) on a local machine.
TensorFlow is imported only when a function needs it, after `utils.data.use_offline_cache()`.
"""
from __future__ import annotations

import os
import platform
import re
import sys
from pathlib import Path

#: the oldest versions the course is tested under: the older of the pinned environment
#: (requirements.txt) and Colab's (course/colab-constraints.txt); tests/test_environment.py checks
MINIMUM = {"python": (3, 11), "numpy": (2, 0), "matplotlib": (3, 10), "tensorflow": (2, 19), "keras": (3, 10)}

#: where Colab mounts Google Drive (the notes mount it at /gdrive; any folder works)
DRIVE_MOUNTPOINT = "/content/drive"
#: the course's folder inside "My Drive"
DRIVE_FOLDER = "dl-course"

GPU_HOWTO = ("On Colab: menu Runtime > Change runtime type > Hardware accelerator: choose a GPU "
             "(T4 on the free tier) > Save. The runtime restarts: run the notebook again from the top.")
NO_GPU_LOCALLY = ("No GPU visible to TensorFlow. That is fine for this course: every notebook runs on "
                  "a CPU, the later ones (07-10) more slowly. (A local NVIDIA GPU needs the `tensorflow` "
                  "package with CUDA, see tensorflow.org/install/pip, not `tensorflow-cpu`.)")


class EnvironmentProblem(RuntimeError):
    """Something the course needs is missing or too old; the message says what and how to fix it."""


def on_colab() -> bool:
    """True inside a Google Colab runtime (the same test as the setup cell of every notebook)."""
    return "google.colab" in sys.modules


def where() -> str:
    return "Google Colab" if on_colab() else f"local ({platform.system() or 'unknown OS'}, {platform.machine()})"


def _version_tuple(text: str) -> tuple[int, ...]:
    """(2, 19, 0) for "2.19.0rc1": the leading number of each dot-separated part, up to the first
    part that does not start with one ("dev2024", "missing")."""
    parts = []
    for piece in text.split("."):
        digits = re.match(r"\d+", piece)
        if not digits:
            break
        parts.append(int(digits.group()))
    return tuple(parts)


def versions() -> dict[str, str]:
    """The installed versions of what the course uses ("missing" for a package that is not there)."""
    from importlib import metadata
    out = {"python": platform.python_version()}
    for name in ("numpy", "matplotlib", "tensorflow", "keras"):
        try:
            module = __import__(name)
            out[name] = getattr(module, "__version__", None) or metadata.version(name)
        except ImportError:
            out[name] = "missing"
    from . import __version__
    out["utils"] = __version__
    return out


def gpus() -> list[str]:
    """The GPUs TensorFlow can use, by name ([] on a CPU-only runtime). Keras runs every layer on the
    first of them automatically: no code in the notebooks asks for a device."""
    import tensorflow as tf
    names = []
    for device in tf.config.list_physical_devices("GPU"):
        try:
            details = tf.config.experimental.get_device_details(device)
        except Exception:   # details are optional; the device is what counts
            details = {}
        names.append(details.get("device_name") or device.name)
    return names


def device_summary() -> str:
    """One line for the top of a training notebook: which device Keras will train on."""
    found = gpus()
    if found:
        return f"Keras trains on the GPU: {found[0]}" + (f" (+{len(found) - 1} more)" if len(found) > 1 else "")
    return "Keras trains on the CPU (no GPU visible)" + (f". {GPU_HOWTO}" if on_colab() else "")


def check_environment(*, data: bool = True, verbose: bool = True) -> dict:
    """Check that this runtime can run the course: prints one line per item and returns them.

    Required: Python, numpy, matplotlib, TensorFlow and Keras at least at `MINIMUM`, Keras on its
    TensorFlow backend, the course's `utils` importable (you are using it), and with `data`
    Fashion-MNIST loadable through `keras.datasets` (downloaded on Colab, the course's offline copy
    locally). A GPU is reported, never required. Raises `EnvironmentProblem` listing every problem.
    """
    report: dict = {"where": where(), "versions": versions()}
    problems, lines = [], [f"running on: {report['where']}"]
    for name, minimum in MINIMUM.items():
        found = report["versions"][name]
        ok = found != "missing" and _version_tuple(found)[:len(minimum)] >= minimum
        lines.append(f"{'✔' if ok else '✘'} {name:<11}{found:<14}(need >= {'.'.join(map(str, minimum))})")
        if not ok:
            problems.append(f"{name} {found}: the course needs {'.'.join(map(str, minimum))} or newer "
                            + ("(`pip install -r requirements.txt` locally)" if not on_colab() else
                               "(Runtime > Restart session, or a newer runtime version)"))
    lines.append(f"✔ utils      {report['versions']['utils']}")
    if report["versions"]["keras"] != "missing":
        import keras
        report["backend"] = keras.backend.backend()
        ok = report["backend"] == "tensorflow"
        lines.append(f"{'✔' if ok else '✘'} backend    {report['backend']}")
        if not ok:
            problems.append(f"Keras runs on {report['backend']!r}: the notebooks need the TensorFlow backend "
                            "(unset KERAS_BACKEND, or set it to 'tensorflow', and restart)")
    if report["versions"]["tensorflow"] != "missing":
        report["gpus"] = gpus()
        lines.append(f"{'✔' if report['gpus'] else '·'} GPU        "
                     + (", ".join(report["gpus"]) if report["gpus"] else "none"))
        if not report["gpus"]:
            lines.append("  " + (GPU_HOWTO if on_colab() else NO_GPU_LOCALLY))
    if data and not problems:
        from .data import load_fashion_mnist
        try:
            (x_train, _), (x_test, _) = load_fashion_mnist()
            report["fashion_mnist"] = (len(x_train), len(x_test))
            lines.append(f"✔ data       Fashion-MNIST, {len(x_train)} training and {len(x_test)} test images")
        except Exception as exc:   # no network and no offline copy
            problems.append(f"Fashion-MNIST could not be loaded ({type(exc).__name__}: {exc}). On Colab check "
                            "the internet connection; locally set COURSE_DATA to the course's data folder.")
            lines.append("✘ data       Fashion-MNIST not loadable")
    if verbose:
        print("\n".join(lines))
    if problems:
        raise EnvironmentProblem("this environment cannot run the course yet:\n- " + "\n- ".join(problems))
    if verbose:
        print("The environment is ready for the course.")
    return report


def mount_drive(mountpoint: str = DRIVE_MOUNTPOINT) -> Path | None:
    """Mount Google Drive on Colab (it asks you to allow access) and return "My Drive" there.

    Returns None, doing nothing, outside Colab: locally your disk already persists.
    """
    if not on_colab():
        return None
    from google.colab import drive   # only exists on Colab
    drive.mount(mountpoint)
    return Path(mountpoint) / "MyDrive"


def persistent_folder(name: str, *, drive: Path | None = None, local_root: str | os.PathLike = ".") -> Path:
    """A folder for files that must survive the runtime (checkpoints, saved models), created.

    With `drive` (what `mount_drive()` returned): `My Drive/dl-course/<name>`, which outlives a Colab
    runtime. Without it: `<local_root>/<name>` (the working directory by default). On Colab that is on
    the runtime's own disk under /content, which a disconnect erases; locally it persists.
    """
    root = Path(drive) / DRIVE_FOLDER if drive is not None else Path(local_root)
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder
