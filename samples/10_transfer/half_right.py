# expected score: 5
# A student who reads the labels from the file name with pathlib (right, with a check for stray
# files), builds the model but forgets to freeze the backbone (all 2.26 million weights trainable:
# fails), writes the one-cycle schedule with explicit phase arrays (right), and leaves fine_tune
# blank.

# %% labels_from_filenames
def labels_from_filenames(files):
    """Label 1 for cats, 0 for dogs, from the file names."""
    from pathlib import Path
    labels = []
    for f in files:
        name = Path(f).name.lower()
        if name.startswith("cat."):
            labels.append(1)
        elif name.startswith("dog."):
            labels.append(0)
        else:
            raise ValueError("not a cat or a dog: " + str(f))
    return np.array(labels)

# %% build_transfer_model
def build_transfer_model(n_classes=2, dropout=0.2):
    """MobileNetV2 with a new head."""
    base = keras.applications.MobileNetV2(weights="imagenet", include_top=False, input_shape=(224, 224, 3))
    inputs = keras.Input((224, 224, 3))
    x = base(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(dropout)(x)
    outputs = keras.layers.Dense(n_classes)(x)
    return keras.Model(inputs, outputs)

# %% one_cycle_lr
def one_cycle_lr(step, total_steps, lr_max, pct_start=0.25, div=25.0, div_final=1e5,
                 moms=(0.95, 0.85, 0.95)):
    """fastai's one-cycle schedule."""
    step = np.asarray(step, dtype=np.float64)
    frac = np.clip(step / total_steps, 0, 1)
    up = frac < pct_start
    t_up = frac / pct_start
    t_down = (frac - pct_start) / (1 - pct_start)
    cos_up = (1 - np.cos(np.pi * t_up)) / 2
    cos_down = (1 - np.cos(np.pi * t_down)) / 2
    lr = np.where(up, lr_max / div + (lr_max - lr_max / div) * cos_up,
                  lr_max + (lr_max / div_final - lr_max) * cos_down)
    mom = np.where(up, moms[0] + (moms[1] - moms[0]) * cos_up, moms[1] + (moms[2] - moms[1]) * cos_down)
    if np.ndim(lr) == 0:
        return float(lr), float(mom)
    return lr, mom
