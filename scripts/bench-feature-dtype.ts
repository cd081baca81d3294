// npm run bench:feature-dtype — is a float16 feature cache as good as float32? Trains the same
// adapter on the same examples from both caches, over several seeds, and prints the dev metric of
// each (mean ± std) and the cache sizes. Writes reports/bench/feature-dtype.json.
//   npm run bench:feature-dtype -- [--profile default] [--adapter linguistic|factual] [--train 6000] [--dev 1500] [--seeds 1,2]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load.ts';
import { describeBackend, initBackend } from '../src/kadapter/backend.ts';
import { loadBaseModel } from '../src/kadapter/base-model.ts';
import { buildFeatureCache, FeatureCache } from '../src/kadapter/features.ts';
import { resolveBaseModelDir } from '../src/kadapter/model-fetch.ts';
import { disposeKnowledgeModel } from '../src/methods/knowledge-model.ts';
import { knowledgeTaskData } from '../src/methods/pretrain.ts';
import { trainAdapter } from '../src/methods/train.ts';
import { meanStd } from '../src/util/metrics.ts';
import { trainConfigFor } from '../src/kadapter/run-config.ts';
import { repoRoot } from '../src/util/paths.ts';
import { formatTable } from '../src/util/table.ts';

const { values } = parseArgs({
  options: {
    profile: { type: 'string', default: 'default' },
    adapter: { type: 'string', default: 'linguistic' },
    train: { type: 'string', default: '6000' },
    dev: { type: 'string', default: '1500' },
    seeds: { type: 'string', default: '1,2' },
  },
});
const name = values.adapter as 'linguistic' | 'factual';
const config = loadConfig({ profile: values.profile });
config.adapters.maxTrain = Number(values.train);
config.adapters.maxDev = Number(values.dev);
const seeds = values.seeds!.split(',').map(Number);
const backend = await initBackend(config.backend);
const base = loadBaseModel(resolveBaseModelDir(config));
const { task, data, layers, spec: specFor } = await knowledgeTaskData(config, base, name);
const metric = task.mainMetric;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-dtype-'));
const results: Record<string, { scores: number[]; cacheBytes: number }> = {};
for (const dtype of ['float32', 'float16'] as const) {
  const caches: Record<string, FeatureCache> = {};
  for (const split of ['train', 'dev'] as const) {
    const dir = path.join(scratch, dtype, split);
    await buildFeatureCache({
      dir,
      model: base,
      examples: data.splits[split],
      spec: { layers, dtype, shardSize: config.adapters.featureShardSize },
      key: `${dtype}-${split}`,
      backend: backend.name,
      label: `${dtype} ${split}`,
    });
    caches[split] = new FeatureCache(dir);
  }
  const scores: number[] = [];
  for (const seed of seeds) {
    const { model, result } = await trainAdapter({
      spec: specFor(seed),
      config: trainConfigFor(config),
      train: caches.train!,
      dev: caches.dev!,
      runDir: path.join(scratch, dtype, `run-${seed}`),
      label: `${dtype} seed ${seed}`,
      log: () => {},
    });
    disposeKnowledgeModel(model);
    scores.push(result.dev[result.dev.length - 1]![metric]!);
  }
  results[dtype] = { scores, cacheBytes: caches.train!.manifest.shards.reduce((n, s) => n + s.bytes, 0) };
}
const rows = Object.entries(results).map(([dtype, r]) => {
  const { mean, std } = meanStd(r.scores);
  return {
    cache: dtype,
    [`dev ${metric} per seed`]: r.scores.map((x) => (100 * x).toFixed(2)).join(', '),
    'mean ± std': `${(100 * mean).toFixed(2)} ± ${(100 * std).toFixed(2)}`,
    'train cache MiB': (r.cacheBytes / 2 ** 20).toFixed(0),
  };
});
process.stdout.write(
  `${name} adapter, ${data.splits.train.length} train / ${data.splits.dev.length} dev, seeds ${seeds.join(', ')}, ${describeBackend(backend).split(';')[0]}\n${formatTable(rows)}\n`,
);
const outDir = path.join(repoRoot, 'reports', 'bench');
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(
  path.join(outDir, 'feature-dtype.json'),
  `${JSON.stringify({ profile: config.profile, adapter: name, train: data.splits.train.length, dev: data.splits.dev.length, seeds, metric, results }, null, 2)}\n`,
);
fs.rmSync(scratch, { recursive: true, force: true });
