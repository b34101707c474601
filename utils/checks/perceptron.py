"""Visible checks for notebook 01 (perceptron & XOR): the notebook's worked examples and gates."""
import numpy as np

from ..data import GATE_INPUTS, truth_table
from .core import Case, Registry, expect, expect_array, expect_close, expect_equal, expect_tuple

checks = Registry("01_perceptron")


@checks.exercise("perceptron_predict")
def _predict():
    for gate, w, b in [("AND", [1.0, 1.0], -1.5), ("OR", [1.0, 1.0], -0.5), ("NAND", [-1.0, -1.0], 1.5)]:
        _, y = truth_table(gate)

        def judge(out, gate=gate, y=y):
            out = expect_array(f"the {gate} prediction", out, shape=y.shape, dtype_kind="iub")
            expect_equal(f"the {gate} prediction", out, y)

        yield Case((GATE_INPUTS, np.array(w), b), judge, label=f"{gate} gate, w={w}, b={b}")

    def judge_zero(out):  # the boundary itself: step(0) = 0
        expect_equal("the prediction for a sum of exactly 0", out, [0])

    yield Case((np.array([[1.0, 1.0]]), np.array([1.0, -1.0]), 0.0), judge_zero, label="sum exactly 0")


def _expect_trained(gate, out, epochs):
    w, b, errors = expect_tuple("perceptron_train", out, 3)
    errors = list(errors)
    expect(len(errors) == epochs, f"errors should have one entry per epoch ({epochs}), got {len(errors)}")
    w = expect_array("w", w, shape=(2,))
    X, y = truth_table(gate)
    pred = (X @ w + float(b) > 0).astype(int)
    return w, float(b), errors, X, y, pred


@checks.exercise("perceptron_train")
def _train():
    def judge_one_step(out):
        w, b, errors = expect_tuple("perceptron_train", out, 3)
        expect_close("w after one update", w, [0.5, 0.0], tol=1e-12)
        expect_close("b after one update", b, 0.5, tol=1e-12)
        expect(list(errors) == [1], f"errors should be [1] (one mistake in one epoch), got {list(errors)}")

    yield Case((np.array([[1.0, 0.0]]), np.array([1]), 0.5, 1), judge_one_step,
               label="the notebook's worked example: x=(1,0), y=1, eta=0.5, one epoch")

    for gate in ("AND", "OR", "NAND"):
        def judge(out, gate=gate):
            w, b, errors, X, y, pred = _expect_trained(gate, out, 20)
            expect(np.array_equal(pred, y), f"after training on {gate}, w={w}, b={b} predict {pred}, expected {y}")
            expect(errors[-1] == 0, f"{gate} is linearly separable, so the last epoch should have 0 "
                                    f"mistakes; errors per epoch were {errors}")
        yield Case(truth_table(gate) + (0.1, 20), judge, label=f"{gate}, eta=0.1, 20 epochs")

    def judge_xor(out):
        w, b, errors, X, y, pred = _expect_trained("XOR", out, 20)
        expect(min(errors) > 0, f"XOR is not linearly separable, so every epoch must have a mistake; "
                                f"errors per epoch were {errors}")

    yield Case(truth_table("XOR") + (0.1, 20), judge_xor, label="XOR, eta=0.1, 20 epochs")


def step_network(X, params):
    """The notebook's two-layer step network, used to judge hand-set weights."""
    h = (X @ np.asarray(params["W1"], float) + np.asarray(params["b1"], float) > 0).astype(float)
    return (h @ np.asarray(params["W2"], float) + float(params["b2"]) > 0).astype(int)


def expect_xor_params(out, X, inputs_name="the four XOR inputs"):
    expect(isinstance(out, dict), f"xor_params should return a dict, got {type(out).__name__}")
    missing = {"W1", "b1", "W2", "b2"} - set(out)
    expect(not missing, f"xor_params is missing the key(s) {sorted(missing)}")
    expect_array("W1", out["W1"], shape=(2, 2))
    expect_array("b1", out["b1"], shape=(2,))
    expect_array("W2", out["W2"], shape=(2,))
    expect(np.ndim(out["b2"]) == 0, f"b2 should be a single number, got shape {np.shape(out['b2'])}")
    target = np.rint(X).astype(int)
    expect_equal(f"the network's output on {inputs_name}", step_network(X, out), target[:, 0] ^ target[:, 1])


@checks.exercise("xor_params")
def _xor():
    yield Case((), lambda out: expect_xor_params(out, GATE_INPUTS), label="the four XOR inputs")


@checks.exercise("one_hot")
def _one_hot():
    values = ["Elm", "Oak", "Elm", "Birch"]

    def judge(out):
        encoded, vocabulary = expect_tuple("one_hot", out, 2)
        expect(list(vocabulary) == ["Birch", "Elm", "Oak"],
               f"vocabulary should be ['Birch', 'Elm', 'Oak'] (sorted, distinct), got {list(vocabulary)}")
        expect_equal("encoded", encoded, [[0, 1, 0], [0, 0, 1], [0, 1, 0], [1, 0, 0]])

    yield Case((values,), judge, label="the notebook's worked example")
