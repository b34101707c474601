# expected score: 7
# A student who uses the (lambda / 2) * sum(W**2) convention's gradient lam * W in l2_penalty (and
# so also gets elastic_penalty wrong, which calls it), writes l1_penalty right, reads p in dropout
# as the drop probability (keeps a unit when the draw is above p), gets dropout_backward and
# batchnorm_forward right, and in batchnorm_backward treats the batch mean and variance as
# constants. Earns l1_penalty (2), dropout_backward (1) and batchnorm_forward (4).

# %% l2_penalty
def l2_penalty(W, lam):
    """L2 penalty lam * sum(W**2) over all entries of W, and its gradient."""
    penalty = lam * np.sum(W ** 2)
    dW = lam * W
    return penalty, dW

# %% l1_penalty
def l1_penalty(W, lam):
    """L1 penalty lam * sum(|W|) over all entries of W, and its gradient (0 where W == 0)."""
    penalty = lam * np.abs(W).sum()
    dW = np.where(W > 0, lam, np.where(W < 0, -lam, 0.0))
    return penalty, dW

# %% elastic_penalty
def elastic_penalty(W, lam, beta):
    """Elastic-net penalty lam * sum(beta * W**2 + |W|), and its gradient."""
    p2, d2 = l2_penalty(W, lam * beta)
    p1, d1 = l1_penalty(W, lam)
    return p1 + p2, d1 + d2

# %% dropout_forward
def dropout_forward(x, p, mode, seed=None):
    """Inverted dropout."""
    if mode == "train":
        rng = np.random.default_rng(seed)
        mask = (rng.random(x.shape) > p) / p
    else:
        mask = np.ones(x.shape)
    return x * mask, mask

# %% dropout_backward
def dropout_backward(dout, cache):
    """Backward pass of (inverted) dropout."""
    return cache * dout

# %% batchnorm_forward
def batchnorm_forward(x, gamma, beta, running, mode, momentum=0.9, eps=1e-5):
    """Batch normalization of a batch of feature vectors."""
    if mode == "train":
        mean = np.mean(x, axis=0)
        var = np.var(x, axis=0)
        std = np.sqrt(var + eps)
        x_hat = (x - mean) / std
        out = gamma * x_hat + beta
        cache = (x_hat, gamma, std)
        new_running = {"mean": momentum * running["mean"] + (1 - momentum) * mean,
                       "var": momentum * running["var"] + (1 - momentum) * var}
    else:
        out = gamma * (x - running["mean"]) / np.sqrt(running["var"] + eps) + beta
        cache = None
        new_running = dict(running)
    return out, cache, new_running

# %% batchnorm_backward
def batchnorm_backward(dout, cache):
    """Backward pass of batch normalization in train mode."""
    x_hat, gamma, std = cache
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx = dout * gamma / std
    return dx, dgamma, dbeta
