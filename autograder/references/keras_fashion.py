"""Notebook 09's references: TensorFlow's confusion matrix."""
import numpy as np

from utils.checks import keras_fashion as public

from . import implements


@implements(public.tf_confusion_matrix)
def tf_confusion_matrix(y_true, y_pred, num_classes) -> np.ndarray:
    import tensorflow as tf
    return tf.math.confusion_matrix(np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64),
                                    num_classes=num_classes, dtype=tf.int64).numpy()
