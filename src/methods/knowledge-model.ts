// An adapter of any method with a knowledge task's head: what pre-training trains and an adapter
// folder holds. The head reads f = fuse([h_L ; adapter output]) (src/kadapter/heads.ts).
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { EncodedExample } from '../data/schemas.ts';
import { Initializer } from '../kadapter/adapter.ts';
import type { Linear } from '../kadapter/encoder-weights.ts';
import { liveBatch } from '../kadapter/adapter-outputs.ts';
import type { BaseModel } from '../kadapter/base-model.ts';
import { headFeatures } from '../kadapter/heads.ts';
import { knowledgeTask, type HeadSettings, type KnowledgeTask } from '../tasks/knowledge/index.ts';
import { createAdapter, type Adapter } from './index.ts';

/** A knowledge head: its settings (head_config.json) and weights by name (head.safetensors). */
export interface KnowledgeHead {
  settings: HeadSettings;
  weights: Record<string, tf.Variable>;
}

export interface KnowledgeModel {
  adapter: Adapter;
  task: KnowledgeTask;
  head: KnowledgeHead;
  /** Base layer whose states the head fuses with the adapter output (the last, L). */
  lastLayer: number;
}

/** What one pre-training run trains: the adapter's settings (its method's file config), the head, the seed. */
export const AdapterRunSpec = z.strictObject({
  /** The adapter's settings with `architecture` naming its method (whose schema reads the rest). */
  adapter: z.looseObject({ architecture: z.string().min(1) }),
  /** The head's settings (its task's schema reads the rest). */
  head: z.looseObject({ kind: z.string().min(1), hidden: z.number().int().min(1), fuse: z.boolean() }),
  lastLayer: z.number().int().min(0),
  seed: z.number().int(),
});
export type AdapterRunSpec = z.infer<typeof AdapterRunSpec>;

/** A head's weights, seeded: the fusion layer first where it fuses, then the task's own. */
export function initKnowledgeHead(settings: HeadSettings, seed: number): KnowledgeHead {
  const init = new Initializer(seed);
  const weights: Record<string, tf.Variable> = {};
  if (settings.fuse) {
    const fuse = init.linear(2 * settings.hidden, settings.hidden, 0.02);
    Object.assign(weights, { 'fuse.w': fuse.w, 'fuse.b': fuse.b });
  }
  Object.assign(weights, knowledgeTask(settings.kind).initHead(settings, init));
  return { settings, weights };
}

export function initKnowledgeModel(spec: AdapterRunSpec): KnowledgeModel {
  return {
    adapter: createAdapter(spec.adapter, spec.seed),
    task: knowledgeTask(spec.head.kind),
    head: initKnowledgeHead(spec.head, spec.seed + 1),
    lastLayer: spec.lastLayer,
  };
}

/** Every trained tensor by its checkpoint name: the adapter's, then the head's. */
export function modelVariables(m: Pick<KnowledgeModel, 'adapter' | 'head'>): Record<string, tf.Variable> {
  const out: Record<string, tf.Variable> = {};
  for (const [n, t] of Object.entries(m.adapter.variables())) out[`adapter.${n}`] = t;
  for (const [n, t] of Object.entries(m.head.weights)) out[`head.${n}`] = t;
  return out;
}

const fuseOf = (head: KnowledgeHead): Linear | null =>
  head.weights['fuse.w'] ? ({ w: head.weights['fuse.w'], b: head.weights['fuse.b'] } as Linear) : null;

/** A batch the model reads: the base's states by layer, the mask, and the examples. */
export interface StatesBatch {
  states: (tf.Tensor3D | undefined)[];
  mask: tf.Tensor2D;
  examples: EncodedExample[];
}

/**
 * Logits for a batch (the task's shape). `realTokensOnly`: for a caller that reads the logits of
 * tokens only, as the training loss does.
 */
export function knowledgeLogits(m: KnowledgeModel, batch: StatesBatch, realTokensOnly = false): tf.Tensor {
  const a = m.adapter.forward(batch.states, batch.mask, { realTokensOnly });
  const hLast = batch.states[m.lastLayer];
  if (!hLast) throw new Error(`base layer ${m.lastLayer} was not computed`);
  const f = headFeatures(fuseOf(m.head), hLast, a);
  return m.task.logits(m.head.settings, m.head.weights, f, batch.examples);
}

export function batchLoss(m: KnowledgeModel, batch: StatesBatch): tf.Scalar {
  // The loss reads tokens only: relation logits pool two tokens; dependency rows and candidate
  // columns are tokens (a padding row has no label, a padding column a bias of -1e9).
  return m.task.loss(knowledgeLogits(m, batch, true), batch.examples);
}

export function disposeKnowledgeModel(m: Pick<KnowledgeModel, 'adapter' | 'head'>): void {
  m.adapter.dispose();
  tf.dispose(Object.values(m.head.weights));
}

/** The head's logits of a model on examples, from the base directly (no cache). */
export function logitsOn(base: BaseModel, m: KnowledgeModel, examples: EncodedExample[]): tf.Tensor {
  return tf.tidy(() => knowledgeLogits(m, liveBatch(base, examples)));
}
