# expected score: 5
# A student who loops over `range(10)` classes in stratified_split (right for Fashion-MNIST and for
# every visible case, wrong on the hidden labels 3, 7, 11, 250), builds the notes' model in the
# notes' own style (lists of inputs and outputs, keras.activations.relu), compiles with the string
# loss 'sparse_categorical_crossentropy' (which expects probabilities, not the model's logits), and
# counts the confusion matrix with a loop. Earns fashion_classification_model (3) and
# confusion_matrix (2).

# %% stratified_split
def stratified_split(y, val_fraction=0.1, seed=0):
    """Stratified split."""
    rng = np.random.default_rng(seed)
    y = np.asarray(y)
    train_idx, val_idx = [], []
    for c in range(10):
        idx = np.where(y == c)[0]
        idx = rng.permutation(idx)
        n_val = int(round(len(idx) * val_fraction))
        val_idx.extend(idx[:n_val])
        train_idx.extend(idx[n_val:])
    return np.array(train_idx, dtype=int), np.array(val_idx, dtype=int)

# %% fashion_classification_model
def fashion_classification_model(hidden_units=128, kernel_initializer="glorot_uniform"):
    """The notes' model."""
    input = keras.layers.Input((28, 28))
    flatten = keras.layers.Flatten()(input)
    dense_1 = keras.layers.Dense(hidden_units, activation=keras.activations.relu,
                                 kernel_initializer=kernel_initializer)(flatten)
    dense_2 = keras.layers.Dense(10, kernel_initializer=kernel_initializer)(dense_1)
    return keras.models.Model(inputs=[input], outputs=[dense_2])

# %% train_fashion_model
def train_fashion_model(model, x_train, y_train, x_val, y_val, epochs=5, batch_size=32, learning_rate=1e-3,
                        callbacks=None, verbose=0):
    """Compile and fit."""
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, validation_data=(x_val, y_val),
                     callbacks=callbacks, verbose=verbose)

# %% confusion_matrix
def confusion_matrix(y_true, y_pred, num_classes=10):
    """Confusion matrix."""
    cm = np.zeros((num_classes, num_classes), dtype=int)
    for t, p in zip(y_true, y_pred):
        cm[t, p] += 1
    return cm

# %% q_split_order
# The sequential split on sorted labels puts only ankle boots in validation, so the model never sees
# boots while training and the validation score tells us nothing.
