// The pooled-vector cache: a second stage reads what the first computed, computes only what is
// new, and never serves vectors of other weights or other examples.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TINY_BERT } from '../../test/fixtures/kadapter/tiny-task.ts';
import { baseWithOtherWeights, trainTinyAdapter } from '../../test/fixtures/kadapter/tiny-adapter.ts';
import type { AdapterConfig } from '../kadapter/adapter.ts';
import { initBackend } from '../kadapter/backend.ts';
import { loadBaseModel, type BaseModel } from '../kadapter/base-model.ts';
import { repoRoot } from '../util/paths.ts';
import { resolveComponents, type ComponentVectors } from './components.ts';
import { poolFeatures } from './pooled.ts';
import type { TaskExample } from '../tasks/downstream/index.ts';
import { encodeTaskFile } from './downstream-data.ts';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-pooled-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));
let base: BaseModel;
let examples: TaskExample[];
let adapterDir: string;
let random: AdapterConfig;

beforeAll(async () => {
  await initBackend('cpu');
  base = loadBaseModel(TINY_BERT);
  examples = encodeTaskFile(
    'relation',
    path.join(repoRoot, 'test/fixtures/eval/tacred/dev.json'),
    base.tokenizer,
    64,
    {},
  );
  adapterDir = (await trainTinyAdapter(base, path.join(scratch, 'tiny'), { train: 16, dev: 4 })).dir;
  random = {
    baseHidden: 32,
    readLayers: [0, 1, 2],
    size: 16,
    layers: 1,
    chain: 'sum',
    initStd: 0.05,
    layerNormEps: 1e-12,
  };
}, 120_000);

/** Components whose forward calls are counted. */
function counted(components: ComponentVectors[]) {
  const calls: Record<string, number> = {};
  return {
    calls,
    components: components.map((c) => ({
      ...c,
      forward: (...args: Parameters<ComponentVectors['forward']>) => {
        calls[c.key] = (calls[c.key] ?? 0) + 1;
        return c.forward(...args);
      },
    })),
  };
}

it('computes each component once across calls, and only the new ones later', async () => {
  const cache = { dir: path.join(scratch, 'cache') };
  const trained = resolveComponents([{ kind: 'adapter', name: 'L', weights: { dir: adapterDir } }], base);
  const first = counted(trained);
  const a = await poolFeatures(base, first.components, examples, 'first', { cache });
  expect(Object.values(first.calls).reduce((x, y) => x + y, 0)).toBeGreaterThan(0);

  // A second stage with the same component and a new one: the new one alone is computed.
  const more = resolveComponents(
    [
      { kind: 'adapter', name: 'L', weights: { dir: adapterDir } },
      { kind: 'adapter', name: 'R', weights: { random: 7, method: 'k-adapter', config: random } },
    ],
    base,
  );
  const second = counted(more);
  const b = await poolFeatures(base, second.components, examples, 'second', { cache });
  expect(Object.keys(second.calls)).toEqual([more[1]!.key]);
  expect(b.components[more[0]!.key]).toEqual(a.components[trained[0]!.key]);
  expect(b.components.base).toEqual(a.components.base);

  // Everything cached: no forward pass at all, the same numbers as without a cache.
  const third = counted(more);
  const c = await poolFeatures(base, third.components, examples, 'third', { cache });
  expect(third.calls).toEqual({});
  const fresh = await poolFeatures(base, more, examples, 'uncached');
  for (const k of Object.keys(fresh.components)) expect(c.components[k]).toEqual(fresh.components[k]);
}, 120_000);

it('keys the cache by content: other base weights, other adapter weights or other examples are recomputed', async () => {
  const cache = { dir: path.join(scratch, 'cache-content') };
  const adapter = [{ kind: 'adapter' as const, name: 'L', weights: { dir: adapterDir } }];
  await poolFeatures(base, resolveComponents(adapter, base), examples, 'warm', { cache });
  const files = () => fs.readdirSync(cache.dir).length;
  expect(files()).toBe(2);

  const other = loadBaseModel(baseWithOtherWeights(TINY_BERT, path.join(scratch, 'other')));
  await poolFeatures(
    other,
    resolveComponents(adapter, other, new Map(), { allowOtherBase: true }),
    examples,
    'other base',
    { cache },
  );
  expect(files()).toBe(4);

  await poolFeatures(base, resolveComponents(adapter, base), examples.slice(1), 'fewer examples', { cache });
  expect(files()).toBe(6);

  // The same folder retrained (other weights): its vectors are recomputed, the base's are not.
  const retrained = path.join(scratch, 'retrained');
  fs.cpSync(adapterDir, retrained, { recursive: true });
  const weights = path.join(retrained, 'adapter.safetensors');
  const bytes = fs.readFileSync(weights);
  bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1;
  fs.writeFileSync(weights, bytes);
  const moved = counted(resolveComponents([{ kind: 'adapter', name: 'L', weights: { dir: retrained } }], base));
  await poolFeatures(base, moved.components, examples, 'retrained', { cache });
  expect(Object.values(moved.calls).reduce((x, y) => x + y, 0)).toBeGreaterThan(0);
  expect(files()).toBe(7);

  // The same weights read at other base layers (adapter_config.json changed): recomputed.
  const relisted = path.join(scratch, 'relisted');
  fs.cpSync(adapterDir, relisted, { recursive: true });
  const configFile = path.join(relisted, 'adapter_config.json');
  const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
  config.config.readLayers = [...config.config.readLayers].reverse();
  fs.writeFileSync(configFile, JSON.stringify(config));
  const read = counted(resolveComponents([{ kind: 'adapter', name: 'L', weights: { dir: relisted } }], base));
  await poolFeatures(base, read.components, examples, 'relisted', { cache });
  expect(Object.values(read.calls).reduce((x, y) => x + y, 0)).toBeGreaterThan(0);
  expect(files()).toBe(8);

  // refresh (--force): computed again though everything is there.
  const forced = counted(resolveComponents(adapter, base));
  await poolFeatures(base, forced.components, examples, 'forced', { cache: { ...cache, refresh: true } });
  expect(Object.values(forced.calls).reduce((x, y) => x + y, 0)).toBeGreaterThan(0);
  expect(files()).toBe(8);
}, 120_000);
