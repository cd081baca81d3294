// The adapter's shape and its training settings from the configuration (the profile's `adapters`
// section): what the train stage and the library's trainAdapterFromJsonl both start from.
import { OPTIM_DEFAULTS, type Config } from '../config/schema.ts';
import { UserError } from '../util/errors.ts';
import { defaultReadLayers, type AdapterConfig } from './adapter.ts';
import type { BaseModel } from './base-model.ts';
import type { TrainConfig } from './training-loop.ts';

export function adapterConfigFor(config: Config, base: BaseModel): AdapterConfig {
  const L = base.config.layers;
  const readLayers = config.adapters.readLayers ?? defaultReadLayers(L);
  const bad = readLayers.filter((l) => l > L);
  if (bad.length) throw new UserError(`adapters.readLayers ${JSON.stringify(bad)} exceed the base's ${L} layers`);
  return {
    baseHidden: base.config.hidden,
    readLayers,
    size: config.adapters.size,
    layers: config.adapters.layers,
    chain: config.adapters.chain,
    initStd: config.adapters.initStd,
    layerNormEps: base.config.layerNormEps,
  };
}

/** The knowledge adapters, whose training settings can differ (config.adapters.byAdapter). */
export type KnowledgeAdapterName = keyof Config['adapters']['byAdapter'];

/** Training settings: the shared ones, or one knowledge adapter's where it sets its own. */
export function trainConfigFor(config: Config, adapter?: KnowledgeAdapterName): TrainConfig {
  const a = config.adapters;
  const own = adapter ? a.byAdapter[adapter] : null;
  return {
    epochs: own?.epochs ?? a.epochs,
    batchSize: a.batchSize,
    optim: {
      lr: own?.lr ?? a.lr,
      ...OPTIM_DEFAULTS,
      weightDecay: a.weightDecay,
      warmupRatio: a.warmupRatio,
      clipNorm: a.clipNorm,
    },
    checkpointEverySteps: a.checkpointEverySteps,
    logEverySteps: a.logEverySteps,
  };
}

/** Training examples of a knowledge adapter (a seeded sample; null = all). */
export const maxTrainFor = (config: Config, adapter: KnowledgeAdapterName): number | null =>
  config.adapters.byAdapter[adapter].maxTrain ?? config.adapters.maxTrain;
