"""What students must never get from this instructor repository, and the check of a tree
that is to be published against it (`verify`): the kinds of file a student repository holds,
the instructor folders, nbgrader's markers, solution and hidden-test statements, the hidden
checks' and references' definitions, the grader's imports. Used by `publish` before anything
reaches the public repository, and by tests/test_no_leaks.py on release/ and utils/."""
from __future__ import annotations

import ast
import doctest
import hashlib
import json
import os
import re
import stat
import textwrap
import tomllib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import jupytext
from packaging.requirements import InvalidRequirement, Requirement

from . import build, paths

#: the folders of this repository that students never get: solutions and model answers (source/),
#: sample answers (samples/), the grader with its hidden checks and the visible checks' references
#: (autograder/)
INSTRUCTOR_FOLDERS = ("autograder", "source", "samples")
#: the coarse, line-level look tests/test_no_leaks.py takes at the committed release/ and utils:
#: text only instructor files hold, and the grader's imports (`verify` below is stricter)
SECRET_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "MARK SCHEME", "autograder")
_REGIONS = {"solution": ("BEGIN SOLUTION", "END SOLUTION"),
            "hidden": ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")}
IMPORTS_GRADER = re.compile(r"\b(?:from|import)\s+autograder\b")   # (utils never needs the grader)

MANIFEST = ".published-files"
_KEPT = ".git"   # the public repository's own (a folder, or a file in a worktree): never read, written or removed
_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")   # a published path's parts: no dot files, no odd names

#: what a release notebook holds besides its cells' sources: the build's kernel, nbgrader's cell
#: metadata (build.text_to_notebook keeps no other key; nbgrader adds `deletable`, `editable`, and
#: `cell_type` and `checksum` in its own), no outputs
NOTEBOOK_METADATA = {"kernelspec": build.KERNELSPEC, "language_info": {"name": "python"}}
CELL_KEYS = {"cell_type", "id", "metadata", "source", "outputs", "execution_count"}
CELL_METADATA = {"nbgrader", "deletable", "editable"}
NBGRADER_METADATA = build.NBGRADER_KEYS | {"cell_type", "checksum"}


class PublishError(RuntimeError):
    """DIR is not a place to publish to, or the tree would hand students something of the instructor's."""


# ---- what students must not get -----------------------------------------------------------------

def _region(text: str, kind: str) -> dict[int, str]:
    """{line number: line} of the lines between `kind`'s markers, as written."""
    begin, end = _REGIONS[kind]
    inside, out = False, {}
    for number, line in enumerate(text.splitlines(), 1):
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside:
            out[number] = line
    return out


def secret_lines() -> set[str]:
    """Lines that only the instructor may see: solution bodies and hidden tests, long enough to be
    distinctive (a bare `return out` could appear anywhere). The coarse look of tests/test_no_leaks.py;
    `verify` compares statements (`instructor_secrets`)."""
    lines = set()
    for a in build.assignment_ids():
        for cell in jupytext.read(paths.source_script(a)).cells:
            for kind in _REGIONS:
                stripped = (line.strip().lstrip("#").strip() for line in _region(cell.source, kind).values())
                lines.update(line for line in stripped if len(line) >= 25)
    return lines


#: nodes a statement may consist of and still say nothing of a solution: `pass`, `return out`,
#: `x, w, b = cache`, `import numpy as np` appear in any code
_PLAIN = (ast.Name, ast.Constant, ast.Tuple, ast.List, ast.Dict, ast.Set, ast.Starred, ast.UnaryOp, ast.unaryop,
          ast.expr_context, ast.Pass, ast.Break, ast.Continue, ast.Return, ast.Expr, ast.Assign, ast.Delete, ast.alias)


def _trivial(stmt: ast.stmt) -> bool:
    return (isinstance(stmt, (ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal))
            or all(isinstance(node, _PLAIN) for node in ast.walk(stmt)))


_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")


def _statements(tree: ast.AST) -> dict[str, ast.stmt]:
    """{ast.dump: statement} of every simple statement in `tree`, nested ones too (names, constants
    and structure; comments, spacing and line breaks do not count), but trivial ones. (A block's
    statements are compared one by one; functions and classes whole by `_definitions`.)"""
    return {ast.dump(s): s for s in ast.walk(tree) if isinstance(s, ast.stmt)
            and not any(hasattr(s, b) for b in _BLOCKS) and not _trivial(s)}


def _docstring(node: ast.AST) -> bool:
    body = getattr(node, "body", None)
    return (isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and bool(body)
            and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str))


