# expected score: 8
# A student who computes the output size with int(... / stride) (right: int() rounds positive numbers
# down), writes a correct naive forward pass and a correct max-pooling forward pass and LeNet, but:
# crops the padding off dx with x_pad[:, pad:-pad] (an empty array when pad = 0), routes the
# max-pooling gradient with a mask x == max (every tied maximum gets the whole gradient), and in
# the fast convolution reshapes sliding_window_view's (C, HH, WW) windows without transposing them
# to the filters' (HH, WW, C) order. The written questions are left unanswered.

# %% conv_output_size
def conv_output_size(n, f, pad=0, stride=1):
    """Output length of a convolution along one axis."""
    return int((n + 2 * pad - f) / stride) + 1

# %% conv_forward_naive
def conv_forward_naive(x, w, b, stride=1, pad=0):
    """Convolution layer, forward, with loops."""
    N, H, W, C = x.shape
    HH, WW, _, F = w.shape
    Ho = conv_output_size(H, HH, pad, stride)
    Wo = conv_output_size(W, WW, pad, stride)
    padded = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant")
    out = np.zeros((N, Ho, Wo, F))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    region = padded[n, i * stride:i * stride + HH, j * stride:j * stride + WW, :]
                    out[n, i, j, f] = (region * w[..., f]).sum() + b[f]
    return out, (x, w, b, stride, pad)

# %% conv_backward_naive
def conv_backward_naive(dout, cache):
    """Convolution layer, backward, with loops."""
    x, w, b, stride, pad = cache
    N, H, W, C = x.shape
    HH, WW, _, F = w.shape
    _, Ho, Wo, _ = dout.shape
    padded = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant")
    dpadded = np.zeros(padded.shape)
    dw = np.zeros(w.shape)
    db = np.zeros(b.shape)
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    region = padded[n, i * stride:i * stride + HH, j * stride:j * stride + WW, :]
                    dw[..., f] += region * dout[n, i, j, f]
                    db[f] += dout[n, i, j, f]
                    dpadded[n, i * stride:i * stride + HH, j * stride:j * stride + WW, :] += w[..., f] * dout[n, i, j, f]
    dx = dpadded[:, pad:-pad, pad:-pad, :]
    return dx, dw, db

# %% max_pool_forward
def max_pool_forward(x, pool_size=2, stride=2):
    """Max pooling, forward."""
    N, H, W, C = x.shape
    Ho = (H - pool_size) // stride + 1
    Wo = (W - pool_size) // stride + 1
    out = np.zeros((N, Ho, Wo, C))
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    out[n, i, j, c] = np.max(x[n, i * stride:i * stride + pool_size, j * stride:j * stride + pool_size, c])
    return out, (x, pool_size, stride)

# %% max_pool_backward
def max_pool_backward(dout, cache):
    """Max pooling, backward."""
    x, pool_size, stride = cache
    N, H, W, C = x.shape
    _, Ho, Wo, _ = dout.shape
    dx = np.zeros(x.shape)
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    window = x[n, i * stride:i * stride + pool_size, j * stride:j * stride + pool_size, c]
                    mask = window == np.max(window)
                    dx[n, i * stride:i * stride + pool_size, j * stride:j * stride + pool_size, c] += mask * dout[n, i, j, c]
    return dx

# %% conv_forward_fast
def conv_forward_fast(x, w, b, stride=1, pad=0):
    """Convolution layer, forward, with im2col."""
    N, H, W, C = x.shape
    HH, WW, _, F = w.shape
    Ho = conv_output_size(H, HH, pad, stride)
    Wo = conv_output_size(W, WW, pad, stride)
    padded = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    windows = sliding_window_view(padded, (HH, WW), axis=(1, 2))[:, ::stride, ::stride]
    cols = windows.reshape(N * Ho * Wo, -1)
    out = cols @ w.reshape(-1, F) + b
    return out.reshape(N, Ho, Wo, F), (x, w, b, stride, pad)

# %% build_lenet
def build_lenet(filters=(6, 16), units=(120, 84), dropout=0.0):
    """LeNet-5 in Keras."""
    model = keras.Sequential()
    model.add(keras.Input(shape=(28, 28, 1)))
    model.add(keras.layers.Conv2D(filters[0], (5, 5), activation="relu", padding="same"))
    model.add(keras.layers.MaxPooling2D((2, 2)))
    model.add(keras.layers.Conv2D(filters[1], (5, 5), activation="relu"))
    model.add(keras.layers.MaxPooling2D((2, 2)))
    model.add(keras.layers.Flatten())
    if dropout > 0:
        model.add(keras.layers.Dropout(dropout))
    model.add(keras.layers.Dense(units[0], activation="relu"))
    if dropout > 0:
        model.add(keras.layers.Dropout(dropout))
    model.add(keras.layers.Dense(units[1], activation="relu"))
    model.add(keras.layers.Dense(10, activation="softmax"))
    return model
