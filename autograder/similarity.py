"""Similarity and integrity report of one assignment: evidence for an instructor, never a penalty.

    python -m autograder similarity ASSIGNMENT [--course DIR]

writes `<course>/reports/<assignment>-similarity.html` (next to gradebook.db's folder), a static page
(no script; a CSP that allows none) with

- pairs of students whose answers are unusually alike, ranked: each student's answer cells
  (nbgrader `solution: true`, by grade_id) from `<course>/submitted/<student>/<assignment>/` (or
  `autograded/`), less every line of the release template's cell (given code never counts),
  normalised with `tokenize` (names -> V1, V2, ... in order of first use within each k-gram,
  literals -> their kind, comments, blank lines and layout dropped; prose: lower-case words) and
  fingerprinted by k-gram winnowing (Schleimer, Wilkerson and Aiken 2003, as MOSS and copydetect).
  A pair's score per exercise is the Jaccard index of the two fingerprint sets; per assignment, the
  same over all exercises with each fingerprint weighted by its rarity in the class (what most of
  the class wrote is weak evidence). Answers under MIN_TOKENS tokens pair with nobody;
- integrity findings: answers to numpy exercises (those whose reference solution in the course's
  source notebook uses no TensorFlow, Keras, JAX or PyTorch) that use autodiff or a framework
  (tensorflow, GradientTape, keras / keras.ops, jax, torch, autograd) or the course's internals
  (utils.autodiff, utils.gradcheck, autograder, and course modules' own names for them such as
  utils.learner.tf), named per exercise, read with `ast` (IPython magics read as `pass`); code that
  hides what it reaches (`__import__`, `importlib`, `pkgutil`, `exec`, `eval`, `compile`,
  `globals()`, `getattr` of a module by a computed name, `sys.modules`, `__globals__` and other
  insides of objects, star imports), which a numpy answer has no need of; and calls of the
  student's own helpers, defined in a cell where a framework is allowed, that use one. A reading of
  the code, not of what ran: a student can still hide a helper in a code cell of their own
  (adversarial.INTEGRITY_EVASIONS lists what a red team tried).
"""
from __future__ import annotations

import ast
import builtins
import html
import io
import keyword
import math
import os
import re
import stat
import textwrap
import time
import tokenize
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import paths

K = 6                 # tokens per k-gram (code); words per k-gram (prose)
WINDOW = 4            # winnowing window: any match of K + WINDOW - 1 tokens is kept
MAX_NOTEBOOK_BYTES = 20_000_000   # a notebook past this is not read (the grader reports it)
MAX_ANSWER_CHARS = 100_000        # an answer is compared on its first 100 000 characters
MIN_TOKENS = 25       # an answer shorter than this (after the template is removed) pairs with nobody
SHOWN_PAIRS = 25      # pairs shown side by side in the report
FORBIDDEN = ("tensorflow", "keras", "tf_keras", "jax", "jaxlib", "torch", "autograd",
             "utils.autodiff", "utils.gradcheck", "autograder")
FRAMEWORKS = ("tensorflow", "keras", "tf_keras", "jax", "jaxlib", "torch")   # not numpy, when a solution uses one
# A name of an imported chain that is one of these, anywhere in it, reaches a framework (the course's
# own modules hold some: utils.learner.tf, a check's _tf)
FORBIDDEN_PARTS = frozenset({"tensorflow", "tf", "_tf", "keras", "tf_keras", "jax", "torch", "autograd",
                             "autodiff", "gradcheck", "autograder", "GradientTape"})
# Code that reaches modules or code by a computed name or through other objects' insides
# (__import__('tensor' + 'flow'), exec of a string, check.__globals__['importlib']): what it loads
# cannot be read from the answer, so the line is named for a person to read
DYNAMIC_NAMES = ("__import__", "exec", "eval", "compile", "globals", "vars", "__builtins__")
DYNAMIC_MODULES = ("importlib", "builtins", "sys.modules", "pkgutil", "runpy", "operator.attrgetter",
                   "operator.methodcaller")
DYNAMIC_ATTRIBUTES = frozenset({"__globals__", "__builtins__", "__subclasses__", "__self__", "__dict__",
                                "__loader__", "__spec__", "modules", "f_globals", "f_builtins"})
