// Parity of this encoder with Hugging Face transformers: same token ids, same hidden states on
// every layer, for a padded batch. References come from scripts/parity/reference.py.
import * as tf from '@tensorflow/tfjs';
import type { BaseModel } from './base-model.ts';
import { encode } from './encoder.ts';
import { openSafetensors } from './safetensors.ts';
import { padBatch } from './tokenizer.ts';

export interface ParityReport {
  sentences: number;
  /** Sentences whose ids (text encoding) equal the reference. */
  idsEqual: number;
  /** Sentences whose word-level encoding gives the same ids and first-subword positions. */
  wordsEqual: number;
  /**
   * max |Δ| per layer (0 = embeddings), over the real tokens of the padded batch (the reference's
   * attention_mask): a padded position's state is attended by nothing, so the two libraries need
   * not agree on it, and counting it would report their different garbage as an encoder error.
   */
  maxAbsDiff: number[];
  /** Where the reference has a float64 forward pass: max |Δ| per layer of this encoder and of HF's float32 against it. */
  exact?: { ours: number[]; reference: number[] };
}

export function compareWithReference(model: BaseModel, sentences: string[], referenceFile: string): ParityReport {
  const ref = openSafetensors(referenceFile);
  const [B, T] = ref.tensors.get('input_ids')!.shape as [number, number];
  const refIds = ref.readInt('input_ids');
  const refFirst = ref.readInt('word_first_token');
  const W = ref.tensors.get('word_first_token')!.shape[1]!;
  const seqs = sentences.map((s) => model.tokenizer.encodeText(s));
  let idsEqual = 0;
  let wordsEqual = 0;
  seqs.forEach((ids, b) => {
    const want = Array.from(refIds.subarray(b * T, (b + 1) * T));
    const padded = [...ids, ...Array(T - ids.length).fill(model.tokenizer.padId)];
    if (padded.length === T && padded.every((v, i) => v === want[i])) idsEqual++;
    const words = model.tokenizer.encodeWords(sentences[b]!.split(' '), model.maxLength);
    const firsts = Array.from(refFirst.subarray(b * W, b * W + words.firstSubword.length));
    if (words.ids.join() === ids.join() && words.firstSubword.join() === firsts.join()) wordsEqual++;
  });
  const { ids, mask } = padBatch(seqs, model.tokenizer.padId);
  const hasExact = ref.tensors.has('exact.0');
  const diffs = tf.tidy(() => {
    const states = encode(model.weights, model.config, {
      ids: tf.tensor2d(ids, [B, T], 'int32'),
      mask: tf.tensor2d(mask, [B, T], 'int32'),
    });
    const real = tf.tensor3d(ref.readInt('attention_mask'), [B, T, 1], 'int32').cast('float32');
    const maxDiff = (a: tf.Tensor, name: string) =>
      a
        .sub(tf.tensor(ref.read(name), a.shape))
        .abs()
        .mul(real)
        .max()
        .dataSync()[0]!;
    return states.map((h, i) => ({
      ref: maxDiff(h, `hidden.${i}`),
      ours: hasExact ? maxDiff(h, `exact.${i}`) : NaN,
      hf: hasExact ? maxDiff(tf.tensor(ref.read(`hidden.${i}`), h.shape), `exact.${i}`) : NaN,
    }));
  });
  const report: ParityReport = { sentences: B, idsEqual, wordsEqual, maxAbsDiff: diffs.map((d) => d.ref) };
  if (hasExact) report.exact = { ours: diffs.map((d) => d.ours), reference: diffs.map((d) => d.hf) };
  return report;
}
