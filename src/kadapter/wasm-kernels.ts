// Kernels the wasm backend lacks and training needs. The gradient of `gather` (every embedding
// lookup) is an UnsortedSegmentSum; without it the wasm backend cannot train anything that reads
// an embedding table. Computed on the JS side of the wasm heap: it runs once per step on a
// [tokens, H] gradient, small beside the matrix products.
import * as tf from '@tensorflow/tfjs';

interface WasmBackendLike {
  readSync(dataId: object): ArrayLike<number>;
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: tf.TypedArray): tf.TensorInfo;
}

export function unsortedSegmentSumValues(
  x: ArrayLike<number>,
  xShape: number[],
  segmentIds: ArrayLike<number>,
  numSegments: number,
  dtype: tf.DataType,
): tf.TypedArray {
  const inner = xShape.slice(1).reduce((a, b) => a * b, 1);
  const outer = segmentIds.length;
  if (outer * inner !== x.length)
    throw new Error(`UnsortedSegmentSum: ${outer} segment ids for data of shape ${JSON.stringify(xShape)}`);
  const out = dtype === 'int32' ? new Int32Array(numSegments * inner) : new Float32Array(numSegments * inner);
  for (let i = 0; i < outer; i++) {
    const s = segmentIds[i]!;
    if (s < 0 || s >= numSegments) continue; // TensorFlow drops out-of-range ids
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) out[dst + j] = out[dst + j]! + x[src + j]!;
  }
  return out;
}

let registered = false;

export function registerWasmKernels(): void {
  if (registered || tf.getKernel('UnsortedSegmentSum', 'wasm')) return;
  registered = true;
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
      const { numSegments } = attrs as unknown as { numSegments: number };
      const b = backend as unknown as WasmBackendLike;
      // segmentIds may be [N] or the full leading shape of x ([B, T] for a 2-D gather); flatten both.
      const lead = segmentIds.shape.reduce((a, c) => a * c, 1);
      const rest = x.shape.slice(segmentIds.shape.length);
      const values = unsortedSegmentSumValues(
        b.readSync(x.dataId),
        [lead, ...rest],
        b.readSync(segmentIds.dataId),
        numSegments,
        x.dtype,
      );
      return b.makeOutput([numSegments, ...rest], x.dtype, undefined, values);
    },
  });
}
