"""Shared fixtures. The whole suite runs offline, headless and in the short (COURSE_FAST) mode."""
import os
from pathlib import Path

import pytest

os.environ["COURSE_FAST"] = "1"
os.environ["MPLBACKEND"] = "Agg"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from autograder import build  # noqa: E402
from utils.data import use_offline_cache  # noqa: E402

# Keras reads the course data from the offline copy (../shared/data), never the network.
use_offline_cache()


@pytest.fixture(scope="session")
def assignments() -> list[str]:
    return build.assignment_ids()


@pytest.fixture(scope="session")
def built_course(tmp_path_factory) -> tuple[Path, Path]:
    """A fresh build in a temporary folder: (nbgrader course folder, release folder)."""
    root = tmp_path_factory.mktemp("build")
    course, release = root / "course", root / "release"
    build.build_release(release, course)
    return course, release


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory):
    """The sample class autograded end to end in a temporary course folder."""
    from autograder.__main__ import run_sample_class
    root = tmp_path_factory.mktemp("graded")
    course, release = root / "course", root / "release"
    rows = run_sample_class(course, release)
    return course, {(r.assignment, r.student): r for r in rows}
