// npm run tune:adapter — the adapters' training settings, chosen on dev: trains one adapter from the
// profile's feature cache (the train stage's, built if missing) once per setting and seed, and
// prints each setting's dev metric after every epoch, its steps and its wall time. The build's
// runs are not touched (runs go to a scratch folder). Writes reports/bench/tune-<adapter>.json.
//   npm run tune:adapter -- [--profile default] [--adapter linguistic|factual] [--lr 5e-4,1e-3]
//     [--epochs 1] [--seeds 1] [--max-train 20000] [--out reports/bench/tune-<adapter>.json]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load.ts';
import { describeBackend, initBackend } from '../src/kadapter/backend.ts';
import { loadBaseModel } from '../src/kadapter/base-model.ts';
import { resolveBaseModelDir } from '../src/kadapter/model-fetch.ts';
import { trainConfigFor } from '../src/kadapter/run-config.ts';
import { disposeKnowledgeModel } from '../src/methods/knowledge-model.ts';
import { knowledgeSetup } from '../src/methods/pretrain.ts';
import { trainAdapter } from '../src/methods/train.ts';
import { UsageError } from '../src/util/errors.ts';
import { meanStd } from '../src/util/metrics.ts';
import { repoRoot } from '../src/util/paths.ts';
import { formatTable } from '../src/util/table.ts';

const { values } = parseArgs({
  options: {
    profile: { type: 'string', default: 'default' },
    adapter: { type: 'string', default: 'linguistic' },
    lr: { type: 'string' },
    epochs: { type: 'string' },
    seeds: { type: 'string', default: '1' },
    'max-train': { type: 'string' },
    out: { type: 'string' },
  },
});
const name = values.adapter;
if (name !== 'linguistic' && name !== 'factual') throw new UsageError('--adapter is linguistic or factual');
const list = (v: string, flag: string) =>
  v.split(',').map((x) => {
    const n = Number(x);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag}: "${x}" is not a positive number`);
    return n;
  });
const config = loadConfig({ profile: values.profile });
if (values['max-train']) config.adapters.byAdapter[name].maxTrain = list(values['max-train'], '--max-train')[0]!;
const own = trainConfigFor(config, name);
const lrs = values.lr ? list(values.lr, '--lr') : [own.optim.lr];
const epochs = values.epochs ? list(values.epochs, '--epochs')[0]! : own.epochs;
const seeds = list(values.seeds!, '--seeds');

const backend = await initBackend(config.backend);
const base = loadBaseModel(resolveBaseModelDir(config));
const { task, data, caches, spec: specFor } = await knowledgeSetup(config, base, name, backend.name);
const metric = task.mainMetric;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-tune-'));
const trials: { lr: number; epochs: number; seed: number; devByEpoch: number[]; steps: number; seconds: number }[] = [];
try {
  for (const lr of lrs) {
    for (const seed of seeds) {
      const spec = specFor(seed);
      const { model, result } = await trainAdapter({
        spec,
        config: { ...own, epochs, optim: { ...own.optim, lr } },
        train: caches.train,
        dev: caches.dev,
        runDir: path.join(scratch, `lr-${lr}-seed-${seed}`),
        label: `${name} lr ${lr} seed ${seed}`,
        log: () => {},
      });
      disposeKnowledgeModel(model);
      trials.push({
        lr,
        epochs,
        seed,
        devByEpoch: result.dev.map((d) => d[metric]!),
        steps: result.steps,
        seconds: result.seconds,
      });
    }
  }
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
const pct = (x: number) => (100 * x).toFixed(2);
const rows = lrs.map((lr) => {
  const mine = trials.filter((t) => t.lr === lr);
  const last = meanStd(mine.map((t) => t.devByEpoch.at(-1)!));
  return {
    lr: String(lr),
    epochs: String(epochs),
    [`dev ${metric} by epoch (per seed)`]: mine.map((t) => t.devByEpoch.map(pct).join(' → ')).join('; '),
    [`last, mean ± std`]: `${pct(last.mean)} ± ${pct(last.std)}`,
    steps: String(mine[0]!.steps),
    'seconds per run': mine.map((t) => t.seconds.toFixed(0)).join(', '),
  };
});
process.stdout.write(
  `${name} adapter, ${data.splits.train.length} train / ${data.splits.dev.length} dev, seeds ${seeds.join(', ')}, ${describeBackend(backend).split(';')[0]}\n${formatTable(rows)}\n`,
);
const outFile = path.resolve(values.out ?? path.join(repoRoot, 'reports', 'bench', `tune-${name}.json`));
fs.mkdirSync(path.dirname(outFile), { recursive: true });
fs.writeFileSync(
  outFile,
  `${JSON.stringify({ profile: config.profile, adapter: name, train: data.splits.train.length, dev: data.splits.dev.length, metric, trials }, null, 2)}\n`,
);
