"""requirements.txt, environment.yml and pyproject.toml describe the same environment."""
import re

import yaml
from packaging.requirements import Requirement

from autograder import paths


def _pins(lines):
    pins = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if not line or line.startswith("-"):
            continue
        req = Requirement(line)
        spec = str(req.specifier)
        assert spec.startswith("==") and "," not in spec, f"{line!r} is not pinned exactly"
        pins[req.name.lower()] = spec[2:]
    return pins


def test_requirements_and_environment_yml_pin_the_same_versions():
    req = _pins((paths.ROOT / "requirements.txt").read_text().splitlines())
    env = yaml.safe_load((paths.ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "python=3.11" in env["dependencies"]
    assert _pins(pip_section) == req
    assert "-e ." in pip_section  # the course's utils, as in the README's setup


def test_utils_dependencies_are_satisfied_by_the_pins():
    import tomllib
    req = _pins((paths.ROOT / "requirements.txt").read_text().splitlines())
    project = tomllib.loads((paths.ROOT / "pyproject.toml").read_text())["project"]
    for dep in project["dependencies"]:
        r = Requirement(dep)
        assert r.name.lower() in req, f"{r.name} is a utils dependency but not pinned in requirements.txt"
        assert r.specifier.contains(req[r.name.lower()]), f"{r.name}=={req[r.name.lower()]} violates {r}"
        assert not str(r.specifier).startswith("=="), f"{r.name}: exact pins would fight Colab's own packages"


def test_installed_versions_match_the_pins():
    from importlib.metadata import version
    for name, pinned in _pins((paths.ROOT / "requirements.txt").read_text().splitlines()).items():
        assert version(name) == pinned, f"{name}: installed {version(name)}, pinned {pinned}"


def test_ci_runs_the_readme_test_command():
    readme = (paths.ROOT / "README.md").read_text()
    commands = re.findall(r"^\s*(\./run\.sh \w+)\s*$", readme, re.MULTILINE)
    assert commands[:2] == ["./run.sh course", "./run.sh test"], commands
    ci = [l for l in (paths.ROOT / ".ci" / "run").read_text().splitlines() if l and not l.startswith(("#", "set ", "cd "))]
    assert ci == ["./run.sh test"]


def _tested_versions() -> dict[str, list[tuple[int, ...]]]:
    """Each course package's versions across the two environments the suite runs the notebooks in."""
    from utils.environment import _version_tuple
    found: dict[str, list] = {}
    for path in (paths.ROOT / "requirements.txt", paths.COURSE / "colab-constraints.txt"):
        for name, version in _pins(path.read_text().splitlines()).items():
            found.setdefault(name.removesuffix("-cpu"), []).append(_version_tuple(version))
    return found


def test_minimum_states_only_what_is_tested():
    """check_environment's MINIMUM is the older of the pinned and the Colab versions: it neither
    promises an untested older version nor rejects Colab's."""
    from utils.environment import MINIMUM
    tested = _tested_versions()
    for name, minimum in MINIMUM.items():
        if name == "python":   # both environments run this machine's Python (3.11; Colab: 3.12)
            assert minimum == (3, 11)
            continue
        assert len(tested[name]) == 2, f"{name} is not pinned in both environments"
        assert minimum == min(tested[name])[:len(minimum)], f"{name}: MINIMUM {minimum}, tested {tested[name]}"


def test_utils_lower_bounds_never_replace_colabs_packages():
    """pip leaves a package alone when the installed version satisfies utils' requirement: every
    lower bound is at most Colab's version (and test_colab installs utils there and compares)."""
    import tomllib
    colab = _pins((paths.COURSE / "colab-constraints.txt").read_text().splitlines())
    for dep in tomllib.loads((paths.ROOT / "pyproject.toml").read_text())["project"]["dependencies"]:
        r = Requirement(dep)
        assert r.name.lower() in colab, f"{r.name}: Colab's version is not in colab-constraints.txt"
        assert r.specifier.contains(colab[r.name.lower()]), f"{r} would replace Colab's {colab[r.name.lower()]}"
