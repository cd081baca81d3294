// The encoder's named weights, read from a Hugging Face checkpoint. Linear weights are stored
// transposed ([in, out]) so that a layer is one matMul; the HF names are kept for saving back.
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../util/errors.ts';
import type { EncoderConfig } from './encoder-config.ts';
import type { SafetensorsFile } from './safetensors.ts';
import { variableFrom } from './variables.ts';

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

/** The prefix under which a checkpoint keeps its encoder. */
export function encoderPrefix(st: SafetensorsFile): string {
  const prefix = PREFIXES.find((p) => st.tensors.has(`${p}embeddings.word_embeddings.weight`));
  if (prefix === undefined) {
    throw new UserError(
      `${st.path}: no encoder weights found (looked for embeddings.word_embeddings.weight under ${PREFIXES.map((p) => `"${p}"`).join(', ')})`,
    );
  }
  return prefix;
}

/** The checkpoint's own name for an encoder weight (hfNamedTensors' name), or undefined if absent. */
export function storedName(st: SafetensorsFile, prefix: string, name: string): string | undefined {
  // Old BERT checkpoints call LayerNorm parameters gamma/beta.
  const candidates = [name, name.replace(/\.weight$/, '.gamma').replace(/\.bias$/, '.beta')].map((n) => prefix + n);
  return candidates.find((n) => st.tensors.has(n));
}

export function loadEncoderWeights(st: SafetensorsFile, c: EncoderConfig): EncoderWeights {
  const prefix = encoderPrefix(st);
  const get = (name: string, shape: number[]): Float32Array => {
    const found = storedName(st, prefix, name);
    if (!found) throw new UserError(`${st.path}: missing weight ${prefix}${name}`);
    const have = st.tensors.get(found)!.shape;
    if (have.length !== shape.length || have.some((d, i) => d !== shape[i])) {
      throw new UserError(
        `${st.path}: ${found} has shape ${JSON.stringify(have)}, config.json implies ${JSON.stringify(shape)}`,
      );
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
    ...w.layers.flatMap((l) => [
      ...lin(l.query),
      ...lin(l.key),
      ...lin(l.value),
      ...lin(l.attnOut),
      ...ln(l.attnNorm),
      ...lin(l.ffnIn),
      ...lin(l.ffnOut),
      ...ln(l.ffnNorm),
    ]),
  ];
}

export function countParameters(tensors: tf.Tensor[]): number {
  return tensors.reduce((n, t) => n + t.size, 0);
}

/** Every weight under its Hugging Face name, with whether it is stored transposed here. */
export function hfNamedTensors(w: EncoderWeights): Record<string, { tensor: tf.Tensor; transposed: boolean }> {
  const out: Record<string, { tensor: tf.Tensor; transposed: boolean }> = {
    'embeddings.word_embeddings.weight': { tensor: w.word, transposed: false },
    'embeddings.position_embeddings.weight': { tensor: w.position, transposed: false },
    'embeddings.token_type_embeddings.weight': { tensor: w.tokenType, transposed: false },
    'embeddings.LayerNorm.weight': { tensor: w.embNorm.gamma, transposed: false },
    'embeddings.LayerNorm.bias': { tensor: w.embNorm.beta, transposed: false },
  };
  w.layers.forEach((l, i) => {
    const n = layerNames(i);
    for (const key of ['query', 'key', 'value', 'attnOut', 'ffnIn', 'ffnOut'] as const) {
      out[`${n[key]}.weight`] = { tensor: l[key].w, transposed: true };
      out[`${n[key]}.bias`] = { tensor: l[key].b, transposed: false };
    }
    for (const key of ['attnNorm', 'ffnNorm'] as const) {
      out[`${n[key]}.weight`] = { tensor: l[key].gamma, transposed: false };
      out[`${n[key]}.bias`] = { tensor: l[key].beta, transposed: false };
    }
  });
  return out;
}

/** A trainable copy's variables by Hugging Face name (for the optimizer and its decay rule). */
export function namedVariables(w: EncoderWeights, prefix = ''): Record<string, tf.Variable> {
  return Object.fromEntries(
    Object.entries(hfNamedTensors(w)).map(([n, t]) => [`${prefix}${n}`, t.tensor as tf.Variable]),
  );
}

/** The same weights as trainable variables (a copy; the originals are untouched). */
export function trainableCopy(w: EncoderWeights): EncoderWeights {
  const v = <T extends tf.Tensor>(t: T) => variableFrom(() => t.clone()) as unknown as T;
  const lin = (l: Linear): Linear => ({ w: v(l.w), b: v(l.b) });
  const ln = (n: LayerNorm): LayerNorm => ({ gamma: v(n.gamma), beta: v(n.beta) });
  return {
    word: v(w.word),
    position: v(w.position),
    tokenType: v(w.tokenType),
    embNorm: ln(w.embNorm),
    layers: w.layers.map((l) => ({
      query: lin(l.query),
      key: lin(l.key),
      value: lin(l.value),
      attnOut: lin(l.attnOut),
      attnNorm: ln(l.attnNorm),
      ffnIn: lin(l.ffnIn),
      ffnOut: lin(l.ffnOut),
      ffnNorm: ln(l.ffnNorm),
    })),
  };
}
