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
  /** max |Δ| per layer (0 = embeddings), over every position of the padded batch. */
  maxAbsDiff: number[];
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
  const maxAbsDiff = tf.tidy(() => {
    const states = encode(model.weights, model.config, { ids: tf.tensor2d(ids, [B, T], 'int32'), mask: tf.tensor2d(mask, [B, T], 'int32') });
    return states.map((h, i) => {
      const want = tf.tensor3d(ref.read(`hidden.${i}`), h.shape);
      return h.sub(want).abs().max().dataSync()[0]!;
    });
  });
  return { sentences: B, idsEqual, wordsEqual, maxAbsDiff };
}