def _dump_without_docstrings(node: ast.AST) -> str:
    """ast.dump of a definition as if it had no docstrings and no decorators (taken out for the
    dump, then put back): `@implements(...)` dropped from a copied reference changes nothing."""
    saved = [(n, n.body) for n in ast.walk(node) if _docstring(n)]
    decorators = node.decorator_list
    try:
        for n, body in saved:
            n.body = body[1:] or [ast.Pass()]
        node.decorator_list = []
        return ast.dump(node)
    finally:
        for n, body in saved:
            n.body = body
        node.decorator_list = decorators


_DEFINITION = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _forwards(d: ast.AST) -> bool:
    """A function whose body only passes its arguments on to another function by name, as
    `find(name, ...)` does in both utils.checks and autograder.hidden: it says nothing itself."""
    body = d.body[1:] if _docstring(d) else d.body
    return (not isinstance(d, ast.ClassDef) and len(body) == 1 and isinstance(body[0], (ast.Return, ast.Expr))
            and isinstance(call := body[0].value, ast.Call) and isinstance(call.func, ast.Name)
            and all(isinstance(a, (ast.Name, ast.Constant)) for a in [*call.args, *(k.value for k in call.keywords)]))


def _definitions(tree: ast.Module, lines: set[int] | None = None) -> dict[str, str]:
    """{ast.dump without docstrings: name} of the functions and classes `tree` defines at its top
    level (only those spanning one of `lines`, where given), whole: a helper nested in a hidden check
    may well be the visible check's own."""
    return {_dump_without_docstrings(d): d.name for d in tree.body if isinstance(d, _DEFINITION)
            and not _forwards(d) and (lines is None or any(d.lineno <= n <= (d.end_lineno or d.lineno) for n in lines))}


_MAGIC = re.compile(r"^(\s*)[%!].*$", re.M)


def _parse_code(source: str, cell: bool = True) -> ast.Module | None:
    """A notebook cell's code (IPython's `%` and `!` lines as `pass`) or a module's parsed, or None."""
    try:
        return ast.parse(_MAGIC.sub(r"\1pass", source) if cell else source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


_PREFIX = re.compile(r"^(?:#+|>>>|\.\.\.|>|[-*+]\s|`+)\s*")
_INLINE_CODE = re.compile(r"`([^`\n]+)`")


def _fragment_statements(text: str) -> dict[str, ast.stmt]:
    """The statements in text that is not code as a whole: comments, docstrings, prose, markdown,
    metadata. Every line alone (stripped of `#`, `>>>`, `...`, quoting, list bullets and backticks,
    a block header given a body), every block of consecutive comment lines, and every doctest."""
    found: dict[str, ast.stmt] = {}

    def add(source: str) -> None:
        try:
            found.update(_statements(ast.parse(source)))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            pass

    block: list[str] = []   # consecutive comment lines, their `#` taken off: a commented-out statement
    for line in [*text.splitlines(), ""]:
        stripped = line.strip()
        if stripped.startswith("#"):
            block.append(stripped.lstrip("#"))
        elif block:
            add(textwrap.dedent("\n".join(block)))
            block = []
        while True:
            shorter = _PREFIX.sub("", stripped, count=1).rstrip("`").strip()
            if shorter == stripped:
                break
            stripped = shorter
        for piece in [stripped, *_INLINE_CODE.findall(line)]:
            if piece.strip():
                add(piece.strip() + (" pass" if piece.strip().endswith(":") else ""))
    try:
        for example in doctest.DocTestParser().get_examples(text):
            add(example.source)
    except ValueError:   # (an inconsistently indented example: its lines were taken one by one above)
        pass
    return found


def _strings(obj) -> list[str]:
    """Every string in a parsed JSON document, keys too."""
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for k, v in obj.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(obj, list):
        return [s for v in obj for s in _strings(v)]
    return []


@dataclass
class Secrets:
    """What only the instructor's files hold, in the forms `verify` compares."""
    statements: dict[str, str] = field(default_factory=dict)    # ast.dump -> where (solutions, hidden tests,
                                                                #   but what the source shows students too)
    definitions: dict[str, str] = field(default_factory=dict)   # ast.dump -> where (hidden, references, solutions)
    prose: dict[str, str] = field(default_factory=dict)         # a written answer's line, normalised -> where
    files: dict[str, str] = field(default_factory=dict)         # sha256 -> instructor file
    judged: dict = field(default_factory=dict)                  # (path, sha256, ...) -> _file_problems'


def _prose(line: str) -> str:
    return " ".join(re.sub(r"[#>*`_]", " ", line).lower().split())


def _grade_call(stmt: ast.stmt) -> bool:
    return (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Name) and stmt.value.func.id == "grade")


