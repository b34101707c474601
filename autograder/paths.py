"""Where things are: one place for the course's folder layout."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "course"
SOURCE = ROOT / "source"
RELEASE = ROOT / "release"
SAMPLES = ROOT / "samples"
BUILD = ROOT / "build"
NBGRADER_COURSE = BUILD / "course"   # the nbgrader course folder the build writes


def source_script(assignment: str) -> Path:
    return SOURCE / assignment / f"{assignment}.py"
