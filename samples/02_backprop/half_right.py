# expected score: 11
# A student who copies the notes' forward difference quotient into numerical_gradient (error O(h),
# too coarse for the checks), forgets to reshape dx back to x's shape in affine_backward (right for
# 2-D inputs, wrong for images), writes the textbook sigmoid 1 / (1 + exp(-x)) (it overflows for
# x near -1000), and loops over N // batch_size mini-batches, dropping the last, smaller one. ReLU,
# the sigmoid's backward pass and the two-layer loss are right: 2 + 1 + 2 + 2 + 4 = 11 of 23.

# %% numerical_gradient
def numerical_gradient(f, x, h=1e-5):
    """Centered-difference gradient of a scalar function at x."""
    grad = np.zeros(x.shape)
    fx = f(x)
    it = np.nditer(x, flags=["multi_index"])
    while not it.finished:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        grad[i] = (f(x) - fx) / h
        x[i] = old
        it.iternext()
    return grad

# %% affine_forward
def affine_forward(x, w, b):
    """Forward pass of a fully connected layer."""
    N = x.shape[0]
    out = np.dot(x.reshape(N, -1), w) + b
    return out, (x, w, b)

# %% affine_backward
def affine_backward(dout, cache):
    """Backward pass of a fully connected layer."""
    x, w, b = cache
    x2 = x.reshape(x.shape[0], -1)
    dx = np.dot(dout, w.T)
    dw = np.dot(x2.T, dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db

# %% relu_forward
def relu_forward(x):
    """ReLU of an array of any shape. Returns (out, cache) with cache = x."""
    out = x * (x > 0)
    return out, x

# %% relu_backward
def relu_backward(dout, cache):
    """Backward pass of ReLU."""
    x = cache
    dx = np.where(x > 0, dout, 0.0)
    return dx

# %% sigmoid_forward
def sigmoid_forward(x):
    """Sigmoid of an array of any shape."""
    out = 1.0 / (1.0 + np.exp(-x))
    return out, out

# %% sigmoid_backward
def sigmoid_backward(dout, cache):
    """Backward pass of the sigmoid."""
    out = cache
    dx = dout * (1 - out) * out
    return dx

# %% two_layer_loss
def two_layer_loss(params, X, y):
    """Loss and gradients of the two-layer network."""
    h1, c1 = affine_forward(X, params["W1"], params["b1"])
    a1, c2 = relu_forward(h1)
    s, c3 = affine_forward(a1, params["W2"], params["b2"])
    loss, ds = softmax_loss(s, y)
    da1, dW2, db2 = affine_backward(ds, c3)
    dh1 = relu_backward(da1, c2)
    dX, dW1, db1 = affine_backward(dh1, c1)
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}

# %% train_two_layer
def train_two_layer(X, y, X_val, y_val, hidden_dim=64, learning_rate=1.0, batch_size=64, epochs=300,
                    seed=0, verbose=False):
    """Train the two-layer network with mini-batch SGD."""
    rng = np.random.default_rng(seed)
    params = init_two_layer(X.shape[1], hidden_dim, int(y.max()) + 1, rng)
    history = {"loss": [], "val_accuracy": []}
    N = X.shape[0]
    for epoch in trange(epochs, desc="epochs", disable=not verbose):
        batch_losses = []
        idx = rng.permutation(N)
        for i in range(N // batch_size):
            b = idx[i * batch_size:(i + 1) * batch_size]
            loss, grads = two_layer_loss(params, X[b], y[b])
            for name in params:
                params[name] = params[name] - learning_rate * grads[name]
            batch_losses.append(loss)
        history["loss"].append(float(np.mean(batch_losses)))
        history["val_accuracy"].append(accuracy(params, X_val, y_val))
    return params, history
