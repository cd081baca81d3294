// `kadapter model fetch|check`: get the default base model into the cache; load any base and say
// what it is, on which backend.
import type { Config } from '../src/config/schema.ts';
import { describeBackend, initBackend } from '../src/kadapter/backend.ts';
import { disposeBaseModel, loadBaseModel } from '../src/kadapter/base-model.ts';
import { fetchBaseModel, resolveBaseModelDir } from '../src/kadapter/model-fetch.ts';

export async function fetchModel(config: Config): Promise<void> {
  if (config.model.base !== null) {
    process.stderr.write(
      `kadapter: --base-model/KADAPTER_BASE_MODEL is set (${config.model.base}); nothing to fetch\n`,
    );
    await checkModel(config);
    return;
  }
  const r = await fetchBaseModel(config);
  for (const line of r.log) process.stderr.write(`kadapter: ${line}\n`);
  process.stderr.write(
    `kadapter: ${config.model.hubId} ${r.from === 'cache' ? 'already cached' : `fetched from ${r.from}`} in ${r.dir}\n`,
  );
  await checkModel(config);
}

export async function checkModel(config: Config): Promise<void> {
  const backend = await initBackend(config.backend);
  const dir = resolveBaseModelDir(config);
  const m = loadBaseModel(dir);
  const sample = 'K-Adapter infuses knowledge into a frozen encoder.';
  const enc = m.tokenizer.encodeWords(sample.split(' '), m.maxLength);
  const summary = {
    name: m.name,
    dir,
    modelType: m.config.modelType,
    layers: m.config.layers,
    hidden: m.config.hidden,
    heads: m.config.heads,
    parameters: m.parameters,
    maxLength: m.maxLength,
    tokenizer: m.tokenizer.kind,
    sample: { words: sample.split(' ').length, tokens: enc.ids.length },
    backend: describeBackend(backend),
  };
  disposeBaseModel(m);
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
}
