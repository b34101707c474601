"""Where things are: one place for the course's folder layout."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "course"
SOURCE = ROOT / "source"
RELEASE = ROOT / "release"
SAMPLES = ROOT / "samples"
BUILD = ROOT / "build"
NBGRADER_COURSE = BUILD / "course"   # the real class's nbgrader course folder (gradebook, roster)
SAMPLE_COURSE = BUILD / "sample-course"   # the bundled sample class's: never mixed with a real class


def source_script(assignment: str) -> Path:
    return SOURCE / assignment / f"{assignment}.py"