def instructor_secrets() -> Secrets:
    """Every solution and hidden-test region of source/ as statements (and written answers' lines of
    25 characters or more as text), every function and class of autograder/hidden, autograder/references
    and the solution cells, and every instructor file's digest."""
    secrets, public = Secrets(), set()
    for a in build.assignment_ids():
        for number, cell in enumerate(jupytext.read(paths.source_script(a)).cells, 1):
            where = f"source/{a}, cell {number}"
            inside: set[int] = set()
            shown = "\n".join(line for n, line in enumerate(cell.source.splitlines(), 1)
                              if n not in {*_region(cell.source, "solution"), *_region(cell.source, "hidden")})
            tree = _parse_code(shown) if cell.cell_type == "code" else None
            public.update(_fragment_statements(shown))   # (its comments and markdown too)
            public.update(_statements(tree) if tree else ())
            for kind in _REGIONS:
                region = _region(cell.source, kind)
                if not region:
                    continue
                inside.update(region)
                code = textwrap.dedent("\n".join(region.values()))
                tree = _parse_code(code) if cell.cell_type == "code" else None
                found = _statements(tree) if tree else _fragment_statements(code)
                if kind == "hidden":   # (its `grade(name, fn)` is the documented form, course/AUTHORING.md)
                    found = {d: st for d, st in found.items() if not _grade_call(st)}
                secrets.statements.update(dict.fromkeys(found, where))
                if cell.cell_type != "code":
                    secrets.prose.update({_prose(l): where for l in region.values() if len(_prose(l)) >= 25})
            tree = _parse_code(cell.source) if inside and cell.cell_type == "code" else None
            if tree:   # (a solution's function whole, its docstring aside)
                secrets.definitions.update(dict.fromkeys(_definitions(tree, inside), where))
    for shown in public:   # (`inputs = keras.Input((28, 28))` in a solution, and in the text beside it)
        secrets.statements.pop(shown, None)
    for folder in ("hidden", "references"):
        for path in sorted((paths.ROOT / "autograder" / folder).glob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            where = path.relative_to(paths.ROOT).as_posix()
            secrets.definitions.update({d: f"{where}: {name}" for d, name in _definitions(tree).items()})
    secrets.files = {_digest(p): p.relative_to(paths.ROOT).as_posix()
                     for folder in INSTRUCTOR_FOLDERS for p in (paths.ROOT / folder).rglob("*")
                     if p.is_file() and "__pycache__" not in p.parts and p.stat().st_size}
    return secrets


def _grader_imports(tree: ast.AST, module: PurePosixPath | None) -> list[str]:
    """How code reaches the grader: an import naming `autograder` (in any position), a string that is
    its module name (importlib.import_module("autograder.hidden"), __import__), or a relative import
    out of the utils package (`module`: the file's path, for the depth of its package)."""
    found = []
    is_grader = re.compile(r"autograder(?:\.[\w.]*)?").fullmatch
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, *_DEFINITION)) and n.body and isinstance(n.body[0], ast.Expr)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if is_grader(a.name)]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module and is_grader(node.module):
                found.append(node.module)
            elif node.level and module is not None and node.level >= len(module.parts):
                found.append("." * node.level + (node.module or ""))   # (above utils: the repository root)
            elif node.level and module is None:
                found.append("." * node.level + (node.module or ""))
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
              and is_grader(node.value.strip())):
            found.append(repr(node.value))
    return found


