# expected score: 10
# A student who writes rnn_step_forward and rnn_forward right, takes tanh's derivative in
# rnn_step_backward as 1 - tanh(h_next)**2 (tanh applied twice), leaves rnn_backward blank, reads
# the LSTM's gate blocks in Keras' order i, f, g, o in lstm_step_forward, and gets
# lstm_step_backward and char_lstm_model right. Earns rnn_step_forward (2), rnn_forward (2),
# lstm_step_backward (4) and char_lstm_model (2).

# %% rnn_step_forward
def rnn_step_forward(x, h_prev, Wx, Wh, b):
    """One time step of a vanilla RNN: h_next = tanh(x @ Wx + h_prev @ Wh + b)."""
    z = np.dot(x, Wx) + np.dot(h_prev, Wh) + b
    h_next = np.tanh(z)
    return h_next, (x, h_prev, Wx, Wh, h_next)

# %% rnn_step_backward
def rnn_step_backward(dh, cache):
    """Backward pass of rnn_step_forward."""
    x, h_prev, Wx, Wh, h_next = cache
    dz = dh * (1 - np.tanh(h_next) ** 2)
    dx = dz @ Wx.T
    dh_prev = dz @ Wh.T
    dWx = x.T @ dz
    dWh = h_prev.T @ dz
    db = np.sum(dz, axis=0)
    return dx, dh_prev, dWx, dWh, db

# %% rnn_forward
def rnn_forward(x, h0, Wx, Wh, b):
    """A vanilla RNN over a whole sequence."""
    hs, cache = [], []
    h = h0
    for t in range(x.shape[1]):
        h, c = rnn_step_forward(x[:, t, :], h, Wx, Wh, b)
        hs.append(h)
        cache.append(c)
    return np.stack(hs, axis=1), cache

# %% lstm_step_forward
def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    """One LSTM step, the 4H axis in the gate order i, f, o, g."""
    a = x @ Wx + h_prev @ Wh + b
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)
    sig = lambda z: 1 / (1 + np.exp(-z))
    i, f, o, g = sig(a_i), sig(a_f), sig(a_o), np.tanh(a_g)
    c_next = f * c_prev + i * g
    h_next = o * np.tanh(c_next)
    gates = np.hstack([i, f, o, g])
    return h_next, c_next, (x, h_prev, c_prev, Wx, Wh, gates, c_next)

# %% lstm_step_backward
def lstm_step_backward(dh, dc, cache):
    """Backward pass of lstm_step_forward."""
    x, h_prev, c_prev, Wx, Wh, gates, c_next = cache
    i, f, o, g = np.split(gates, 4, axis=1)
    t = np.tanh(c_next)
    dc = dc + dh * o * (1 - t * t)
    di = dc * g * i * (1 - i)
    df = dc * c_prev * f * (1 - f)
    do = dh * t * o * (1 - o)
    dg = dc * i * (1 - g * g)
    da = np.hstack([di, df, do, dg])
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, h_prev.T @ da, da.sum(0)

# %% char_lstm_model
def char_lstm_model(vocab_size, embedding_dim, units):
    """Keras model: character ids (batch, T) -> next-character logits (batch, T, vocab_size)."""
    inputs = keras.Input(shape=(None,), dtype="int32")
    h = keras.layers.Embedding(vocab_size, embedding_dim)(inputs)
    h = keras.layers.LSTM(units, return_sequences=True)(h)
    return keras.Model(inputs, keras.layers.Dense(vocab_size)(h))
