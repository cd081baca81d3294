// `kadapter evaluate --run <row run dir> --task entity-typing|relation --test <file>`: score a
// trained row (its frozen base and adapters, and its task layers) on any file in the standard
// format, printing the metrics as JSON.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../src/config/schema.ts';
import { UserError } from '../src/util/errors.ts';
import { loadAdapterFiles } from '../src/kadapter/adapter-files.ts';
import { initAdapter } from '../src/kadapter/adapter.ts';
import { initBackend } from '../src/kadapter/backend.ts';
import { loadBaseModel } from '../src/kadapter/base-model.ts';
import { openSafetensors } from '../src/kadapter/safetensors.ts';
import { poolFeatures, type FrozenAdapter } from '../src/eval/pooled.ts';
import { pooledSource, predictWithWeights } from '../src/eval/probe.ts';
import { scoreTask } from '../src/eval/score.ts';
import { encodeTaskFile, unseenLabels, type TaskName } from '../src/eval/tasks.ts';
import { PROBE_FORMAT, type ProbeFile } from './evaluate.ts';

export async function scoreRun(config: Config, o: { run: string; task: Exclude<TaskName, 'pos'>; test: string }): Promise<void> {
  const probeDir = fs.existsSync(path.join(o.run, 'probe')) ? path.join(o.run, 'probe') : o.run;
  const file = path.join(probeDir, 'probe_config.json');
  if (!fs.existsSync(file)) throw new UserError(`${o.run}: not a row run (no probe/probe_config.json); runs are under reports/<profile>/runs/<task>/<row>/seed-N`);
  const pf = JSON.parse(fs.readFileSync(file, 'utf8')) as ProbeFile;
  if (pf.format !== PROBE_FORMAT) throw new UserError(`${file}: format "${pf.format}" is not ${PROBE_FORMAT}`);
  if (pf.spec.task !== o.task) throw new UserError(`${o.run} was trained for ${pf.spec.task}, not ${o.task}`);
  await initBackend(config.backend);
  const baseDir = config.model.base ?? pf.base.dir;
  if (!baseDir) throw new UserError(`${o.run} is a finetune run whose tuned base was not kept (eval.finetune.keepBases lists the rows that keep theirs, first seed only)`);
  const base = loadBaseModel(baseDir);
  if (base.config.hidden !== pf.base.hidden) {
    throw new UserError(`${o.run} was trained on ${pf.base.name} (hidden ${pf.base.hidden}); the base model ${base.name} has hidden ${base.config.hidden}`);
  }
  const adapters: FrozenAdapter[] = pf.adapters.map((a) =>
    'dir' in a
      ? { name: a.name, knockout: a.knockout, ...(({ config, model }) => ({ config: config.adapter, weights: model.adapter }))(loadAdapterFiles(a.dir, base)) }
      : { name: a.name, config: a.config, weights: initAdapter(a.config, a.randomSeed) },
  );
  const maxLength = Math.min(config.model.maxLength, base.maxLength);
  const skipped: Record<string, number> = {};
  const examples = encodeTaskFile(o.task, o.test, base.tokenizer, maxLength, skipped);
  if (examples.length === 0) throw new UserError(`${o.test}: no example could be encoded (${JSON.stringify(skipped)})`);
  const unseen = unseenLabels(examples, pf.spec.labels);
  const pooled = await poolFeatures(base, adapters, examples, 'features');
  const st = openSafetensors(path.join(probeDir, 'probe.safetensors'));
  const weights = Object.fromEntries([...st.tensors.keys()].map((n) => [n, st.read(n)]));
  const out = predictWithWeights(pf.spec, weights, base.config.hidden, pooledSource(examples, pooled));
  const metrics = scoreTask(o.task, pf.spec.labels, examples, out);
  process.stdout.write(`${JSON.stringify({ run: o.run, task: o.task, test: o.test, row: pf.row.label, combine: pf.combine, base: base.name, examples: examples.length, skipped, unseenLabels: unseen, metrics }, null, 2)}\n`);
}
