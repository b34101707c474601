"""Hidden cases reach the student's kernel as data: the grader builds them in its own process and
sends only their inputs (autograder/hidden_inputs.py, encoded by utils.checks.case_data, never
pickle); the kernel's public harness (utils.checks.hidden_harness) calls the student's function and
records the outputs; the grader judges them (autograder/verdict.py) exactly as before.

- every hidden case of every notebook survives the trip (made in a process of its own, decoded here,
  equal to the case built here: same arrays, same generator states, the same functions);
- what is sent holds no judge, reference, seed, source code or instructor module;
- encoding refuses what the kernel could not import, at once and by name; decoding imports nothing
  outside `utils` (and numpy) and builds nothing but the tagged types; the verdict's evidence decoder
  knows none of these tags;
- through the whole path (inputs sent, recorded, judged), the reference answers of notebooks 01-08
  pass and wrong answers fail with the message the in-process hidden checks give.
"""
from __future__ import annotations

import copy
import functools
import json
import math
import subprocess
import sys
from pathlib import Path, PurePosixPath

import numpy as np
import pytest

import autograder.hidden
import autograder.hidden.backprop
import autograder.hidden.softmax
from autograder import build, paths, verdict
from autograder.hidden_inputs import hidden_inputs, inputs_text, registry_of, write_hidden_inputs
from autograder.solutions import load_answers
from utils.checks import case_data, evidence, hidden_harness
from utils.checks.backprop import OverflowIsAnError, WatchedFunction, quadratic_form, watched
from utils.checks.case_data import CaseDataError
from utils.checks.core import Case, CheckFailure, Registry
from utils.checks.evidence import Unencodable

ASSIGNMENTS = build.assignment_ids(graded=True)
#: the notebooks judged end to end: 01-08 (numpy exercises, and two Keras builders that take < 1 s)
END_TO_END = [a for a in ASSIGNMENTS if a < "09"]


# ---- the grader's side, in a process of its own ------------------------------------------------------

_WRITE_ALL = """
import sys
from utils.data import use_offline_cache
use_offline_cache()
from autograder.hidden_inputs import write_hidden_inputs
for assignment in sys.argv[2:]:
    write_hidden_inputs(assignment, f"{sys.argv[1]}/{assignment}.json")
"""


