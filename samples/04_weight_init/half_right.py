# expected score: 7
# A student who writes leaky ReLU's forward pass with np.maximum (right for every slope below 1),
# gets dx right but sums dout * x over *all* entries for dalpha (alpha only acts where x <= 0),
# computes the per-layer statistics correctly, implements Xavier as Glorot's
# sqrt(2 / (fan_in + fan_out)) from another textbook instead of the notes' 1/sqrt(fan_in), and gets
# He right.

# %% leaky_relu_forward
def leaky_relu_forward(x, alpha=0.01):
    """Leaky ReLU, elementwise."""
    out = np.maximum(x, alpha * x)
    return out, (x, alpha)

# %% leaky_relu_backward
def leaky_relu_backward(dout, cache):
    """Backward pass of leaky ReLU / PReLU."""
    x, alpha = cache
    dx = dout * np.where(x > 0, 1.0, alpha)
    dalpha = np.sum(dout * x)
    return dx, dalpha

# %% layer_activation_stats
def layer_activation_stats(X, weights, activation):
    """Forward pass with per-layer statistics."""
    activations = []
    h = X
    for i in range(len(weights)):
        h = activation(np.dot(h, weights[i]))
        activations.append(h)
    means = np.array([np.mean(a) for a in activations])
    stds = np.array([np.std(a) for a in activations])
    return activations, means, stds

# %% xavier_init
def xavier_init(fan_in, fan_out, rng):
    """Xavier initialisation."""
    std = np.sqrt(2.0 / (fan_in + fan_out))
    return rng.normal(0.0, std, size=(fan_in, fan_out))

# %% he_init
def he_init(fan_in, fan_out, rng):
    """He initialisation for ReLU layers."""
    return rng.normal(0.0, 1.0, size=(fan_in, fan_out)) / np.sqrt(fan_in / 2)