def _utils_imports(tree: ast.AST, module: PurePosixPath | None) -> set[str]:
    """The utils modules `tree` imports (dotted), relative imports of a utils module resolved."""
    names = set()
    package = list(module.parent.parts) if module is not None else []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                names.add(node.module or "")
            elif module is not None and node.level <= len(package):
                base = package[:len(package) - node.level + 1]
                names.add(".".join([*base, *([node.module] if node.module else [])]))
    return {n for n in names if n == "utils" or n.startswith("utils.")}


def _notebook_problems(rel: PurePosixPath, nb: dict) -> list[str]:
    """A release notebook holds the build's kernel metadata, nbgrader's cell metadata and no outputs:
    anything else came from somewhere the other checks do not look."""
    problems = []
    if set(nb) - {"cells", "metadata", "nbformat", "nbformat_minor"} or nb.get("metadata") != NOTEBOOK_METADATA:
        problems.append(f"{rel}: notebook metadata other than the build's kernel ({sorted(nb.get('metadata', {}))})")
    for number, cell in enumerate(nb.get("cells", []), 1):
        meta = cell.get("metadata", {})
        extra = sorted((set(cell) - CELL_KEYS) | (set(meta) - CELL_METADATA)
                       | (set(meta.get("nbgrader", {})) - NBGRADER_METADATA))
        if extra:
            problems.append(f"{rel}, cell {number}: metadata a release notebook does not carry: {extra}")
        if cell.get("outputs") or cell.get("execution_count") is not None or cell.get("attachments"):
            problems.append(f"{rel}, cell {number}: outputs")
    return problems


def _declared_references(root: Path) -> dict[str, str]:
    """{reference name: its stored-values file} for every `@reference` declared in the tree's utils
    (found in the source: utils.checks.references names `module.qualname`, stored by module)."""
    from utils.checks.references import _file_of
    declared = {}
    for rel in _files(root):
        if rel.parts[0] != "utils" or rel.suffix != ".py" or not stat.S_ISREG(os.lstat(root / rel).st_mode):
            continue
        module = ".".join(rel.with_suffix("").parts)
        tree = _parse_code((root / rel).read_text(encoding="utf-8", errors="replace"), cell=False)
        for node in ast.walk(tree) if tree else ():
            if isinstance(node, _DEFINITION) and any(
                    (isinstance(d, ast.Name) and d.id == "reference")
                    or (isinstance(d, ast.Attribute) and d.attr == "reference") for d in node.decorator_list):
                name = f"{module}.{node.name}"
                declared[name] = _file_of(name)
    return declared


_FINGERPRINT = re.compile(r"[0-9a-f]{32}")


