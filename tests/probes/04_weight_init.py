# tests/test_weight_init.py::test_the_experiments_show_what_the_text_says reads these.
facts = {
    "results": results,     # name: (per-layer std, per-layer ‖∂L/∂W‖, per-layer ‖∂L/∂h‖)
    "symmetry": symmetry,   # initialiser: (validation accuracy, largest spread of a unit's weights)
    "curves": curves,       # "<name>: val_loss" / "<name>: val_accuracy": one value per epoch
}
