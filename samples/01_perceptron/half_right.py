# expected score: 5
# A student who gets prediction right, forgets the bias update in training (AND/OR still fail
# its worked example), hand-sets XOR weights with no margin (fails the hidden jittered inputs) and
# writes one_hot with a loop, correctly.

# %% perceptron_predict
def perceptron_predict(X, w, b):
    """Step-perceptron outputs for a batch."""
    return np.where(X @ w + b > 0, 1, 0)

# %% perceptron_train
def perceptron_train(X, y, eta=0.1, epochs=20):
    """Train a step perceptron with the perceptron learning rule."""
    w = np.zeros(X.shape[1])
    b = 0.0
    errors = []
    for _ in range(epochs):
        mistakes = 0
        for xi, target in zip(X, y):
            y_hat = 1 if xi @ w + b > 0 else 0
            w = w + eta * (target - y_hat) * xi
            mistakes += int(target != y_hat)
        errors.append(mistakes)
    return w, b, errors

# %% xor_params
def xor_params():
    """Weights of a two-layer step network computing XOR."""
    W1 = np.array([[1.0, -1.0],
                   [1.0, -1.0]])
    b1 = np.array([0.0, 2.0])
    W2 = np.array([1.0, 1.0])
    b2 = -1.0
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}

# %% one_hot
def one_hot(values):
    """One-hot encode a list of categorical values."""
    vocabulary = sorted(set(values))
    encoded = np.zeros((len(values), len(vocabulary)))
    for i, v in enumerate(values):
        encoded[i, vocabulary.index(v)] = 1
    return encoded, vocabulary
