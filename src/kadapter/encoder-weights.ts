// The encoder's named weights, read from a Hugging Face checkpoint. Linear weights are stored
// transposed ([in, out]) so that a layer is one matMul; the HF names are kept for saving back.
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.ts';
import type { EncoderConfig } from './encoder-config.ts';
import type { SafetensorsFile } from './safetensors.ts';

export interface Linear {
  w: tf.Tensor2D; // [in, out]
  b: tf.Tensor1D; // [out]
}
export interface LayerNorm {
  gamma: tf.Tensor1D;
  beta: tf.Tensor1D;
}
export interface EncoderLayerWeights {
  query: Linear;
  key: Linear;
  value: Linear;
  attnOut: Linear;
  attnNorm: LayerNorm;
  ffnIn: Linear; // H → intermediate
  ffnOut: Linear; // intermediate → H
  ffnNorm: LayerNorm;
}
export interface EncoderWeights {
  word: tf.Tensor2D; // [V, H]
  position: tf.Tensor2D; // [P, H]
  tokenType: tf.Tensor2D; // [T, H]
  embNorm: LayerNorm;
  layers: EncoderLayerWeights[];
}

/** Prefixes under which HF checkpoints keep the encoder (task models nest it). */
const PREFIXES = ['', 'bert.', 'roberta.', 'model.', 'encoder_model.'];

/** HF name of each named weight of layer i, relative to the encoder prefix. */
export function layerNames(i: number) {
  const p = `encoder.layer.${i}.`;
  return {
    query: `${p}attention.self.query`,
    key: `${p}attention.self.key`,
    value: `${p}attention.self.value`,
    attnOut: `${p}attention.output.dense`,
    attnNorm: `${p}attention.output.LayerNorm`,
    ffnIn: `${p}intermediate.dense`,
    ffnOut: `${p}output.dense`,
    ffnNorm: `${p}output.LayerNorm`,
  } as const;
}

export function loadEncoderWeights(st: SafetensorsFile, c: EncoderConfig): EncoderWeights {
  const prefix = PREFIXES.find((p) => st.tensors.has(`${p}embeddings.word_embeddings.weight`));
  if (prefix === undefined) {
    throw new UserError(`${st.path}: no encoder weights found (looked for embeddings.word_embeddings.weight under ${PREFIXES.map((p) => `"${p}"`).join(', ')})`);
  }
  const get = (name: string, shape: number[]): Float32Array => {
    // Old BERT checkpoints call LayerNorm parameters gamma/beta.
    const candidates = [name, name.replace(/\.weight$/, '.gamma').replace(/\.bias$/, '.beta')].map((n) => prefix + n);
    const found = candidates.find((n) => st.tensors.has(n));
    if (!found) throw new UserError(`${st.path}: missing weight ${prefix}${name}`);
    const have = st.tensors.get(found)!.shape;
    if (have.length !== shape.length || have.some((d, i) => d !== shape[i])) {
      throw new UserError(`${st.path}: ${found} has shape ${JSON.stringify(have)}, config.json implies ${JSON.stringify(shape)}`);
    }
    return st.read(found);
  };
  const H = c.hidden;
  const linear = (name: string, inDim: number, outDim: number): Linear => ({
    // HF Linear weight is [out, in]; transpose once here.
    w: tf.tidy(() => tf.tensor2d(get(`${name}.weight`, [outDim, inDim]), [outDim, inDim]).transpose<tf.Tensor2D>()),
    b: tf.tensor1d(get(`${name}.bias`, [outDim])),
  });
  const norm = (name: string): LayerNorm => ({
    gamma: tf.tensor1d(get(`${name}.weight`, [H])),
    beta: tf.tensor1d(get(`${name}.bias`, [H])),
  });
  const layers: EncoderLayerWeights[] = [];
  for (let i = 0; i < c.layers; i++) {
    const n = layerNames(i);
    layers.push({
      query: linear(n.query, H, H),
      key: linear(n.key, H, H),
      value: linear(n.value, H, H),
      attnOut: linear(n.attnOut, H, H),
      attnNorm: norm(n.attnNorm),
      ffnIn: linear(n.ffnIn, H, c.intermediate),
      ffnOut: linear(n.ffnOut, c.intermediate, H),
      ffnNorm: norm(n.ffnNorm),
    });
  }
  return {
    word: tf.tensor2d(get('embeddings.word_embeddings.weight', [c.vocabSize, H]), [c.vocabSize, H]),
    position: tf.tensor2d(get('embeddings.position_embeddings.weight', [c.maxPositions, H]), [c.maxPositions, H]),
    tokenType: tf.tensor2d(get('embeddings.token_type_embeddings.weight', [c.typeVocabSize, H]), [c.typeVocabSize, H]),
    embNorm: norm('embeddings.LayerNorm'),
    layers,
  };
}

/** Every tensor of the weights, for disposal and parameter counts. */
export function encoderTensors(w: EncoderWeights): tf.Tensor[] {
  const lin = (l: Linear) => [l.w, l.b];
  const ln = (n: LayerNorm) => [n.gamma, n.beta];
  return [
    w.word,
    w.position,
    w.tokenType,
    ...ln(w.embNorm),
    ...w.layers.flatMap((l) => [...lin(l.query), ...lin(l.key), ...lin(l.value), ...lin(l.attnOut), ...ln(l.attnNorm), ...lin(l.ffnIn), ...lin(l.ffnOut), ...ln(l.ffnNorm)]),
  ];
}

export function countParameters(tensors: tf.Tensor[]): number {
  return tensors.reduce((n, t) => n + t.size, 0);
}
