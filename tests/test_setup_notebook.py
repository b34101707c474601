"""Notebook 00 and utils.environment: the environment check passes here and names every problem it
finds; Colab is detected the way the setup cell detects it; Google Drive is mounted only on Colab
and only when asked; the notebook is graded for no points and releases without answer cells."""
import sys
import types

import jupytext
import nbformat
import pytest

from autograder import build, paths
from utils import environment
from utils.environment import (GPU_HOWTO, EnvironmentProblem, _version_tuple, check_environment, device_summary,
                               mount_drive, on_colab, persistent_folder, where)


@pytest.fixture
def colab(monkeypatch, tmp_path):
    """A simulated Colab runtime: `google.colab` importable, its drive.mount recorded."""
    calls = []
    drive = types.ModuleType("google.colab.drive")

    def mount(mountpoint, **kwargs):
        calls.append(mountpoint)
        (tmp_path / "drive" / "MyDrive").mkdir(parents=True, exist_ok=True)
    drive.mount = mount
    google = types.ModuleType("google")
    package = types.ModuleType("google.colab")
    package.drive = drive
    google.colab = package
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", package)
    monkeypatch.setitem(sys.modules, "google.colab.drive", drive)
    return calls


def test_the_check_passes_here(capsys):
    report = check_environment()
    out = capsys.readouterr().out
    assert "The environment is ready" in out and "✘" not in out
    assert report["backend"] == "tensorflow" and report["fashion_mnist"] == (60000, 10000)
    assert report["versions"]["keras"].startswith("3.") and report["where"].startswith("local")
    if report["gpus"]:                                    # reported, never required
        assert f"✔ GPU        {report['gpus'][0]}" in out
    else:
        assert environment.NO_GPU_LOCALLY in out


def test_old_versions_missing_packages_and_other_backends_are_named(monkeypatch, capsys):
    real = environment.versions()
    monkeypatch.setattr(environment, "versions", lambda: {**real, "tensorflow": "2.12.0", "numpy": "missing"})
    with pytest.raises(EnvironmentProblem) as info:
        check_environment(data=False)
    needs = ".".join(map(str, environment.MINIMUM["tensorflow"]))
    assert f"tensorflow 2.12.0: the course needs {needs} or newer" in str(info.value)
    assert "numpy missing" in str(info.value)
    assert "✘ tensorflow" in capsys.readouterr().out
    monkeypatch.setattr(environment, "versions", lambda: real)
    import keras
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    with pytest.raises(EnvironmentProblem, match="Keras runs on 'jax'"):
        check_environment(data=False)


def test_unloadable_data_is_named(monkeypatch):
    import utils.data

    def offline():
        raise OSError("no network")
    monkeypatch.setattr(utils.data, "load_fashion_mnist", offline)
    with pytest.raises(EnvironmentProblem, match="Fashion-MNIST could not be loaded .*no network"):
        check_environment()


def test_colab_is_detected_like_the_setup_cell(colab, capsys, monkeypatch):
    assert on_colab() and where() == "Google Colab"
    monkeypatch.setattr(environment, "gpus", lambda: [])
    assert GPU_HOWTO in device_summary()                 # a CPU runtime: say how to get a GPU
    check_environment(data=False)
    assert "Runtime > Change runtime type" in capsys.readouterr().out
    monkeypatch.setattr(environment, "gpus", lambda: ["Tesla T4"])
    assert device_summary() == "Keras trains on the GPU: Tesla T4"
    setup = nbformat.read(paths.RELEASE / "00_setup" / "00_setup.ipynb", as_version=4).cells[1].source
    assert 'if "google.colab" in sys.modules:' in setup   # the same test


def test_drive_is_mounted_only_on_colab(colab, tmp_path, monkeypatch):
    my_drive = mount_drive(str(tmp_path / "drive"))
    assert colab == [str(tmp_path / "drive")] and my_drive == tmp_path / "drive" / "MyDrive"
    folder = persistent_folder("checkpoints", drive=my_drive)
    assert folder == my_drive / "dl-course" / "checkpoints" and folder.is_dir()
    monkeypatch.delitem(sys.modules, "google.colab")
    assert not on_colab() and mount_drive(str(tmp_path / "elsewhere")) is None and colab == [str(tmp_path / "drive")]
    assert persistent_folder("models", local_root=tmp_path) == tmp_path / "models"


def test_version_strings():
    assert _version_tuple("2.21.0") == (2, 21, 0)
    assert _version_tuple("2.19.0rc1") == (2, 19, 0)
    assert _version_tuple("1.26.4+cpu") == (1, 26, 4)
    assert _version_tuple("3.15.1.dev2024") == (3, 15, 1)
    assert _version_tuple("missing") == ()


def test_the_setup_notebook_is_ungraded_and_opt_in():
    assert not build.is_graded("00_setup") and build.is_graded("01_perceptron")
    assert "00_setup" in build.assignment_ids() and "00_setup" not in build.assignment_ids(graded=True)
    assert build.assignment_ids(graded=False) == ["00_setup"]
    nb = jupytext.read(paths.source_script("00_setup"))
    assert not [c for c in nb.cells if c.metadata.get("nbgrader")]          # nothing to answer or grade
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "USE_DRIVE = False" in source and "mount_drive() if USE_DRIVE and on_colab() else None" in source
    assert "simulated_disconnect(epoch=3)" in source and "fit_resumable" in source
    released = nbformat.read(paths.RELEASE / "00_setup" / "00_setup.ipynb", as_version=4)
    assert "check_environment()" in "\n".join(c.source for c in released.cells)


def test_the_grader_and_the_sample_class_refuse_the_ungraded_notebook(tmp_path):
    from autograder import grade_class
    from autograder.__main__ import run_sample_class
    with pytest.raises(SystemExit, match="not graded for points"):
        grade_class.grade_class("00_setup", tmp_path, tmp_path / "course")
    with pytest.raises(SystemExit, match="not graded for points"):
        run_sample_class(tmp_path / "course", tmp_path / "release", only=["00_setup"])
