import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { repoRoot } from '../util/paths.ts';
import {
  defaultModelDir,
  resolveBaseModelDir,
  fetchBaseModel,
  IntegrityError,
  KNOWN_FILES,
  SOURCE_FILE,
} from './model-fetch.ts';

const fixture = path.join(repoRoot, 'test', 'fixtures', 'parity', 'bert-tiny');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-fetch-'));
const REVISION = '0123456789abcdef0123456789abcdef01234567';
const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

/**
 * A stand-in for the hub: serves the tiny BERT at /<id>/resolve/<revision>/<file>, redirecting
 * model.safetensors to a storage path as the hub does for LFS files, with the file's sha256 (or
 * `linkedSha` when set) in X-Linked-Etag on the redirect.
 */
let linkedSha: string | undefined;
let files: Record<string, Buffer> = {};
const requests: string[] = [];
const server = http.createServer((req, res) => {
  const url = req.url ?? '';
  requests.push(url);
  const storage = /^\/storage\/(.+)$/.exec(url);
  if (storage) {
    res.writeHead(200, { etag: '"not-a-sha256"' }).end(files[storage[1]!]);
    return;
  }
  const m = /^\/[\w.-]+\/[\w.-]+\/resolve\/([0-9a-f]{40})\/(.+)$/.exec(url);
  const body = m ? files[m[2]!] : undefined;
  if (!m || !body) {
    res.writeHead(404).end();
    return;
  }
  if (m[2] === 'model.safetensors') {
    res.writeHead(302, { location: `/storage/${m[2]}`, 'x-linked-etag': `"${linkedSha ?? sha(body)}"` }).end();
    return;
  }
  res.writeHead(200, { etag: `"${'a'.repeat(40)}"` }).end(body);
});
let endpoint = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(scratch, { recursive: true, force: true });
});

const tinyFiles = () =>
  Object.fromEntries(fs.readdirSync(fixture).map((f) => [f, fs.readFileSync(path.join(fixture, f))]));

/** The default profile with its cache in the scratch folder; another hub id at REVISION when given. */
function configFor(name: string, hubId?: string): Config {
  const base = loadConfig({ env: { HOME: os.homedir(), KADAPTER_CACHE_DIR: path.join(scratch, name) } });
  return hubId ? { ...base, model: { ...base.model, hubId, revision: REVISION } } : base;
}

describe('model:fetch from the hub, at a pinned revision, hash-checked', () => {
  it('installs files whose sha256 is the one the hub states, fetched at the pinned revision only', async () => {
    files = tinyFiles();
    linkedSha = undefined;
    requests.length = 0;
    const config = configFor('right', 'test/tiny-bert');
    const r = await fetchBaseModel(config, { endpoint, python: '/nonexistent' });
    expect(r.from).toBe('hub');
    const dir = defaultModelDir(config);
    expect(fs.readFileSync(path.join(dir, 'model.safetensors')).equals(files['model.safetensors']!)).toBe(true);
    const hubPaths = requests.filter((u) => !u.startsWith('/storage/'));
    expect(hubPaths.length).toBeGreaterThan(2);
    for (const u of hubPaths) expect(u).toMatch(new RegExp(`^/test/tiny-bert/resolve/${REVISION}/`));
    const source = JSON.parse(fs.readFileSync(path.join(dir, SOURCE_FILE), 'utf8')) as Record<string, unknown>;
    expect(source).toMatchObject({ id: 'test/tiny-bert', revision: REVISION, from: 'hub' });
    expect(r.log.join()).toMatch(/no known hash for config\.json/);
  });

  it('fetches again over a cached folder of another revision, which no command loads meanwhile', async () => {
    files = tinyFiles();
    linkedSha = undefined;
    const config = configFor('other-revision', 'test/tiny-bert');
    await fetchBaseModel(config, { endpoint, python: '/nonexistent' });
    expect(resolveBaseModelDir(config)).toBe(defaultModelDir(config));
    const newer = { ...config, model: { ...config.model, revision: 'a'.repeat(40) } };
    expect(() => resolveBaseModelDir(newer)).toThrow(
      /at revision [0-9a-f]{40}, not the pinned a{40}: run `npm run model:fetch`/,
    );
    requests.length = 0;
    const again = await fetchBaseModel(newer, { endpoint, python: '/nonexistent' });
    expect(again.from).toBe('hub');
    expect(requests.filter((u) => u.includes(`/resolve/${'a'.repeat(40)}/`)).length).toBeGreaterThan(2);
    expect(resolveBaseModelDir(newer)).toBe(defaultModelDir(newer));
  });

  it('refuses a file whose sha256 is not the one the hub states, naming both, and installs nothing', async () => {
    files = tinyFiles();
    linkedSha = 'f'.repeat(64);
    const config = configFor('wrong-etag', 'test/tiny-bert');
    const err = await fetchBaseModel(config, { endpoint, python: '/nonexistent' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    const actual = sha(files['model.safetensors']!);
    expect((err as Error).message).toMatch(
      new RegExp(`^model\\.safetensors: sha256 ${actual}, expected ${'f'.repeat(64)} \\(the hub's X-Linked-Etag\\)`),
    );
    expect(fs.existsSync(defaultModelDir(config))).toBe(false);
    expect(fs.existsSync(`${defaultModelDir(config)}.partial`)).toBe(false);
  });

  it("refuses a known model's file that differs from its table, without falling back to PyPI", async () => {
    const config = configFor('wrong-known');
    const known = KNOWN_FILES[`${config.model.hubId}@${config.model.revision}`]!;
    expect(known).toBeDefined(); // the default base's revision has a hash table
    // Bytes with a listed hash cannot be made up: the first file fetched is already refused.
    files = {};
    requests.length = 0;
    linkedSha = undefined;
    for (const f of Object.keys(known)) files[f] = Buffer.from(`stand-in for ${f}`);
    const err = await fetchBaseModel(config, { endpoint, python: '/nonexistent' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    const firstChecked = Object.keys(known)[0]!;
    expect((err as Error).message).toContain(
      `${firstChecked}: sha256 ${sha(files[firstChecked]!)}, expected ${known[firstChecked]}`,
    );
    expect(requests[0]).toBe(
      `/sentence-transformers/all-MiniLM-L6-v2/resolve/${config.model.revision}/${firstChecked}`,
    );
    expect(fs.existsSync(defaultModelDir(config))).toBe(false);
  });
});
