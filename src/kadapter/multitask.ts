// The multi-task baseline (SPEC §7): instead of adapters, the base itself is further trained on
// both knowledge tasks — the same data and the same number of steps the two adapters take — and
// saved as a Hugging Face checkpoint that downstream evaluation loads like any base.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { EncodedDependency, EncodedExample, EncodedRelation } from '../data/schemas.ts';
import { relationDevScores } from '../eval/metrics.ts';
import { hashOf } from '../util/manifest.ts';
import type { BaseModel } from './base-model.ts';
import { hfNamedTensors, trainableCopy, type EncoderWeights } from './encoder-weights.ts';
import { headFeatures, initHead, namedHeadTensors, type HeadWeights } from './heads.ts';
import { mulberry32, shuffled } from './rng.ts';
import { SOURCE_FILE } from './model-fetch.ts';
import { writeSafetensors } from './safetensors.ts';
import { liveBatch } from './adapter-outputs.ts';
import { headLogits, lossFromLogits, runTrainingLoop, type AdapterRunSpec, type DevMetrics, type TrainConfig, type TrainResult } from './train.ts';

export interface MultitaskData {
  labels: string[];
  relation: { train: EncodedRelation[]; dev: EncodedRelation[] };
  dependency: { train: EncodedDependency[]; dev: EncodedDependency[] };
}

interface BatchRef {
  task: 'relation' | 'dependency';
  indices: number[];
}

export interface MultitaskModel {
  weights: EncoderWeights;
  relation: HeadWeights;
  dependency: HeadWeights;
}

/** Both tasks' batches in one epoch, interleaved evenly: as many steps as the two adapters take. */
export function multitaskPlan(data: MultitaskData, seed: number, epoch: number, batchSize: number): BatchRef[] {
  const rand = mulberry32(seed * 1_000_003 + epoch);
  const batches = (task: BatchRef['task'], n: number) => {
    const order = shuffled(Array.from({ length: n }, (_, i) => i), rand);
    const out: { ref: BatchRef; at: number }[] = [];
    const count = Math.ceil(n / batchSize);
    for (let b = 0; b < count; b++) out.push({ ref: { task, indices: order.slice(b * batchSize, (b + 1) * batchSize) }, at: (b + 0.5) / count });
    return out;
  };
  return [...batches('relation', data.relation.train.length), ...batches('dependency', data.dependency.train.length)].sort((a, b) => a.at - b.at).map((x) => x.ref);
}

function logitsOf(m: MultitaskModel, base: BaseModel, task: BatchRef['task'], exs: EncodedExample[]) {
  // The base's own (trained) weights, not the frozen ones.
  const batch = liveBatch(base, exs, m.weights);
  const head = task === 'relation' ? m.relation : m.dependency;
  const logits = headLogits(head, task, headFeatures(head, batch.states[base.config.layers]!), exs);
  return { logits, batch };
}

const specFor = (task: BatchRef['task']) => ({ task }) as AdapterRunSpec;

export function evaluateMultitask(m: MultitaskModel, base: BaseModel, data: MultitaskData, batchSize: number): DevMetrics {
  const gold: string[] = [];
  const pred: string[] = [];
  let words = 0;
  let correct = 0;
  let lossSum = 0;
  let n = 0;
  for (const task of ['relation', 'dependency'] as const) {
    const dev: EncodedExample[] = data[task].dev;
    for (let i = 0; i < dev.length; i += batchSize) {
      const exs = dev.slice(i, i + batchSize);
      const { loss, argmax } = tf.tidy(() => {
        const { logits, batch } = logitsOf(m, base, task, exs);
        return { loss: lossFromLogits(specFor(task), logits, batch).dataSync()[0]!, argmax: logits.argMax(-1).arraySync() as number[] | number[][] };
      });
      lossSum += loss * exs.length;
      n += exs.length;
      exs.forEach((e, b) => {
        if (e.task === 'relation') {
          gold.push(data.labels[e.label]!);
          pred.push(data.labels[(argmax as number[])[b]!]!);
        } else {
          const row = (argmax as number[][])[b]!;
          e.heads.forEach((h, w) => {
            if (h < 0) return;
            words++;
            if (row[e.firsts[w]!] === h) correct++;
          });
        }
      });
    }
  }
  return { examples: n, loss: lossSum / Math.max(n, 1), ...relationDevScores(gold, pred), uas: words ? correct / words : 0, words };
}

export async function trainMultitask(o: {
  base: BaseModel;
  data: MultitaskData;
  config: TrainConfig;
  seed: number;
  scoreDim: number;
  runDir: string;
  label: string;
  log?: (l: string) => void;
  stopAfterSteps?: number;
}): Promise<{ model: MultitaskModel; result: TrainResult }> {
  const H = o.base.config.hidden;
  const model: MultitaskModel = {
    weights: trainableCopy(o.base.weights),
    relation: initHead({ kind: 'relation', hidden: H, fuse: false, labels: o.data.labels }, o.seed + 1),
    dependency: initHead({ kind: 'dependency', hidden: H, fuse: false, scoreDim: o.scoreDim }, o.seed + 2),
  };
  const params: Record<string, tf.Variable> = {};
  for (const [n, t] of Object.entries(hfNamedTensors(model.weights))) params[`base.${n}`] = t.tensor as tf.Variable;
  for (const [n, t] of Object.entries(namedHeadTensors(model.relation))) params[`relation.${n}`] = t as tf.Variable;
  for (const [n, t] of Object.entries(namedHeadTensors(model.dependency))) params[`dependency.${n}`] = t as tf.Variable;
  // LayerNorms and biases do not decay; in HF names they end in .bias or LayerNorm.weight.
  const result = await runTrainingLoop<BatchRef>({
    label: o.label,
    runDir: o.runDir,
    config: o.config,
    params,
    configHash: hashOf({ multitask: true, base: o.base.name, config: o.config, seed: o.seed, data: hashOf(o.data) }),
    plan: (epoch) => multitaskPlan(o.data, o.seed, epoch, o.config.batchSize),
    loss: (ref) => {
      const exs: EncodedExample[] = ref.indices.map((i) => o.data[ref.task].train[i]!);
      const { logits, batch } = logitsOf(model, o.base, ref.task, exs);
      return lossFromLogits(specFor(ref.task), logits, batch);
    },
    evaluate: () => evaluateMultitask(model, o.base, o.data, o.config.batchSize * 2),
    log: o.log,
    stopAfterSteps: o.stopAfterSteps,
  });
  return { model, result };
}

/** The trained base in the Hugging Face layout of the base it came from. */
export function saveMultitaskCheckpoint(dir: string, base: BaseModel, m: MultitaskModel, info: Record<string, unknown>): void {
  fs.mkdirSync(dir, { recursive: true });
  const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
  for (const [n, { tensor, transposed }] of Object.entries(hfNamedTensors(m.weights))) {
    const t = transposed ? tf.tidy(() => tensor.transpose()) : tensor;
    tensors[n] = { dtype: 'F32', shape: t.shape, data: t.dataSync() as Float32Array };
    if (transposed) t.dispose();
  }
  writeSafetensors(path.join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt', 'vocab.json', 'merges.txt']) {
    if (fs.existsSync(path.join(base.dir, f))) fs.copyFileSync(path.join(base.dir, f), path.join(dir, f));
  }
  fs.writeFileSync(path.join(dir, SOURCE_FILE), `${JSON.stringify({ id: `${base.name}+multitask`, from: 'multitask', ...info }, null, 2)}\n`);
}
