"""Text for the recurrent-network notebook: a character vocabulary, Tiny Shakespeare through Keras'
own loader, next-character training windows, and text sampled from a trained character model one
character at a time, either in a Python loop or compiled into one `tf.function`.

The data is real: `load_shakespeare()` calls `keras.utils.get_file` exactly as the TensorFlow
text-generation tutorial does. It downloads on first use; after `utils.data.use_offline_cache()`
Keras finds the course's offline copy under `$KERAS_HOME/datasets/` instead.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

SHAKESPEARE_URL = "https://storage.googleapis.com/download.tensorflow.org/data/shakespeare.txt"


def load_shakespeare() -> str:
    """Tiny Shakespeare (Karpathy's char-rnn corpus, 1,115,394 characters) as one string."""
    import keras
    path = keras.utils.get_file("shakespeare.txt", SHAKESPEARE_URL)
    return Path(path).read_text(encoding="utf-8")


class CharVocab:
    """The distinct characters of a text, each with an integer id (its index in `chars`): sorted,
    or with `sort=False` in the order they first appear."""

    def __init__(self, text_or_chars, sort: bool = True):
        unique = dict.fromkeys(text_or_chars)
        self.chars = tuple(sorted(unique) if sort else unique)
        self._ids = {ch: i for i, ch in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def __repr__(self) -> str:
        return f"CharVocab({len(self)} characters: {''.join(self.chars)!r})"

    def encode(self, text: str) -> np.ndarray:
        """The ids of the characters of `text`, an int32 array of its length."""
        try:
            return np.fromiter((self._ids[ch] for ch in text), dtype=np.int32, count=len(text))
        except KeyError as exc:
            raise ValueError(f"character {exc.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in np.asarray(ids).ravel())

    def one_hot(self, text: str) -> np.ndarray:
        """(len(text), len(vocab)) float32 rows, one 1 per row at the character's id."""
        return np.eye(len(self), dtype=np.float32)[self.encode(text)]


def next_char_windows(ids: np.ndarray, seq_len: int, stride: int | None = None):
    """Training pairs for next-character prediction: windows of `seq_len + 1` ids taken every
    `stride` ids (default: `seq_len`, windows that do not overlap), split into the inputs
    `x = window[:-1]` and the targets `y = window[1:]`. Returns (x, y), each (n, seq_len) int32."""
    ids = np.asarray(ids, dtype=np.int32)
    stride = stride or seq_len
    starts = np.arange(0, len(ids) - seq_len, stride)
    windows = ids[starts[:, None] + np.arange(seq_len + 1)]
    return windows[:, :-1], windows[:, 1:]


def split_text(ids: np.ndarray, val_fraction: float = 0.1):
    """(train, validation): the end of the text is the validation part, so no window of the
    validation text also appears, shifted, in the training text."""
    n_val = int(round(len(ids) * val_fraction))
    return ids[:len(ids) - n_val], ids[len(ids) - n_val:]


# ---- sampling -------------------------------------------------------------------------------------

def _parts(model):
    """(embedding, recurrent layers, output Dense) of a character model built as
    Embedding -> one or more SimpleRNN/GRU/LSTM(return_sequences=True) -> Dense(vocab) logits."""
    import keras
    layers = [l for l in model.layers if not isinstance(l, keras.layers.InputLayer)]
    if len(layers) < 3 or not isinstance(layers[0], keras.layers.Embedding) \
            or not isinstance(layers[-1], keras.layers.Dense):
        raise ValueError("sampling needs a model Embedding -> recurrent layer(s) -> Dense, got "
                         + " -> ".join(type(l).__name__ for l in layers))
    rnns = layers[1:-1]
    for layer in rnns:
        if not isinstance(layer, (keras.layers.SimpleRNN, keras.layers.GRU, keras.layers.LSTM)):
            raise ValueError(f"cannot step a {type(layer).__name__} one character at a time")
    if layers[-1].get_config().get("activation") != "linear":
        raise ValueError("the last Dense layer must output logits (no activation)")
    return layers[0], rnns, layers[-1]


class CharSampler:
    """Text from a trained character model, one character at a time.

    The model reads a whole sequence at once in training; to generate, each recurrent layer's
    cell is stepped by hand: feed a character, get the logits of the next one and the new hidden
    state, draw a character from softmax(logits / temperature), feed it back. Several samples
    (e.g. one per temperature) are drawn side by side as one batch.

    `compiled=True` runs the whole loop as one `tf.function` graph (traced once per prime length
    and batch size); `compiled=False` runs the same step function eagerly, op by op, from
    Python. Draws use `tf.random.stateless_categorical` with seeds (seed, position), so a seed
    gives the same text either way.
    """

    def __init__(self, model, vocab: CharVocab, compiled: bool = True):
        import tensorflow as tf
        self.tf = tf
        self.vocab = vocab
        self.embedding, self.rnns, self.dense = _parts(model)
        self.dtype = self.dense.compute_dtype
        self._run = tf.function(self._generate) if compiled else self._generate

    def _zero_states(self, batch):
        states = []
        for layer in self.rnns:
            sizes = layer.cell.state_size
            sizes = list(sizes) if isinstance(sizes, (list, tuple)) else [sizes]
            states.append([self.tf.zeros((batch, n), dtype=self.dtype) for n in sizes])
        return states

    def _step(self, ids, states):
        x = self.embedding(ids)
        new_states = []
        for layer, state in zip(self.rnns, states):
            x, state = layer.cell(x, state)
            new_states.append(list(state) if isinstance(state, (list, tuple)) else [state])
        return self.dense(x), new_states

    def _generate(self, prime, n_chars, temperatures, seed):
        tf = self.tf
        batch = temperatures.shape[0]                         # static: one trace per number of samples
        states = self._zero_states(batch)
        for t in tf.range(tf.shape(prime)[0] - 1):           # read the prime, all but its last char
            _, states = self._step(tf.fill([batch], prime[t]), states)
        current = tf.fill([batch], prime[-1])
        out = tf.TensorArray(tf.int32, size=n_chars)
        scale = tf.cast(temperatures, self.dtype)[:, None]
        for t in tf.range(n_chars):
            logits, states = self._step(current, states)
            draw = tf.random.stateless_categorical(logits / scale, 1, seed=tf.stack([seed, t]))
            current = tf.cast(draw[:, 0], tf.int32)
            out = out.write(t, current)
        return tf.transpose(out.stack())                      # (batch, n_chars)

    def sample(self, prime: str, n_chars: int, temperatures: Sequence[float] = (1.0,),
               seed: int = 0) -> list[str]:
        """One text of `n_chars` characters following `prime` per temperature (prime not included)."""
        tf = self.tf
        if not prime:
            raise ValueError("give at least one character to start from")
        ids = self._run(tf.constant(self.vocab.encode(prime)), tf.constant(int(n_chars)),
                        tf.constant(np.asarray(temperatures, dtype=np.float32)), tf.constant(int(seed)))
        return [self.vocab.decode(row) for row in np.asarray(ids)]


def next_char_probabilities(model, vocab: CharVocab, prime: str, temperatures: Sequence[float]) -> np.ndarray:
    """softmax(logits / T) of the character after `prime`, one row per temperature T:
    (len(temperatures), len(vocab)), from one plain call of the model on the whole prime."""
    import tensorflow as tf
    logits = tf.cast(model(vocab.encode(prime)[None, :])[0, -1], tf.float64)
    scale = tf.constant(np.asarray(temperatures, dtype=np.float64)[:, None])
    return tf.nn.softmax(logits[None, :] / scale, axis=-1).numpy()