_MODULE_PATH = re.compile(r"[A-Za-z_][\w.]*(?::[\w.]*)?")   # what import_module or resolve_name is given
_NAMED_IN_TEXT = re.compile(r"\b(tensorflow|keras|GradientTape|torch|jax|autograd|autodiff|gradcheck|autograder|"
                            r"__import__|importlib|exec|eval)\b")
_MARKERS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")
_WORDS = re.compile(r"[^\W_]+", re.UNICODE)
_KEEP = frozenset(dir(builtins)) | frozenset(keyword.kwlist) | {"self", "np", "tf", "keras", "math"}


# ---- reading the class ---------------------------------------------------------------------------
def _answer_cells(nb) -> dict[str, tuple[str, str]]:
    out = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if isinstance(meta, dict) and meta.get("solution") and isinstance(meta.get("grade_id"), str):
            out.setdefault(meta["grade_id"], (cell.cell_type, cell.source if isinstance(cell.source, str) else ""))
    return out


def _regular(path: Path) -> bool:
    """A regular file, not a link, FIFO or device (a student's folder may hold anything), of a size
    worth reading."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and st.st_size <= MAX_NOTEBOOK_BYTES


def _notebook(folder: Path, assignment: str) -> Path | None:
    preferred = folder / f"{assignment}.ipynb"
    if _regular(preferred):
        return preferred
    return next((p for p in sorted(folder.glob("*.ipynb")) if _regular(p)), None)


def read_class(course: Path, assignment: str) -> dict[str, dict[str, tuple[str, str]]]:
    """student -> grade_id -> (cell type, source) of the answer cells, from submitted/ (else autograded/)."""
    students: dict[str, dict] = {}
    for kind in ("submitted", "autograded"):
        for folder in sorted((course / kind).glob(f"*/{assignment}")):
            student = folder.parent.name
            if student in students or folder.parent.is_symlink() or folder.is_symlink():
                continue
            nb_path = _notebook(folder, assignment)
            if nb_path is None:
                continue
            try:   # whatever is wrong with one student's notebook, the others are compared
                students[student] = {gid: (kind, source[:MAX_ANSWER_CHARS])
                                     for gid, (kind, source) in _answer_cells(nbformat.read(nb_path, as_version=4)).items()}
            except Exception:   # unreadable: nothing to compare (the grader reports it)
                continue
    return students


# ---- normalising and fingerprinting --------------------------------------------------------------
_STRINGS = {tokenize.STRING} | {getattr(tokenize, n) for n in ("FSTRING_START",) if hasattr(tokenize, n)}
_SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING,
            tokenize.ENDMARKER} | {getattr(tokenize, n) for n in ("FSTRING_MIDDLE", "FSTRING_END")
                                   if hasattr(tokenize, n)}
_FALLBACK = re.compile(r"#[^\n]*|(?P<s>'[^'\n]*'|\"[^\"\n]*\")|(?P<n>\d[\w.]*)|(?P<i>[^\W\d]\w*)|(?P<o>\S)")


def _raw_tokens(source: str) -> list[tuple[int, str, str]]:
    """(line, kind, text) with kind ID, NUM, STR or OP; comments and layout dropped."""
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in _SKIPPED:
                continue
            line = tok.start[0]
            if tok.type == tokenize.NAME:
                out.append((line, "ID", tok.string))
            elif tok.type == tokenize.NUMBER:
                out.append((line, "NUM", "NUM"))
            elif tok.type in _STRINGS:
                out.append((line, "STR", "STR"))
            elif tok.type == tokenize.NEWLINE or tok.string == ";":
                out.append((line, "OP", ";"))
            else:
                out.append((line, "OP", tok.string))
        return out
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    out = []   # not Python (a magic, a syntax error): the same, by regular expression
    for number, text in enumerate(source.splitlines(), 1):
        for m in _FALLBACK.finditer(text):
            if m.group("s"):
                out.append((number, "STR", "STR"))
            elif m.group("n"):
                out.append((number, "NUM", "NUM"))
            elif m.group("i"):
                out.append((number, "ID", m.group("i")))
            elif m.group("o"):
                out.append((number, "OP", m.group("o")))
        out.append((number, "OP", ";"))
    return out


_LITERAL = re.compile(r"\d[\w.]*|'[^'\n]*'|\"[^\"\n]*\"")


_NAME = re.compile(r"(?<![.\w])[^\W\d]\w*")


def _line_key(line: str) -> str:
    """A line as compared with the template's: layout, the values of literals and the names of
    variables do not matter (a given line with its variables renamed is still given)."""
    line = _NAME.sub(lambda m: m.group(0) if keyword.iskeyword(m.group(0)) else "V", _LITERAL.sub("0", line))
    return re.sub(r"\s+", "", line)


def _template_lines(template: str) -> set[str]:
    return {_line_key(line) for line in template.splitlines() if line.strip()}


#: what Python's parser raises on hostile code: deep nesting gives RecursionError or MemoryError
_UNPARSABLE = (SyntaxError, ValueError, RecursionError, MemoryError)


def _canonical(source: str) -> str:
    """The code as ast.unparse lays it out (one layout, no comments, no redundant parentheses
    lost or added by a reformatter); as written where it does not parse."""
    try:
        return ast.unparse(ast.parse(source))
    except _UNPARSABLE:
        return source


def code_tokens(source: str, template: str = "", keep: frozenset = _KEEP) -> list[tuple[str, str]]:
    """The answer's tokens with the template's lines removed: (kind, text); names not in `keep`
    (builtins, keywords, the notebook's own names) are ("ID", name), renamed per k-gram later."""
    given = _template_lines(_canonical(template)) if template else set()
    source = _canonical(source)
    given_lines = {number for number, line in enumerate(source.splitlines(), 1) if _line_key(line) in given}
    toks = []
    prev = None
    for number, kind, text in _raw_tokens(source):
        if number in given_lines:
            continue
        if kind == "ID" and (text in keep or prev == "."):   # API names (np.dot, x.T) stay as written
            toks.append(("OP", text))
        else:
            toks.append((kind, text))
        prev = text
    while toks and toks[0] == ("OP", ";"):
        toks.pop(0)
    return toks


def prose_tokens(source: str, template: str = "") -> list[tuple[str, str]]:
    given = _template_lines(template)
    return [("OP", w.lower()) for line in source.splitlines() if _line_key(line) not in given
            for w in _WORDS.findall(line)]


def _kgram_hashes(tokens: list[tuple[str, str]], k: int = K) -> list[int]:
    out = []
    for i in range(len(tokens) - k + 1):
        names: dict[str, int] = {}
        gram = []
        for kind, text in tokens[i:i + k]:
            if kind == "ID":
                gram.append(names.setdefault(text, len(names)))
            else:
                gram.append(text)
        out.append(hash(tuple(gram)))
    return out


def winnow(hashes: list[int], window: int = WINDOW) -> set[int]:
    """The minimum hash of every window of `window` consecutive k-grams (all of them if fewer)."""
    if len(hashes) <= window:
        return set(hashes)
    return {min(hashes[i:i + window]) for i in range(len(hashes) - window + 1)}


# ---- integrity: autodiff or a framework in a numpy exercise --------------------------------------
def _forbidden(module: str) -> bool:
    return (any(module == f or module.startswith(f + ".") for f in FORBIDDEN)
            or not FORBIDDEN_PARTS.isdisjoint(module.split(".")))


def _dynamic(module: str) -> bool:
    return (any(module == f or module.startswith(f + ".") or f".{f}." in f".{module}." for f in DYNAMIC_MODULES)
            or not DYNAMIC_ATTRIBUTES.isdisjoint(module.split(".")))


def merged_aliases(*maps: dict[str, str]) -> dict[str, str]:
    """The maps in order, later names over earlier ones, except that a name bound to a framework
    or to dynamic code stays bound to it: `if False: import numpy as tf` in an answer does not make
    the notebook's `tf` numpy."""
    out: dict[str, str] = {}
    for aliases in maps:
        for name, module in aliases.items():
            if name not in out or not (_forbidden(out[name]) or _dynamic(out[name])):
                out[name] = module
    return out


def _python_lines(source: str) -> list[str]:
    """The lines as Python numbers them (str.splitlines also splits at U+2028 and other breaks)."""
    return re.split(r"\r\n|\r|\n", source)


def _parsed(source: str) -> ast.Module | None:
    """The code's tree, read as IPython runs it where plain Python fails: its magics and shell
    lines (`%%capture`, `%config ...`, `!ls`) as `pass`, each on its line; None if it still fails."""
    for text in (source, "\n".join(re.sub(r"^(\s*)[%!].*", r"\1pass", line) for line in _python_lines(source))):
        try:
            return ast.parse(text)
        except _UNPARSABLE:
            continue
    return None


def _framework(module: str) -> bool:
    return any(module == f or module.startswith(f + ".") for f in FRAMEWORKS)


def import_aliases(sources) -> dict[str, str]:
    """name -> the dotted module path it was imported as, over every parsable source."""
    aliases = {}
    for source in sources:
        if (tree := _parsed(source)) is not None:
            aliases.update(_tree_aliases(tree))
    return aliases


def _tree_aliases(tree: ast.AST) -> dict[str, str]:
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    return aliases


def _dotted(node, aliases) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id in aliases:
        return ".".join([aliases[node.id], *reversed(parts)])
    return None


def uses(source: str, aliases: dict[str, str], helpers: dict[str, str] | None = None) -> list[tuple[int, str]]:
    """(line, dotted name) of every use of a forbidden module in `source`: imports, names the
    notebook imported (tf, keras, tf_value_and_grads, ...), attributes of them, the module paths
    __import__ / importlib.import_module / pkgutil.resolve_name are given; and every use of code
    that reaches modules or code by a computed name or through other objects' insides
    (DYNAMIC_NAMES, DYNAMIC_MODULES, DYNAMIC_ATTRIBUTES), and star imports. IPython's magics are
    read as `pass`; code that still does not parse is searched for the names, outside comments.
    `helpers`: the student's own functions that use one (_helpers_using), named where called."""
    if (tree := _parsed(source)) is None:
        words = "|".join(re.escape(name) for name, module in aliases.items() if _forbidden(module))
        pattern = re.compile(rf"{_NAMED_IN_TEXT.pattern}|\b({words})\b") if words else _NAMED_IN_TEXT
        return sorted({(number, m.group(0)) for number, line in enumerate(_python_lines(source), 1)
                       for m in pattern.finditer(unicodedata.normalize("NFKC", line.split("#")[0]))})
    aliases = merged_aliases(aliases, _tree_aliases(tree))
    helpers = helpers or {}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if _forbidden(a.name) or _dynamic(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                name = f"{node.module}.{a.name}"
                if a.name == "*" or node.level or _forbidden(name) or _dynamic(name):
                    found.append((node.lineno, "." * node.level + name))   # a star binds what no one can read
        elif isinstance(node, ast.Name) and node.id in DYNAMIC_NAMES:
            found.append((node.lineno, node.id))
        elif isinstance(node, ast.Name) and node.id in helpers:
            found.append((node.lineno, helpers[node.id]))
        elif isinstance(node, ast.Attribute) and node.attr in DYNAMIC_ATTRIBUTES - {"modules"}:
            found.append((node.lineno, node.attr))   # check.__globals__, print.__self__, object.__subclasses__
        elif isinstance(node, (ast.Attribute, ast.Name)):
            name = _dotted(node, aliases)
            if name and (_forbidden(name) or _dynamic(name)):
                found.append((node.lineno, name))
        elif isinstance(node, ast.Call):
            # getattr(sys, 'mod' + 'ules'): an attribute of a module by a computed name
            if isinstance(node.func, ast.Name) and node.func.id == "getattr" and node.args:
                module = _dotted(node.args[0], aliases)
                attr = node.args[1] if len(node.args) > 1 else None
                if module and not (isinstance(attr, ast.Constant) and isinstance(attr.value, str)):
                    found.append((node.lineno, f"getattr({module}, ...)"))
                elif module and (_forbidden(f"{module}.{attr.value}") or _dynamic(f"{module}.{attr.value}")):
                    found.append((node.lineno, f"{module}.{attr.value}"))
            # a module path given by name: __import__("torch"), import_module("tensorflow"),
            # resolve_name("utils.autodiff:tf_value_and_grads") (prose in a docstring is no path)
            for arg in node.args:
                if (isinstance(arg, ast.Constant) and isinstance(arg.value, str) and _MODULE_PATH.fullmatch(arg.value)
                        and _forbidden(arg.value.replace(":", ".").rstrip("."))):
                    found.append((arg.lineno, arg.value.replace(":", ".").rstrip(".")))
    # one name per line: what it reaches before how (torch, not the __import__ that loads it by
    # name), then the longest (tf.GradientTape, not tf as well)
    best: dict[int, str] = {}
    for line, name in found:
        if line not in best or (_forbidden(name), len(name)) > (_forbidden(best[line]), len(best[line])):
            best[line] = name
    return sorted(best.items())


def _helpers_using(answers: dict[str, tuple[str, str]], aliases: dict[str, str], numpy_ids: set[str]) -> dict[str, str]:
    """Functions a student defined in their answers to exercises that are not numpy ones (build_lenet's
    cell may use Keras) that use a framework or dynamic code: name -> what it uses, where. A numpy
    answer that calls one reaches the framework through it."""
    helpers = {}
    for gid, (kind, source) in answers.items():
        if kind != "code" or gid in numpy_ids or (tree := _parsed(source)) is None:
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                found = uses(ast.get_source_segment(source, node) or "", aliases)   # (no recursion)
                if found:
                    helpers[node.name] = f"{node.name}, defined in {gid}, uses {found[0][1]}"
    return helpers


def solution_text(source: str) -> str:
    """The reference solution's own lines (between the markers) of a source answer cell."""
    out, inside = [], False
    for line in source.splitlines():
        if _MARKERS.match(line):
            inside = "BEGIN" in line
        elif inside:
            out.append(line)
    return "\n".join(out) if out else source


# ---- the analysis --------------------------------------------------------------------------------
@dataclass
class Pair:
    a: str
    b: str
    score: float                                   # weighted Jaccard over the whole assignment
    exercises: dict[str, float] = field(default_factory=dict)   # grade_id -> Jaccard, compared cells only


@dataclass
class Finding:
    student: str
    exercise: str
    uses: list[tuple[int, str]]


@dataclass
class Report:
    assignment: str
    students: list[str]
    exercises: list[str]
    numpy_exercises: list[str]
    pairs: list[Pair]                               # ranked, highest score first
    findings: list[Finding]
    answers: dict[str, dict[str, tuple[str, str]]]
    seconds: float = 0.0
    names: dict[str, str] = field(default_factory=dict)   # student id -> name on the roster

    def who(self, student: str) -> str:
        """The student as the page shows them: id, and the roster's name where there is one."""
        name = self.names.get(student)
        return f"{student} ({name})" if name else student

    def rank_of(self, a: str, b: str) -> int:
        key = frozenset((a, b))
        return next(i for i, p in enumerate(self.pairs) if frozenset((p.a, p.b)) == key)


def numpy_exercises(source_nb) -> tuple[list[str], dict[str, set[str]], dict[str, str]]:
    """(the code exercises whose reference solution uses no framework, what each reference itself
    uses of the forbidden modules, the notebook's import aliases)."""
    aliases = import_aliases(c.source for c in source_nb.cells if c.cell_type == "code")
    numpy_ids, allowed = [], {}
    for gid, (kind, source) in _answer_cells(source_nb).items():
        if kind != "code":
            continue
        used = {name for _, name in uses(solution_text(source), aliases)}
        allowed[gid] = used
        if not any(_framework(n) for n in used) and not _drives_an_object(source, solution_text(source), aliases):
            numpy_ids.append(gid)
    return numpy_ids, allowed, aliases


def _drives_an_object(cell_source: str, solution: str, aliases: dict[str, str]) -> bool:
    """True for an exercise whose reference drives an object it is given, calling its methods for their
    effect, and uses no module (10's fine_tune: `learn.freeze()`, `learn.fit(...)` on the course's Keras
    learner): not a numpy exercise, so a framework in an answer there is no sign of autodiff."""
    try:
        cell, body = ast.parse(cell_source), ast.parse(textwrap.dedent(solution))
    except (SyntaxError, ValueError):
        return False
    params = {a.arg for f in ast.walk(cell) if isinstance(f, ast.FunctionDef)
              for a in f.args.posonlyargs + f.args.args + f.args.kwonlyargs}
    names = {n.id for n in ast.walk(body) if isinstance(n, ast.Name)}
    # a statement that is only a call of a parameter's method, made for its effect on that object
    drives = [s for s in ast.walk(body) if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call)
              and isinstance(s.value.func, ast.Attribute) and isinstance(s.value.func.value, ast.Name)
              and s.value.func.value.id in params]
    return bool(drives) and not names & set(aliases)


def notebook_names(release_nb) -> set[str]:
    """Names the notebook gives everyone: its imports (np, helpers) and the functions and classes
    it defines, exercises included. They stay as written when answers are normalised."""
    names = set(import_aliases(c.source for c in release_nb.cells if c.cell_type == "code"))
    for c in release_nb.cells:
        if c.cell_type == "code":
            names |= set(re.findall(r"^\s*(?:def|class)\s+(\w+)", c.source, re.MULTILINE))
    return names


def analyse(assignment: str, answers: dict[str, dict[str, tuple[str, str]]], release_nb, source_nb=None) -> Report:
    t0 = time.perf_counter()
    template = _answer_cells(release_nb)
    exercises = list(template)
    keep = _KEEP | notebook_names(release_nb)
    students = sorted(answers)
    prints: dict[str, dict[str, set[int]]] = {}
    for s in students:
        prints[s] = {}
        for gid in exercises:
            kind, source = answers[s].get(gid, ("code", ""))
            t_kind, t_source = template[gid]
            toks = (code_tokens(source, t_source, keep) if t_kind == "code" else prose_tokens(source, t_source))
            if len(toks) >= MIN_TOKENS:
                prints[s][gid] = winnow(_kgram_hashes(toks))
    # rarity weights per (exercise, fingerprint): log(N / df), so what most of the class wrote weighs little
    n = max(len(students), 2)
    df: dict[tuple[str, int], int] = {}
    for s in students:
        for gid, fp in prints[s].items():
            for h in fp:
                df[gid, h] = df.get((gid, h), 0) + 1
    weight = {key: math.log((n + 1) / c) for key, c in df.items()}
    keyed = {s: {(gid, h) for gid, fp in prints[s].items() for h in fp} for s in students}
    total = {s: sum(weight[k] for k in keyed[s]) for s in students}
    pairs = []
    for i, a in enumerate(students):
        ka, pa = keyed[a], prints[a]
        for b in students[i + 1:]:
            common = ka & keyed[b]
            if not common:
                continue
            shared = sum(weight[k] for k in common)
            union = total[a] + total[b] - shared
            per = {}
            for gid, fa in pa.items():
                fb = prints[b].get(gid)
                if fb:
                    inter = len(fa & fb)
                    per[gid] = inter / (len(fa) + len(fb) - inter)
            pairs.append(Pair(a, b, shared / union if union > 0 else 0.0, per))
    pairs.sort(key=lambda p: (-p.score, p.a, p.b))
    findings = []
    if source_nb is not None:
        numpy_ids, allowed, aliases = numpy_exercises(source_nb)
        aliases = merged_aliases(aliases, import_aliases(c.source for c in release_nb.cells if c.cell_type == "code"))
        for s in students:
            mine = merged_aliases(aliases, import_aliases(src for k, src in answers[s].values() if k == "code"))
            helpers = _helpers_using(answers[s], mine, set(numpy_ids))
            for gid in numpy_ids:
                kind, source = answers[s].get(gid, ("code", ""))
                if kind != "code" or not source.strip():
                    continue
                # a line given in the template, as given (whitespace aside), is not the student's
                given = {re.sub(r"\s+", "", line) for line in _python_lines(template[gid][1]) if line.strip()}
                lines = _python_lines(source)
                hits = [(line, name) for line, name in uses(source, mine, helpers)
                        if name not in allowed.get(gid, set())
                        and not (0 < line <= len(lines) and re.sub(r"\s+", "", lines[line - 1]) in given)]
                if hits:
                    findings.append(Finding(s, gid, hits))
    else:
        numpy_ids = []
    return Report(assignment, students, exercises, numpy_ids, pairs, findings, answers,
                  time.perf_counter() - t0)


# ---- the page ------------------------------------------------------------------------------------
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; script-src 'none'; base-uri 'none'; form-action 'none'"
_STYLE = """body{font-family:sans-serif;margin:1.5em;max-width:110em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.25em .5em;vertical-align:top;text-align:left}
pre{white-space:pre-wrap;word-break:break-all;margin:0;font-size:85%;max-height:30em;overflow:auto}
.side{width:50%}.hi{background:#fde2e2}.note{color:#555}section{margin-bottom:2em}"""


_INVISIBLE = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\ud800-\udfff]")


