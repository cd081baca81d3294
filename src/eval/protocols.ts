// The two downstream protocols, as trainers of one row's task layers for one seed:
//   frozen    task layers on vectors pooled once per base (base and adapters frozen);
//   finetune  the paper's: every run trains a fresh copy of the base with its task layers; the
//             adapters stay frozen and read the tuned base's states, so the gradient flows
//             through them into the base.
import * as tf from '@tensorflow/tfjs';
import type { Config } from '../config/schema.ts';
import type { Row } from '../data/composition.ts';
import { SPLITS, type Split } from '../data/schemas.ts';
import { saveEncoderCheckpoint, type BaseModel } from '../kadapter/base-model.ts';
import { encoderTensors, namedVariables, trainableCopy } from '../kadapter/encoder-weights.ts';
import { assignValues } from '../kadapter/variables.ts';
import type { ComponentVectors } from './components.ts';
import type { DownstreamData } from './downstream-data.ts';
import { liveSource, poolFeatures, pooledSource, subsetSource, type PooledCache, type RowSource } from './pooled.ts';
import type { Scores } from './score.ts';
import { trainTaskLayers, type Outputs, type TaskLayerRun, type TaskLayerSpec } from './task-layers.ts';

/** One seed of one row: its task layers' run, and (finetune) a way to save the tuned base. */
export interface SeedRun {
  run: TaskLayerRun;
  saveBase?: (dir: string) => void;
  dispose(): void;
}

/** Trains a row's task layers for a seed, on all training examples or the chosen ones. */
export type RowTrainer = (
  spec: TaskLayerSpec,
  row: Row,
  seed: number,
  o: { trainIdx?: number[]; epochs: number },
) => Promise<SeedRun>;

export type Score = (split: 'dev' | 'test', out: Outputs, idx?: number[]) => Scores;

const taskLayerConfig = (config: Config, epochs: number, seed: number) => ({
  epochs,
  patience: config.eval.patience,
  batchSize: config.eval.batchSize,
  lr: config.eval.lr,
  weightDecay: config.eval.weightDecay,
  seed,
});

/** `frozen`: task layers on vectors pooled once per base. */
export function frozenTrainer(
  config: Config,
  sources: Record<Row['base'], Record<Split, RowSource> | null>,
  score: Score,
  main: string,
): RowTrainer {
  return async (spec, row, seed, o) => {
    const s = sources[row.base];
    if (!s) throw new Error(`no features of the ${row.base} base`);
    const train = o.trainIdx ? subsetSource(s.train, o.trainIdx) : s.train;
    const run = await trainTaskLayers(
      spec,
      taskLayerConfig(config, o.epochs, seed),
      train,
      s.dev,
      s.test,
      (_, out) => score('dev', out)[main]!,
    );
    return { run, dispose: () => {} };
  };
}

/** `finetune`: a fresh trainable copy of the row's base per run, vectors computed live through it. */
export function finetuneTrainer(
  config: Config,
  models: Record<Row['base'], BaseModel | null>,
  components: ComponentVectors[],
  data: DownstreamData,
  score: Score,
  main: string,
): RowTrainer {
  return async (spec, row, seed, o) => {
    const model = models[row.base];
    if (!model) throw new Error(`no ${row.base} base`);
    const weights = trainableCopy(model.weights);
    const src = (split: Split) => liveSource(model, components, data.splits[split], weights);
    const train = o.trainIdx ? subsetSource(src('train'), o.trainIdx) : src('train');
    const named = namedVariables(weights);
    const run = await trainTaskLayers(
      spec,
      taskLayerConfig(config, o.epochs, seed),
      train,
      src('dev'),
      src('test'),
      (_, out) => score('dev', out)[main]!,
      {
        params: named,
        lr: config.eval.finetune.baseLr,
      },
    );
    // The base of the best dev epoch is the one that scored the test set.
    for (const [n, v] of Object.entries(named)) assignValues(v, run.alsoWeights![n]!.data);
    run.alsoWeights = undefined;
    return {
      run,
      saveBase: (dir) =>
        saveEncoderCheckpoint(dir, model, weights, 'finetuned', {
          seed,
          task: spec.task,
          row: row.id,
          combine: row.combine,
        }),
      dispose: () => tf.dispose(encoderTensors(weights)),
    };
  };
}

/** The vectors of a base and the components it is read with, pooled once per split (`frozen`). */
export async function pooledSplits(
  model: BaseModel,
  components: ComponentVectors[],
  data: DownstreamData,
  label: string,
  cache?: PooledCache,
): Promise<Record<Split, RowSource>> {
  const out = {} as Record<Split, RowSource>;
  for (const split of SPLITS)
    out[split] = pooledSource(
      data.splits[split],
      await poolFeatures(model, components, data.splits[split], `${label} ${split}`, { cache }),
    );
  return out;
}
