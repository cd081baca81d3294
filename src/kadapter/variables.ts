// Variables made from a freshly computed tensor.
import * as tf from '@tensorflow/tfjs';

/**
 * A variable with the value `make()` computes. A variable shares its initial tensor's data and
 * holds a reference to it: the initial tensor must be released, or disposing the variable frees
 * nothing (a leak of one copy of every parameter, optimizer moment and tuned base).
 */
export function variableFrom(make: () => tf.Tensor, trainable = true): tf.Variable {
  return tf.tidy(() => tf.variable(make(), trainable));
}

/** Sets a variable from values (a checkpoint, a snapshot), releasing the temporary tensor. */
export function assignValues(v: tf.Variable, values: Float32Array): void {
  tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
}