def _e(text) -> str:
    """Student text (ids, code, names) as inert HTML text: escaped, and without the bidi controls
    that would reorder what follows on the page (a score, the other student's name) or lone
    surrogates that cannot be written (shown as U+FFFD)."""
    return html.escape(_INVISIBLE.sub("\ufffd", str(text)), quote=True)


def render(report: Report, shown: int = SHOWN_PAIRS, per_exercise: int = 5) -> str:
    r = report
    out = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
           f"<meta http-equiv='Content-Security-Policy' content=\"{_CSP}\">",
           "<meta name='referrer' content='no-referrer'>",
           f"<title>Similarity and integrity: {_e(r.assignment)}</title><style>{_STYLE}</style></head><body>",
           f"<h1>Similarity and integrity report: {_e(r.assignment)}</h1>",
           "<p class='note'>Evidence for a person to judge, never a penalty by itself. Scores compare "
           "answer cells after removing the code every student was given, renaming variables and "
           "dropping comments, literals and layout; code most of the class wrote counts little. "
           f"{len(r.students)} students, {len(r.exercises)} answer cells; answers under {MIN_TOKENS} "
           f"tokens are not compared. Computed in {r.seconds:.1f} s.</p>"]
    # integrity
    out.append("<section id='integrity'><h2>Autodiff or frameworks in numpy exercises</h2>")
    out.append("<p class='note'>Numpy exercises (reference solution uses no TensorFlow, Keras, JAX or "
               f"PyTorch): {_e(', '.join(r.numpy_exercises) or 'none')}. Also named: code that hides what "
               "it reaches (<code>__import__</code>, <code>importlib</code>, <code>exec</code>, <code>eval</code>, "
               "<code>globals()</code>, <code>sys.modules</code>, a function's <code>__globals__</code>, star "
               "imports), and the student's own helpers that use a framework, called from a numpy exercise. "
               "This reads the code; it cannot see code run from a cell the student added.</p>")
    if r.findings:
        out.append("<table><tr><th>exercise</th><th>student</th><th>uses</th><th>answer</th></tr>")
        for f in sorted(r.findings, key=lambda f: (r.exercises.index(f.exercise), f.student)):
            used = "<br>".join(f"line {line}: <code>{_e(name)}</code>" for line, name in f.uses)
            out.append(f"<tr class='finding'><td>{_e(f.exercise)}</td><td class='student'>{_e(r.who(f.student))}</td>"
                       f"<td>{used}</td><td><pre>{_e(r.answers[f.student].get(f.exercise, ('', ''))[1])}</pre></td></tr>")
        out.append("</table>")
    else:
        out.append("<p>None found.</p>")
    out.append("</section>")
    # ranked pairs
    out.append("<section id='pairs'><h2>Most similar pairs (whole assignment)</h2>")
    if not r.pairs:
        out.append("<p>No pair shares any answer code.</p>")
    else:
        out.append("<table><tr><th>rank</th><th>student A</th><th>student B</th><th>score</th>"
                   "<th>alike exercises (Jaccard)</th></tr>")
        for i, p in enumerate(r.pairs[:shown], 1):
            alike = ", ".join(f"{_e(g)} {s:.2f}" for g, s in sorted(p.exercises.items(), key=lambda x: -x[1]) if s >= 0.3)
            out.append(f"<tr class='pair'><td>{i}</td><td class='student'>{_e(r.who(p.a))}</td>"
                       f"<td class='student'>{_e(r.who(p.b))}</td><td>{p.score:.2f}</td><td>{alike}</td></tr>")
        out.append("</table>")
    out.append("</section><section id='side-by-side'><h2>Side by side</h2>")
    for i, p in enumerate(r.pairs[:shown], 1):
        out.append(f"<details{' open' if i <= 3 else ''}><summary>#{i}: {_e(r.who(p.a))} and {_e(r.who(p.b))} "
                   f"({p.score:.2f})</summary><table><tr><th>exercise</th><th class='side'>{_e(r.who(p.a))}</th>"
                   f"<th class='side'>{_e(r.who(p.b))}</th></tr>")
        for gid in r.exercises:
            if gid not in p.exercises:
                continue
            s = p.exercises[gid]
            cls = " class='hi'" if s >= 0.5 else ""
            out.append(f"<tr{cls}><td>{_e(gid)}<br>{s:.2f}</td>"
                       f"<td><pre>{_e(r.answers[p.a].get(gid, ('', ''))[1])}</pre></td>"
                       f"<td><pre>{_e(r.answers[p.b].get(gid, ('', ''))[1])}</pre></td></tr>")
        out.append("</table></details>")
    out.append("</section><section id='per-exercise'><h2>Most similar pairs per exercise</h2><table>"
               "<tr><th>exercise</th><th>pairs (Jaccard)</th></tr>")
    for gid in r.exercises:
        best = sorted(((p.exercises[gid], p) for p in r.pairs if p.exercises.get(gid, 0) > 0),
                      key=lambda x: -x[0])[:per_exercise]
        listed = "<br>".join(f"{_e(r.who(p.a))} / {_e(r.who(p.b))}: {s:.2f}" for s, p in best) or "-"
        out.append(f"<tr><td>{_e(gid)}</td><td>{listed}</td></tr>")
    out.append("</table></section></body></html>\n")
    return "".join(out)