@pytest.fixture(scope="module")
def sent(tmp_path_factory):
    """({assignment: {exercise: cases built here}}, {assignment: path of the JSON another process wrote})."""
    folder = tmp_path_factory.mktemp("hidden_inputs")
    proc = subprocess.Popen([sys.executable, "-c", _WRITE_ALL, str(folder), *ASSIGNMENTS], cwd=paths.ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        built = {a: {name: reg.cases(name) for name in reg.factories}
                 for a, reg in ((a, registry_of(a)) for a in ASSIGNMENTS)}
    finally:
        _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode(errors="replace")[-3000:]
    return built, {a: folder / f"{a}.json" for a in ASSIGNMENTS}


def same(a, b) -> bool:
    """Equal values of the same types (arrays: dtype, shape, subclass and bits; generators: state and
    draws; functions: the very same object)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        nan = a.dtype.kind in "fc"
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=nan)
    if isinstance(a, np.generic):
        return same(np.asarray(a), np.asarray(b))
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, np.random.Generator):
        draws = [copy.deepcopy(g).standard_normal(5) for g in (a, b)]
        return same(a.bit_generator.state, b.bit_generator.state) and np.array_equal(*draws)
    if isinstance(a, functools.partial):
        return a.func is b.func and same(a.args, b.args) and same(a.keywords, b.keywords)
    if isinstance(a, WatchedFunction):
        return same(a.fn, b.fn) and same(a.x0, b.x0)
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    if callable(a):
        return a is b
    return a == b


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_hidden_case_arrives_as_built(sent, assignment):
    built, files = sent
    data = json.loads(files[assignment].read_text(encoding="utf-8"))
    assert data["assignment"] == assignment and list(data["exercises"]) == list(built[assignment])
    for name, cases in built[assignment].items():
        got = hidden_harness.load_cases(name, files[assignment])
        assert len(got) == len(cases), name
        for case, mine in zip(cases, got):
            where = f"{name}, {case.label}"
            assert mine.label == case.label, where
            assert same(mine.args, tuple(case.args)), where
            assert same(mine.kwargs, dict(case.kwargs)), where
            assert mine.call is case.call, where
    # the same text from the cases built here: what is sent does not depend on the process
    assert inputs_text(registry_of(assignment), built[assignment]) == files[assignment].read_text(encoding="utf-8")


def _walk(obj, ints: list, strings: list, keys: list):
    """Every int, string and dict key of a JSON value, skipping arrays' base64 payloads."""
    if isinstance(obj, bool) or obj is None or isinstance(obj, float):
        return
    if isinstance(obj, int):
        ints.append(obj)
    elif isinstance(obj, str):
        strings.append(obj)
    elif isinstance(obj, list):
        for v in obj:
            _walk(v, ints, strings, keys)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            keys.append(k)
            if not (k == "array" and "dtype" in obj):
                _walk(v, ints, strings, keys)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_what_is_sent_holds_no_judge_reference_or_seed(sent, assignment):
    text = sent[1][assignment].read_text(encoding="utf-8")
    data = json.loads(text)
    assert set(data) == {"format", "assignment", "exercises"}
    for name, entries in data["exercises"].items():
        for entry in entries:
            assert set(entry) == {"label", "args", "kwargs", "call"}, name
    for bad in ("autograder", "<lambda>", "<locals>"):      # no instructor module, no code
        assert bad not in text, bad
    ints, strings, keys = [], [], []
    _walk(data, ints, strings, keys)
    assert not {"judge", "reference", "expected", "numeric", "SEED"} & set(keys)
    seed = _hidden_module(assignment).SEED
    assert seed not in ints, f"the SEED of {assignment}'s hidden checks is sent"
    for s in strings:
        assert str(seed) not in s and f"{seed:_}" not in s, s
    refs = _refs(data)
    assert all(module == "numpy" or module.startswith("utils.") for module, _ in refs), refs


def _hidden_module(assignment: str):
    factory = next(iter(registry_of(assignment).factories.values()))
    return sys.modules[factory.__module__]


def _refs(obj) -> list[tuple[str, str]]:
    if isinstance(obj, list):
        return [r for v in obj for r in _refs(v)]
    if isinstance(obj, dict):
        if set(obj) == {"ref"}:
            return [(obj["ref"]["module"], obj["ref"]["qualname"])]
        return [r for v in obj.values() for r in _refs(v)]
    return []


def test_the_seed_check_would_see_a_seed():
    """The test above looks where a seed would be: an int argument, a kwarg, a label."""
    ints, strings, keys = [], [], []
    case = Case((np.zeros(2), 60_317), None, label="seed 60317", kwargs={"seed": 60_317})
    _walk(hidden_harness.case_entry(case), ints, strings, keys)
    assert ints.count(60_317) == 2 and "seed 60317" in strings and "seed" in keys


# ---- encoding refuses what the kernel cannot import -------------------------------------------------

def _local_function():
    def inner(x):
        return x
    return inner


@pytest.mark.parametrize("value, match", [
    (lambda x: x, "lambda"),
    (_local_function(), "inside another"),
    (autograder.hidden.softmax.ref_cross_entropy, r"autograder\.hidden\.softmax\.ref_cross_entropy is not in the "
                                                  r"public `utils` package"),
    (len, "builtins.len is not in the public"),
    (WatchedFunction(lambda z: z @ z, np.zeros(2)), r"the input\.fn: .*lambda"),
    ({"objective": autograder.hidden.backprop.ref_sigmoid}, r"the input\['objective'\]: .*ref_sigmoid"),
    (functools.partial(autograder.hidden.backprop.ref_affine, w=1), r"the input\.func: .*ref_affine"),
    (Path("cats/cat.1.jpg"), "PosixPath"),
    (np.ma.array([1.0, 2.0]), "MaskedArray"),
    (np.array([object()]), "dtype object"),
    (np.random.RandomState(0), "RandomState"),
    (WatchedFunction, None),    # a public class: allowed
])
def test_encoding_refuses_what_the_kernel_cannot_import(value, match):
    if match is None:
        assert case_data.decode(json.loads(json.dumps(case_data.encode(value)))) is value
        return
    with pytest.raises(Unencodable, match=match):
        case_data.encode(value)


def test_a_case_that_cannot_be_sent_is_named():
    reg = Registry("99_demo")

    @reg.exercise("double")
    def _cases():
        yield Case((np.ones(2),), None, label="fine")
        yield Case((np.ones(2), lambda v: v), None, label="a lambda in the args")

    with pytest.raises(Unencodable, match=r"99_demo, hidden check 'double': case 'a lambda in the args': args\[1\]"):
        inputs_text(reg)


def test_round_trip_of_each_extra_type():
    rng = np.random.default_rng(5)
    rng.standard_normal(3)
    mt = np.random.Generator(np.random.MT19937(7))
    value = {"gen": rng, "mt": mt, "ufunc": np.tanh, "fn": np.mean, "driver": hidden_harness.grade,
             "path": PurePosixPath("a/Cat.1.JPG"), "watched": watched(np.arange(3.0)),
             "f": WatchedFunction(functools.partial(quadratic_form, A=np.eye(2)), np.ones(2)),
             "nested": ({"x": [np.int64(3), np.str_("Maple Way"), float("nan"), None, True]},)}
    back = case_data.decode(json.loads(json.dumps(case_data.encode(value))))
    assert same(back, value)
    assert type(back["watched"]) is OverflowIsAnError
    assert back["gen"].standard_normal() == rng.standard_normal()


# ---- decoding builds nothing else -------------------------------------------------------------------

@pytest.mark.parametrize("obj", [
    {"ref": {"module": "os", "qualname": "system"}},
    {"ref": {"module": "builtins", "qualname": "eval"}},
    {"ref": {"module": "autograder.hidden.softmax", "qualname": "ref_cross_entropy"}},
    {"ref": {"module": "utils.checks.core", "qualname": "copy.deepcopy"}},      # re-exported: not utils' own
    {"ref": {"module": "utils.checks.core", "qualname": "np.load"}},
    {"ref": {"module": "utils.checks.core", "qualname": "Case.__init__.__globals__"}},
    {"ref": {"module": "utils.checks.core", "qualname": "Case.__init__"}},
    {"ref": {"module": "utils..core", "qualname": "Case"}},
    {"ref": {"module": "utils.checks.core", "qualname": "nothing_here"}},
    {"ref": {"module": "utils.checks.core", "qualname": "CheckFailure", "extra": 1}},
    {"ufunc": "load"},
    {"ufunc": "__class__"},
    {"generator": {"bit_generator": "os.system", "state": {"dict": {}}}},
    {"generator": {"bit_generator": "PCG64", "state": {"dict": {"bit_generator": "MT19937"}}}},
    {"partial": {"func": {"ref": {"module": "os", "qualname": "system"}}, "args": {"tuple": []},
                 "kwargs": {"dict": {}}}},
    {"watched_function": {"fn": {"list": []}, "x0": {"list": []}}},
    {"posix_path": ["a"]},
    {"pickle": "gASVAAAAAAAAAAA="},
    {"array": "AA==", "dtype": "|O", "shape": [1]},
])
def test_decoding_refuses_anything_else(obj):
    with pytest.raises((CaseDataError, ImportError)):
        case_data.decode(obj)


@pytest.mark.parametrize("tag", ["ref", "ufunc", "partial", "generator", "watched_function", "overflow_array",
                                 "posix_path"])
def test_the_verdicts_evidence_decoder_knows_none_of_the_tags(tag):
    """Outputs from the kernel are read by evidence.decode: no function, generator or path comes back."""
    samples = {"ref": hidden_harness.grade, "ufunc": np.tanh, "partial": functools.partial(quadratic_form, A=np.eye(1)),
               "generator": np.random.default_rng(0), "watched_function": WatchedFunction(quadratic_form, np.ones(1)),
               "overflow_array": watched(np.ones(2)), "posix_path": PurePosixPath("a")}
    encoded = case_data.encode(samples[tag])
    assert set(encoded) == {tag}
    with pytest.raises(ValueError):
        evidence.decode(json.loads(json.dumps(encoded)))


# ---- the harness in the kernel ----------------------------------------------------------------------

def _demo_inputs(tmp_path) -> Path:
    cases = [Case((np.array([1.0, 2.0]),), None, label="x = [1, 2]"),
             Case((np.array([3.0]),), None, label="x = [3]", kwargs={"scale": 2.0})]
    path = tmp_path / "hidden.json"
    path.write_text(json.dumps({"format": hidden_harness.FORMAT, "assignment": "99_demo",
                                "exercises": {"double": [hidden_harness.case_entry(c) for c in cases]}}))
    return path


@pytest.fixture
def recorded(tmp_path, monkeypatch):
    """`recorded()`: the evidence records sent since the last call (as a file or as display data)."""
    import IPython.display
    path, sent = tmp_path / "evidence.jsonl", []
    monkeypatch.setenv(evidence.ENV, str(path))
    monkeypatch.setattr(IPython.display, "publish_display_data", lambda data, *a, **k: sent.extend(data.values()))

    def read() -> list[dict]:
        lines = sent + (path.read_text(encoding="utf-8").splitlines() if path.exists() else [])
        sent.clear()
        path.unlink(missing_ok=True)
        return [json.loads(line) for line in lines]
    return read


def test_harness_records_the_outputs(tmp_path, monkeypatch, recorded, capsys):
    monkeypatch.setenv(hidden_harness.ENV, str(_demo_inputs(tmp_path)))
    hidden_harness.grade("double", lambda x, scale=1.0: 2 * x * scale)
    (rec,) = recorded()
    assert rec["kind"] == "hidden" and rec["name"] == "double"
    assert same([evidence.decode(o) for o in rec["outputs"]], [np.array([2.0, 4.0]), np.array([12.0])])
    assert "double: 2 hidden outputs recorded for grading" in capsys.readouterr().out


def test_harness_failures_say_what_the_function_did_and_nothing_more(tmp_path, monkeypatch, recorded):
    monkeypatch.setenv(hidden_harness.ENV, str(_demo_inputs(tmp_path)))

    def stub(x, scale=1.0):
        raise NotImplementedError

    def in_place(x, scale=1.0):
        x *= 2            # on a private copy: the next case is intact
        return x

    with pytest.raises(CheckFailure, match=r"^hidden checks: double is not implemented yet") as info:
        hidden_harness.grade("double", stub)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert recorded()[0]["error"].startswith("double is not implemented yet")
    with pytest.raises(CheckFailure, match=r"^hidden checks: double raised ZeroDivisionError: division by zero "
                                           r"on x = \[1, 2\]$"):
        hidden_harness.grade("double", lambda x, scale=1.0: 1 / 0)
    assert recorded()[0]["error"] == "double raised ZeroDivisionError: division by zero on x = [1, 2]"
    with pytest.raises(CheckFailure, match="expected a function, got int"):
        hidden_harness.grade("double", 42)
    recorded()
    hidden_harness.grade("double", in_place)
    hidden_harness.grade("double", in_place)
    assert same([evidence.decode(o) for o in recorded()[1]["outputs"]], [np.array([2.0, 4.0]), np.array([6.0])])


def test_harness_says_when_there_are_no_hidden_inputs(tmp_path, monkeypatch, recorded):
    monkeypatch.delenv(hidden_harness.ENV, raising=False)
    with pytest.raises(hidden_harness.HiddenInputsError, match=f"{hidden_harness.ENV} is not set"):
        hidden_harness.grade("double", lambda x: x)
    monkeypatch.setenv(hidden_harness.ENV, str(tmp_path / "missing.json"))
    with pytest.raises(hidden_harness.HiddenInputsError, match=r"could not be read \(FileNotFoundError\)"):
        hidden_harness.grade("double", lambda x: x)
    monkeypatch.setenv(hidden_harness.ENV, str(_demo_inputs(tmp_path)))
    with pytest.raises(hidden_harness.HiddenInputsError, match="no hidden cases for 'triple'"):
        hidden_harness.grade("triple", lambda x: x)
    (tmp_path / "bad.json").write_text('{"format": 1, "exercises": {"double": [{"label": "", "args": '
                                       '{"tuple": [{"ref": {"module": "os", "qualname": "system"}}]}, '
                                       '"kwargs": {"dict": {}}, "call": null}]}}')
    monkeypatch.setenv(hidden_harness.ENV, str(tmp_path / "bad.json"))
    with pytest.raises(hidden_harness.HiddenInputsError, match=r"could not be decoded \(CaseDataError\)$"):
        hidden_harness.grade("double", lambda x: x)
    assert recorded() == []
    monkeypatch.setenv(hidden_harness.ENV, str(_demo_inputs(tmp_path)))
    monkeypatch.delenv(evidence.ENV)
    with pytest.raises(hidden_harness.HiddenInputsError, match="only be recorded for the grader"):
        hidden_harness.grade("double", lambda x: x)


def test_the_shim_is_the_harness_and_nothing_else():
    ns: dict = {}
    exec(hidden_harness.SHIM, ns)
    assert ns["grade"] is hidden_harness.grade
    assert "autograder" not in hidden_harness.SHIM and hidden_harness.SHIM.count("\n") == 1


def test_written_inputs_are_read_only_and_can_be_written_again(tmp_path):
    path = write_hidden_inputs("01_perceptron", tmp_path / "inputs.json")
    assert path.stat().st_mode & 0o222 == 0
    assert write_hidden_inputs("01_perceptron", path).read_text(encoding="utf-8") == hidden_inputs("01_perceptron")


# ---- end to end: sent, called, recorded, judged ---------------------------------------------------------

def _off(v):
    """Every number of an output moved (floats by 1.5 x + 0.5, ints by one, booleans flipped)."""
    if isinstance(v, (bool, np.bool_)):
        return not v
    if isinstance(v, np.ndarray):
        kind = v.dtype.kind
        return v * 1.5 + 0.5 if kind == "f" else v + 1 if kind in "iu" else ~v if kind == "b" else v
    if isinstance(v, (float, np.floating)):
        return v * 1.5 + 0.5
    if isinstance(v, (int, np.integer)):
        return v + 1
    if isinstance(v, tuple):
        return tuple(map(_off, v))
    if isinstance(v, list):
        return [_off(x) for x in v]
    if isinstance(v, dict):
        return {k: _off(x) for k, x in v.items()}
    return v


def wrong_answer(name: str, fn):
    if name == "build_lenet":      # one more unit in each hidden Dense layer
        return lambda filters=(6, 16), units=(120, 84), dropout=0.0: fn(filters, tuple(u + 1 for u in units), dropout)
    if name == "char_lstm_model":
        return lambda vocab_size, embedding_dim, units: fn(vocab_size, embedding_dim, units + 1)
    return lambda *args, **kwargs: _off(fn(*args, **kwargs))


def _through_the_data_path(name, fn, recorded):
    try:
        hidden_harness.grade(name, fn)
    except CheckFailure:
        pass    # recorded as an error: the verdict says it
    ok, _, message = verdict.judge_call("hidden", name, recorded())
    return ok, message


@pytest.mark.parametrize("assignment", END_TO_END)
def test_answers_are_judged_through_the_data_path_as_in_process(sent, assignment, monkeypatch, recorded):
    """The reference passes every hidden check; a wrong answer fails each, with the message that
    the in-process hidden checks (autograder.hidden.grade, the instructor's path) give it."""
    monkeypatch.setenv(hidden_harness.ENV, str(sent[1][assignment]))
    ns = load_answers(assignment)
    for name in registry_of(assignment).factories:
        with np.errstate(all="ignore"):
            ok, message = _through_the_data_path(name, ns[name], recorded)
            assert ok, message
            ok, message = _through_the_data_path(name, wrong_answer(name, ns[name]), recorded)
            assert not ok and message.startswith(f"hidden checks: {name}"), message
            with monkeypatch.context() as m:     # the instructor's in-process path judges in the kernel
                m.delenv(evidence.ENV)
                with pytest.raises(CheckFailure) as info:
                    autograder.hidden.grade(name, wrong_answer(name, ns[name]))
        assert str(info.value) == message