def _expected_problems(rel: PurePosixPath, text: str, declared: dict[str, str]) -> list[str]:
    """A stored-values file holds, for references utils declares and stores in this file, values by
    fingerprint, and nothing else.

    Recomputing the files instead (`python -m autograder expected`: every visible check run on the
    solutions and their near misses, through TensorFlow and Keras) gives the same bytes but took 95 s
    of CPU (180 s on 2 shared cores; 06's optimizers alone 137 s), against a publish's build of about
    11 s: so a publish checks what each file may hold, and the values themselves are the ones git
    tracks (an untracked file is never published) and tests/test_answer_key.py checks against the solutions."""
    try:
        stored = json.loads(text)
    except ValueError:
        return [f"{rel}: not JSON"]
    if not isinstance(stored, dict):
        return [f"{rel}: not a table of references"]
    problems = []
    for name, values in stored.items():
        if declared.get(name) != rel.stem:
            problems.append(f"{rel}: {name!r} is not a reference utils declares and stores there")
        elif not isinstance(values, dict) or not all(isinstance(k, str) and _FINGERPRINT.fullmatch(k)
                                                     for k in values):
            problems.append(f"{rel}: {name!r} holds more than values by fingerprint")
    return problems


def _pyproject_problems(text: str) -> list[str]:
    """The package must be utils alone, and its dependencies lower bounds only: an upper bound, a pin
    or a URL would make pip replace the numpy, TensorFlow or Keras Colab ships."""
    try:
        config = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return [f"pyproject.toml: not TOML ({exc})"]
    packages = config.get("tool", {}).get("setuptools", {}).get("packages")
    if not isinstance(packages, list):
        return ["pyproject.toml: [tool.setuptools] packages must list the packages (utils, utils.checks); "
                "a `find` or none packages whatever lies beside them"]
    problems = [f"pyproject.toml packages {p!r}, not utils" for p in packages
                if not isinstance(p, str) or p.split(".")[0] != "utils"]
    project = config.get("project", {})
    for dependency in [*project.get("dependencies", []),
                       *(d for ds in project.get("optional-dependencies", {}).values() for d in ds)]:
        try:
            requirement = Requirement(dependency)
        except InvalidRequirement:
            problems.append(f"pyproject.toml: {dependency!r} is not a requirement")
            continue
        if requirement.url:
            problems.append(f"pyproject.toml: {dependency!r} installs from a URL, not a lower bound")
        elif any(spec.operator != ">=" for spec in requirement.specifier):
            problems.append(f"pyproject.toml: {dependency!r} is more than a lower bound")
    return problems