def report_path(course: Path, assignment: str) -> Path:
    return course / "reports" / f"{assignment}-similarity.html"


def write_report(assignment: str, course: Path = paths.NBGRADER_COURSE) -> tuple[Path, Report]:
    course = Path(course)
    release = course / "release" / assignment / f"{assignment}.ipynb"
    source = course / "source" / assignment / f"{assignment}.ipynb"
    if not release.is_file():
        raise SystemExit(f"{release} is missing: build the course first (python -m autograder build)")
    release_nb = nbformat.read(release, as_version=4)
    source_nb = nbformat.read(source, as_version=4) if source.is_file() else None
    report = analyse(assignment, read_class(course, assignment), release_nb, source_nb)
    from .roster import Roster
    roster = Roster.load(course)
    if roster is not None:
        report.names = {s: student.full_name for s in report.students
                        if (student := roster.by_id(s)) is not None and student.full_name}
    target = report_path(course, assignment)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(report), encoding="utf-8", errors="replace")
    return target, report


def main(assignment: str, course: Path | None = None) -> Path:
    target, report = write_report(assignment, Path(course) if course else paths.NBGRADER_COURSE)
    print(f"{len(report.students)} students, {len(report.pairs)} pairs sharing code, "
          f"{len(report.findings)} integrity finding(s) in {report.seconds:.1f} s")
    for i, p in enumerate(report.pairs[:5], 1):
        print(f"  {i}. {p.a!r} / {p.b!r}: {p.score:.2f}")
    print(f"wrote {target}")
    return target


