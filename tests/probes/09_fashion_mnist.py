# tests/test_fashion_mnist.py::test_the_notebook_shows_what_the_text_says reads these.
_ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
_fresh = fashion_classification_model()          # untrained: its loss should be about log(10)
facts = {
    "model_params": model.count_params(),
    "val_counts": np.bincount(y_train_all[val_idx], minlength=10),
    "sequential_val_classes": np.unique(y_sorted[sequential_val]),
    "random_val_counts": np.bincount(y_train_all[random_val], minlength=10),
    "probability_sums": probability_model.predict(x_test[:50], verbose=0).sum(axis=1),
    "same": bool(same),
    "cm": cm,
    "test_pred": test_pred,
    "fresh_loss_normalised": float(_ce(y_train_all[:1000], _fresh.predict(x_train_all[:1000], verbose=0))),
    "fresh_loss_raw": float(_ce(y_train_all[:1000], _fresh.predict(train_images[:1000].astype("float32"), verbose=0))),
}
