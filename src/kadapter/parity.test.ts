import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../util/paths.ts';
import { initBackend } from './backend.ts';
import { disposeBaseModel, loadBaseModel, type BaseModel } from './base-model.ts';
import { compareWithReference } from './parity.ts';

const dir = path.join(repoRoot, 'test', 'fixtures', 'parity');
const sentences = JSON.parse(fs.readFileSync(path.join(dir, 'sentences.json'), 'utf8')) as string[];

// The native backend exists where `npm run setup:tensorflow` built it (CI does).
const native = await initBackend('tensorflow').then(
  () => true,
  () => false,
);

describe.each(['cpu', 'wasm', 'tensorflow'] as const)('parity with transformers on the %s backend', (backend) => {
  const models: BaseModel[] = [];
  beforeAll(async () => {
    await initBackend(backend);
  });
  afterAll(() => models.forEach(disposeBaseModel));

  const missing = backend === 'tensorflow' && !native;
  describe.skipIf(missing).each(['bert-tiny', 'roberta-tiny'])(
    `%s${missing ? ' (skipped: native backend not built here; npm run setup:tensorflow builds it)' : ''}`,
    (name) => {
      it('gives the reference token ids, first subwords and hidden states (max |Δ| ≤ 1e-4 on every layer)', () => {
        const model = loadBaseModel(path.join(dir, name));
        models.push(model);
        const r = compareWithReference(model, sentences, path.join(dir, `${name}.reference.safetensors`));
        expect(r.idsEqual).toBe(sentences.length);
        expect(r.wordsEqual).toBe(sentences.length);
        expect(r.maxAbsDiff).toHaveLength(model.config.layers + 1);
        for (const d of r.maxAbsDiff) expect(d).toBeLessThanOrEqual(1e-4);
      });

      it('builds the same tokenizer from the vocabulary files alone', () => {
        const model = loadBaseModel(path.join(dir, name), { fromVocabFiles: true });
        models.push(model);
        expect(model.tokenizer.kind).not.toBe('tokenizer.json');
        const r = compareWithReference(model, sentences, path.join(dir, `${name}.reference.safetensors`));
        expect(r.idsEqual).toBe(sentences.length);
        expect(r.wordsEqual).toBe(sentences.length);
      });
    },
  );
});
