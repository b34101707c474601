# expected score: 8
# A student who gets SGD, momentum and RMSProp right (RMSProp with epsilon inside the root, as the
# notes write it), starts AdaGrad's accumulator at 0 instead of initial_accumulator_value (fails the
# hand-computed step), copies the notes' Adam without bias correction (first step 3.16x too large),
# guards the warmup with `warmup_steps > 0` instead of `warmup_target is not None` (passes the
# visible checks, crashes on the hidden "warmup_steps without warmup_target" case), and writes a
# correct random search with a loop.

# %% sgd
def sgd(w, dw, config=None):
    """Vanilla SGD."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    w = w - config["learning_rate"] * dw
    return w, config

# %% sgd_momentum
def sgd_momentum(w, dw, config=None):
    """SGD with momentum."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    if "velocity" not in config:
        config["velocity"] = np.zeros_like(w)
    config["velocity"] = config["momentum"] * config["velocity"] - config["learning_rate"] * dw
    return w + config["velocity"], config

# %% adagrad
def adagrad(w, dw, config=None):
    """AdaGrad."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("initial_accumulator_value", 0.1)
    config.setdefault("epsilon", 1e-7)
    cache = config.get("accumulator", np.zeros_like(w))
    cache += dw * dw
    config["accumulator"] = cache
    return w - config["learning_rate"] * dw / np.sqrt(cache + config["epsilon"]), config

# %% rmsprop
def rmsprop(w, dw, config=None):
    """RMSProp."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("rho", 0.9)
    config.setdefault("epsilon", 1e-7)
    accm = config.get("mean_square", np.zeros_like(w))
    accm = config["rho"] * accm + (1 - config["rho"]) * dw ** 2
    config["mean_square"] = accm
    return w - config["learning_rate"] / np.sqrt(accm + config["epsilon"]) * dw, config

# %% adam
def adam(w, dw, config=None):
    """Adam."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta_1", 0.9)
    config.setdefault("beta_2", 0.999)
    config.setdefault("epsilon", 1e-7)
    m = config.get("m", np.zeros_like(w))
    v = config.get("v", np.zeros_like(w))
    m = config["beta_1"] * m + (1 - config["beta_1"]) * dw
    v = config["beta_2"] * v + (1 - config["beta_2"]) * dw ** 2
    config["m"], config["v"] = m, v
    return w - config["learning_rate"] * m / (np.sqrt(v) + config["epsilon"]), config

# %% cosine_decay
def cosine_decay(step, initial_learning_rate, decay_steps, alpha=0.0, warmup_steps=0, warmup_target=None):
    """Keras' CosineDecay."""
    step = np.asarray(step, dtype=np.float64)
    if warmup_steps > 0:
        t = np.clip(step - warmup_steps, 0, decay_steps)
        cos = 0.5 * (1 + np.cos(np.pi * t / decay_steps))
        decayed = warmup_target * ((1 - alpha) * cos + alpha)
        warm = initial_learning_rate + (warmup_target - initial_learning_rate) * step / warmup_steps
        lr = np.where(step < warmup_steps, warm, decayed)
    else:
        peak = initial_learning_rate if warmup_target is None else warmup_target
        cos = 0.5 * (1 + np.cos(np.pi * np.minimum(step, decay_steps) / decay_steps))
        lr = peak * ((1 - alpha) * cos + alpha)
    return float(lr) if np.ndim(lr) == 0 else lr

# %% random_search
def random_search(objective, space, n_trials, seed=0):
    """Random search."""
    rng = np.random.default_rng(seed)
    trials = []
    best_config, best_score = None, np.inf
    for i in range(n_trials):
        config = {}
        for name in space:
            low, high, scale = space[name]
            if scale == "log":
                config[name] = 10 ** rng.uniform(np.log10(low), np.log10(high))
            else:
                config[name] = rng.uniform(low, high)
        score = objective(config)
        trials.append((config, score))
        if score < best_score:
            best_config, best_score = config, score
    return best_config, best_score, trials