def _file_problems(rel: PurePosixPath, data: bytes, secrets: Secrets, declared: dict) -> tuple[list[str], set[str]]:
    """(what is wrong with the file `rel` holding `data`, the utils modules it imports)."""
    problems, imported = [], set()
    digest = hashlib.sha256(data).hexdigest()
    if digest in secrets.files:
        problems.append(f"{rel}: a copy of {secrets.files[digest]}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return [*problems, f"{rel}: not UTF-8 text"], imported
    texts, trees = [text], []
    if rel.suffix == ".ipynb":
        try:
            nb = json.loads(text)
            cells = [c for c in nb["cells"] if c.get("cell_type") == "code"]
            problems += _notebook_problems(rel, nb)
        except (ValueError, KeyError, TypeError, AttributeError):
            return [*problems, f"{rel}: not a notebook"], imported
        texts = _strings(nb)   # (sources, metadata and outputs alike, JSON's escapes undone)
        trees = [t for t in (_parse_code("".join(c.get("source", ""))) for c in cells) if t]
    elif rel.suffix == ".py":
        trees = [t for t in [_parse_code(text, cell=False)] if t]
        problems += [] if trees else [f"{rel}: does not parse as Python"]
    elif rel.suffix == ".json":
        problems += _expected_problems(rel, text, declared)
        try:
            texts += _strings(json.loads(text))
        except ValueError:
            pass
    elif str(rel) == "pyproject.toml":
        problems += _pyproject_problems(text)
    markers = {m.group(0) for t in [text, *texts] for m in build.MARKER_LIKE.finditer(t)}
    problems += [f"{rel}: contains {m!r} (an nbgrader marker)" for m in sorted(markers)]
    module = rel if rel.suffix == ".py" else None
    found: dict[str, ast.stmt] = {}
    for t in texts:
        found.update(_fragment_statements(t))
        prose = {_prose(line) for line in t.splitlines()} & secrets.prose.keys()
        problems += [f"{rel}: a written answer of {secrets.prose[p]}: {p[:60]!r}" for p in sorted(prose)]
    for tree in trees:
        found.update(_statements(tree))
        problems += [f"{rel}: imports the grader ({how})" for how in _grader_imports(tree, module)]
        problems += [f"{rel}: {name} is {secrets.definitions[dump]}'s"
                     for dump, name in _definitions(tree).items() if dump in secrets.definitions]
        imported |= _utils_imports(tree, module)
    leaked = sorted(found.keys() & secrets.statements.keys())
    if leaked:
        problems.append(f"{rel}: {len(leaked)} statement(s) of a solution or hidden test, e.g. "
                        f"{ast.unparse(found[leaked[0]]).splitlines()[0]!r} ({secrets.statements[leaked[0]]})")
    return problems, imported


def verify(root: Path, secrets: Secrets | None = None) -> None:
    """Raise PublishError naming every file of the tree at `root` that students must not get.
    `secrets`: instructor_secrets(), where already at hand (it remembers the files it has judged)."""
    secrets = secrets or instructor_secrets()
    problems, imported = [], {}
    files = _files(root)
    declared = _declared_references(root)
    for rel in files:
        if rel.parts[0] in INSTRUCTOR_FOLDERS:
            problems.append(f"{rel}: instructor-only ({rel.parts[0]}/)")
            continue
        if not _allowed(rel) or not stat.S_ISREG(os.lstat(root / rel).st_mode):
            problems.append(f"{rel}: not a kind of file the student repository holds")
            continue
        data = (root / rel).read_bytes()
        key = (rel, hashlib.sha256(data).hexdigest(), tuple(sorted(declared.items())) if rel.suffix == ".json" else ())
        if key not in secrets.judged:
            secrets.judged[key] = _file_problems(rel, data, secrets, declared)
        problems += secrets.judged[key][0]
        imported[rel] = secrets.judged[key][1]
    modules = {".".join(r.with_suffix("").parts[:-1] if r.stem == "__init__" else r.with_suffix("").parts)
               for r in files if r.parts[0] == "utils" and r.suffix == ".py"}
    for rel, names in sorted(imported.items()):
        missing = sorted(names - modules)
        if missing:
            problems.append(f"{rel}: imports {', '.join(missing)}, which is not published (only files git "
                            "tracks are: `git add` it)")
    if problems:
        raise PublishError("the student repository would hold what students must not get (or lack what "
                           "they need):\n  " + "\n  ".join(problems))


# ---- the kinds of file a published tree holds ---------------------------------------------------

def _allowed(rel: PurePosixPath) -> bool:
    """The kinds of file a published tree holds (a path relative to its root)."""
    parts = rel.parts
    if str(rel) in ("README.md", "pyproject.toml", ".gitignore", MANIFEST):
        return True
    if not parts or not all(_PART.fullmatch(p) for p in parts):
        return False
    return ((parts[0] == "release" and len(parts) == 3 and rel.suffix == ".ipynb")
            or (parts[0] == "utils" and rel.suffix == ".py")
            or (rel.parent == PurePosixPath("utils/checks/expected") and rel.suffix == ".json"))


def _walk(root: Path):
    """(folder relative to `root`, the names in it that are not folders walked into), for `root` and
    every folder under it but `.git`. A link to a folder counts as a file: it is never followed."""
    for folder, dirs, names in os.walk(root):
        here = PurePosixPath(Path(folder).relative_to(root).as_posix())
        if here == PurePosixPath("."):
            dirs[:] = [d for d in dirs if d != _KEPT]
            names = [n for n in names if n != _KEPT]
        yield here, names + [d for d in dirs if os.path.islink(os.path.join(folder, d))]


def _files(root: Path) -> list[PurePosixPath]:
    """Every file (and link, and anything else not a folder) under `root`, but `.git`."""
    return sorted(here / name for here, names in _walk(root) for name in names)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
