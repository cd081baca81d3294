import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from './backend.ts';
import { unsortedSegmentSumValues } from './wasm-kernels.ts';

describe('UnsortedSegmentSum for wasm', () => {
  it('sums rows into segments and drops out-of-range ids', () => {
    const x = [1, 2, 3, 4, 5, 6];
    expect(Array.from(unsortedSegmentSumValues(x, [3, 2], [1, 1, 5], 3, 'float32'))).toEqual([0, 0, 4, 6, 0, 0]);
  });

  it('lets the wasm backend take the gradient of an embedding lookup, equal to the cpu backend', async () => {
    const grad = async (backend: 'cpu' | 'wasm') => {
      await initBackend(backend);
      return tf.tidy(() => {
        const table = tf.tensor2d(
          Array.from({ length: 40 }, (_, i) => Math.sin(i)),
          [10, 4],
        );
        const ids = tf.tensor2d(
          [
            [1, 2, 2],
            [9, 0, 1],
          ],
          [2, 3],
          'int32',
        );
        const w = tf.tensor1d([0.5, -1, 2, 3]);
        return Array.from(
          tf
            .grad((t: tf.Tensor) => tf.gather(t, ids).mul(w).square().sum())(table)
            .dataSync(),
        );
      });
    };
    const wasm = await grad('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const cpu = await grad('cpu');
    expect(wasm.length).toBe(40);
    wasm.forEach((v, i) => expect(v).toBeCloseTo(cpu[i]!, 5));
    expect(wasm.some((v) => v !== 0)).toBe(true);
  });
});