# ---- planted copies, for the tests and the benchmark ----------------------------------------------
def disguise(source: str, given: set[str] = frozenset(), salt: int = 1) -> str:
    """What a student who copied might hand in: every variable they may rename (not the given signature),
    renamed; numbers nudged; the code laid out again by ast.unparse (comments gone) with comments
    of their own. `given`: names they must keep (the notebook's, the exercise's own name). Source
    that does not parse comes back with a comment added only."""
    keep = set(given) | set(dir(builtins))
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return f"# my own work\n{source}"
    defined = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    keep |= {n.arg for n in ast.walk(tree) if isinstance(n, ast.arg)}   # the given signature stays
    keep |= {a.asname or a.name.split(".")[0] for n in ast.walk(tree)
             if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
    renamed: dict[str, str] = {}

    def new(name: str) -> str:
        if name in keep or name in defined:
            return name
        return renamed.setdefault(name, f"my_{name.lower()}_{salt}")

    class Rename(ast.NodeTransformer):
        def visit_Name(self, node):
            node.id = new(node.id)
            return node

        def visit_Constant(self, node):
            if isinstance(node.value, float) and node.value not in (0.0, 1.0):
                node.value = node.value * 1.0001
            return node

    tree = Rename().visit(tree)
    lines = []
    for line in ast.unparse(tree).splitlines():
        lines.append(line)
        if line.lstrip().startswith(("def ", "for ", "while ")):
            indent = len(line) - len(line.lstrip()) + 4
            lines.append(" " * indent + f"# step {len(lines)}: worked this out myself")
    return "\n".join(lines) + "\n"
