import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../paths.ts';
import { initBackend } from './backend.ts';
import { disposeBaseModel, loadBaseModel, type BaseModel } from './base-model.ts';
import { compareWithReference } from './parity.ts';

const dir = path.join(repoRoot, 'test', 'fixtures', 'parity');
const sentences = JSON.parse(fs.readFileSync(path.join(dir, 'sentences.json'), 'utf8')) as string[];

// Both CPU-machine backends; the native one is checked by scripts/check-backend.ts where it is built.
describe.each(['cpu', 'wasm'] as const)('parity with transformers on the %s backend', (backend) => {
  const models: BaseModel[] = [];
  beforeAll(async () => {
    await initBackend(backend);
  });
  afterAll(() => models.forEach(disposeBaseModel));

  describe.each(['bert-tiny', 'roberta-tiny'])('%s', (name) => {
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
  });
});
