# tests/test_cnn.py::test_the_notebook_ran_as_the_text_says and ::test_worked_examples read these.
facts = {
    "feature_map": feature_map,                 # the edge filter's worked example, computed by hand
    "lenet_params": lenet.count_params(),
    "resnet_params": resnet.count_params(),
    "distance_shifted": distance(shirt, shifted),        # a shirt and the same shirt moved 2 pixels
    "distance_other": distance(shirt, other_shirt),      # ... and another shirt
    "ours_vs_theirs": np.abs(ours - theirs).max(),       # our conv + ReLU against the trained layer's
    "kernel_shape": kernel.shape,
}
