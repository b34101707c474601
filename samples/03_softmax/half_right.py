# expected score: 7
# A student who writes a correct stable softmax and a correct binary cross-entropy from the logits
# (np.logaddexp), but computes cross_entropy_loss as np.log of the softmax output: right on the
# notes' examples and on scores near 1000, but the loss is inf when the correct class's probability
# underflows to 0 (scores (0, 800)), so that exercise earns nothing.

# %% softmax
def softmax(scores):
    """Row-wise softmax, stable for large scores."""
    z = scores - scores.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)

# %% cross_entropy_loss
def cross_entropy_loss(scores, y):
    """Mean softmax cross-entropy of a batch, and its gradient."""
    N = scores.shape[0]
    probs = softmax(scores)
    loss = -np.mean(np.log(probs[np.arange(N), y]))
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    return loss, dscores

# %% binary_cross_entropy
def binary_cross_entropy(logits, y):
    """Mean binary cross-entropy of sigmoid(logits), and its gradient."""
    N = logits.shape[0]
    loss = np.mean(np.logaddexp(0, logits) - y * logits)
    sig = np.exp(-np.logaddexp(0, -logits))
    dlogits = (sig - y) / N
    return loss, dlogits
