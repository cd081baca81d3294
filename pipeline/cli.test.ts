import fs from 'node:fs';
import os from 'node:os';
// The command line as a user meets it: a real process, its exit code and its words.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_BERT } from '../test/fixtures/kadapter/tiny-task.ts';
import { randomAdapter } from '../test/fixtures/kadapter/random-adapter.ts';
import { namedAdapterTensors, type AdapterConfig } from '../src/kadapter/adapter.ts';
import { loadAdapterFiles, saveAdapterFiles } from '../src/methods/files.ts';
import { loadedModel } from '../src/methods/files.ts';
import { initKnowledgeHead } from '../src/methods/knowledge-model.ts';
import { kAdapter } from '../src/methods/k-adapter/method.ts';
import { assignValues } from '../src/kadapter/variables.ts';
import { initBackend } from '../src/kadapter/backend.ts';
import { loadBaseModel, type BaseModel } from '../src/kadapter/base-model.ts';
import { toKAdapter } from '../src/kadapter/k-adapter-format.ts';
import { writeSafetensors } from '../src/kadapter/safetensors.ts';
import { repoRoot } from '../src/util/paths.ts';

const BIN = path.join(repoRoot, 'bin', 'kadapter.js');

function kadapter(args: string[], env: Record<string, string> = {}, as?: { uid: number; gid: number }) {
  const run = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, CORENLP_URLS: '', NEO4J_URI: '', ...env },
    ...as,
  });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

describe('kadapter CLI', () => {
  it('lists every stage and the services in --help', () => {
    const { code, out } = kadapter(['--help']);
    expect(code).toBe(0);
    for (const cmd of ['build-data', 'train', 'evaluate', 'ablate', 'pipeline', 'services', 'config']) {
      expect(out).toContain(cmd);
    }
  });

  it.each([
    'build-data',
    'train',
    'evaluate',
    'ablate',
    'pipeline',
    'services fetch',
    'services start',
    'services status',
    'services stop',
    'config',
  ])('"%s" takes --profile and --help', (cmd) => {
    const { code, out } = kadapter([...cmd.split(' '), '--help']);
    expect(code).toBe(0);
    expect(out).toMatch(/--profile <name>[\s\S]*choices:\s+"smoke",\s+"default",\s+"full"/);
  });

  it('takes --data-dir task=set on evaluate, ablate and pipeline, and refuses another shape with exit code 2', () => {
    for (const cmd of ['evaluate', 'ablate', 'pipeline']) expect(kadapter([cmd, '--help']).out).toContain('--data-dir');
    const bad = kadapter(['evaluate', '--profile', 'smoke', '--data-dir', 'tacred']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--data-dir takes task=set/);
    const task = kadapter(['evaluate', '--profile', 'smoke', '--data-dir', 'pos=x']);
    expect(task.code).toBe(2);
    expect(task.err).toMatch(/the task is entity-typing or relation/);
  });

  it('stops on a --data-dir folder that is not there with one line, before anything runs', () => {
    const missing = path.join(os.tmpdir(), 'kadapter-no-such-set');
    const run = kadapter([
      'evaluate',
      '--profile',
      'smoke',
      '--data-dir',
      'entity-typing=kg',
      `entity-typing=${missing}`,
    ]);
    expect(run.code).toBe(1);
    expect(run.err.trim()).toBe(`kadapter: entity-typing set kadapter-no-such-set: no folder ${missing}`);
  });

  it('rejects an unknown profile with usage exit code 2', () => {
    const { code, err } = kadapter(['build-data', '--profile', 'huge']);
    expect(code).toBe(2);
    expect(err).toMatch(/argument 'huge' is invalid/);
  });

  it('rejects an unknown flag and an unknown command with exit code 2', () => {
    expect(kadapter(['train', '--epochs-please']).code).toBe(2);
    expect(kadapter(['frobnicate']).code).toBe(2);
  });

  it('says what to run first when evaluate or ablate finds no trained adapters', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-empty-build-'));
    for (const stage of ['evaluate', 'ablate']) {
      const { code, err } = kadapter([stage, '--profile', 'smoke'], {
        KADAPTER_BUILD_DIR: empty,
        KADAPTER_REPORTS_DIR: empty,
      });
      expect(code).toBe(1);
      expect(err).toMatch(
        /no trained factual adapter in .*: run `npm run pipeline:train -- --profile smoke` first|no base model yet: run `npm run model:fetch`/,
      );
    }
  });

  it('refuses an unknown protocol as a usage error', () => {
    expect(kadapter(['evaluate', '--profile', 'smoke', '--protocol', 'thaw']).code).toBe(2);
  });

  it('says what to run first when train finds no data', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-empty-build-'));
    const { code, err } = kadapter(['train', '--profile', 'smoke'], { KADAPTER_BUILD_DIR: empty });
    expect(code).toBe(1);
    expect(err).toMatch(
      /run `npm run pipeline:build-data -- --profile smoke` first|no base model yet: run `npm run model:fetch`/,
    );
  });

  it('prints the resolved configuration with the password hidden', () => {
    const { code, out } = kadapter(['config', '--profile', 'smoke'], {
      NEO4J_URI: 'bolt://graph.invalid:7687',
      NEO4J_PASSWORD: 'top-secret-value',
    });
    expect(code).toBe(0);
    const config = JSON.parse(out);
    expect(config.profile).toBe('smoke');
    expect(config.services.neo4j.uri).toBe('bolt://graph.invalid:7687');
    expect(out).not.toContain('top-secret-value');
  });

  it('states the default port of a URI that names none in the configuration printout', () => {
    const { code, out } = kadapter(['config', '--profile', 'smoke'], {
      CORENLP_URLS: 'http://nlp.invalid',
      NEO4J_URI: 'bolt://graph.invalid',
      NEO4J_PASSWORD: 'x',
    });
    expect(code).toBe(0);
    const config = JSON.parse(out);
    expect(config.services.corenlp.urls).toEqual(['http://nlp.invalid:80']);
    expect(config.services.neo4j.uri).toBe('bolt://graph.invalid:7687');
  });

  it('stops at start-up on a port that is not a number or out of range, in one line naming the variable', () => {
    for (const [vars, message] of [
      [{ CORENLP_URLS: 'http://127.0.0.1:abc' }, /\(from CORENLP_URLS\): "http:\/\/127\.0\.0\.1:abc" has port "abc"/],
      [{ NEO4J_URI: 'bolt://127.0.0.1:abc', NEO4J_PASSWORD: 'x' }, /\(from NEO4J_URI\): .* has port "abc"/],
      [{ NEO4J_URI: 'bolt://127.0.0.1:99999', NEO4J_PASSWORD: 'x' }, /\(from NEO4J_URI\): .*out of range 1–65535/],
    ] as const) {
      const { code, err } = kadapter(['config', '--profile', 'smoke'], vars);
      expect(code).toBe(1);
      expect(err).toMatch(message);
      expect(err.trim().split('\n')).toHaveLength(1);
    }
  });

  it('stops at start-up on an invalid environment value, naming it', () => {
    const { code, err } = kadapter(['config'], { KADAPTER_BACKEND: 'abacus' });
    expect(code).toBe(1);
    expect(err).toMatch(/^kadapter: invalid configuration: backend \(from KADAPTER_BACKEND\)/);
    expect(err.trim().split('\n')).toHaveLength(1);
  });

  /** The lines of stderr that are not the stage banner. */
  const failureLines = (err: string) =>
    err
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('kadapter: stage '));

  it('ends a JSON file that is not JSON, or not of its schema, in one line naming the file (and line)', () => {
    const run = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-bad-run-'));
    const file = path.join(run, 'task-layers', 'task_layers_config.json');
    fs.mkdirSync(path.dirname(file));
    const score = () =>
      kadapter(['evaluate', '--profile', 'smoke', '--run', run, '--task', 'relation', '--test', file]);
    fs.writeFileSync(file, '{\n  "task": "relation",\n  "row": {,\n}\n');
    let { code, err } = score();
    expect(code).toBe(1);
    expect(failureLines(err)).toEqual([expect.stringMatching(new RegExp(`^kadapter: ${file}:3:11: not JSON \\(`))]);
    fs.writeFileSync(file, '{\n  "task": 5\n}\n');
    ({ code, err } = score());
    expect(code).toBe(1);
    expect(failureLines(err)).toEqual([
      expect.stringMatching(new RegExp(`^kadapter: ${file}: .* \\(and \\d+ more\\)$`)),
    ]);
  });

  it.skipIf(process.getuid?.() !== 0)(
    `ends a permission error in one line naming the path${process.getuid?.() === 0 ? '' : ' [skipped: needs root to run the command as another user]'}`,
    () => {
      // Run as nobody, with its own cache and state, against a build folder it may not write.
      const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-nobody-'));
      fs.chmodSync(home, 0o777);
      const locked = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-locked-'));
      fs.chmodSync(locked, 0o755);
      const { code, err } = kadapter(
        ['build-data', '--profile', 'smoke', '--part', 'dependency'],
        {
          HOME: home,
          KADAPTER_CACHE_DIR: path.join(home, 'cache'),
          KADAPTER_STATE_DIR: path.join(home, 'state'),
          KADAPTER_NEO4J_HOME: path.join(home, 'neo4j'),
          KADAPTER_REPORTS_DIR: path.join(home, 'reports'),
          KADAPTER_BUILD_DIR: locked,
        },
        { uid: 65534, gid: 65534 },
      );
      expect(code).toBe(1);
      expect(failureLines(err)).toEqual([
        expect.stringMatching(new RegExp(`^kadapter: permission denied \\(\\w+\\): ${locked}/smoke`)),
      ]);
    },
  );
});

describe('kadapter export and import --format k-adapter', () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-k-adapter-cli-'));
  // bert-tiny: hidden 32, 2 layers.
  let base: BaseModel;
  beforeAll(async () => {
    await initBackend('cpu');
    base = loadBaseModel(TINY_BERT);
  });
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));
  const cfg: AdapterConfig = {
    baseHidden: 32,
    readLayers: [0, 1, 2],
    size: 64,
    layers: 1,
    chain: 'sum',
    initStd: 0.0002,
    layerNormEps: 1e-12,
  };
  const head = { kind: 'relation' as const, hidden: 32, fuse: false, labels: ['a', 'b'] };
  function adapterFolder(name: string, c: AdapterConfig, withHead = false) {
    const dir = path.join(scratch, name);
    const adapter = randomAdapter(c, 4);
    const bound = kAdapter.create(c, 0);
    for (const [n, t] of Object.entries(namedAdapterTensors(adapter)))
      assignValues(bound.variables()[n]!, t.dataSync() as Float32Array);
    saveAdapterFiles(dir, {
      name: 'factual',
      task: 'relation',
      adapter: bound,
      head: withHead ? initKnowledgeHead(head, 0) : null,
      base,
      lastLayer: 2,
    });
    return { dir, adapter };
  }
  const values = (named: Record<string, tf.Tensor>) =>
    Object.fromEntries(Object.entries(named).map(([n, t]) => [n, Array.from(t.dataSync())]));

  it('exports the official state dict and settings, and imports them back as the same adapter, head-less', () => {
    const { dir, adapter } = adapterFolder('trained', cfg, true);
    const out = path.join(scratch, 'official');
    const exported = kadapter(['export', '--format', 'k-adapter', '--adapter', dir, '--out', out]);
    expect(exported.code, exported.err).toBe(0);
    expect(exported.out.trim().split('\n')).toEqual([
      path.join(out, 'pytorch_model.safetensors'),
      path.join(out, 'k_adapter_config.json'),
    ]);
    expect(exported.err).toMatch(/the official AdapterConfig class needs: hidden_size 64 .*layer_norm_eps 1e-12/);
    expect(exported.err).toMatch(/the knowledge head is not exported/);
    const settings = JSON.parse(fs.readFileSync(path.join(out, 'k_adapter_config.json'), 'utf8'));
    expect(settings).toMatchObject({
      adapter_list: [0, 1, 2],
      adapter_size: 64,
      num_attention_heads: 1,
      adapter_skip_layers: 0,
    });

    const back = path.join(scratch, 'imported');
    const imported = kadapter([
      'import',
      '--format',
      'k-adapter',
      '--from',
      path.join(out, 'pytorch_model.safetensors'),
      '--base-model',
      TINY_BERT,
      '--out',
      back,
      '--task',
      'relation',
    ]);
    expect(imported.code, imported.err).toBe(0);
    const loaded = loadAdapterFiles(back, base);
    expect(loaded.config.head).toBe('none');
    expect(loaded.head).toBeNull();
    expect(() => loadedModel(loaded)).toThrow(/adapter factual has no knowledge head/);
    expect(fs.existsSync(path.join(back, 'head_config.json'))).toBe(false);
    expect(loaded.adapter.config).toEqual(cfg);
    expect(values(loaded.adapter.variables())).toEqual(values(namedAdapterTensors(adapter)));
  });

  /** An official-style checkpoint: the adapters under the official names and a head tensor, no settings beside. */
  function officialCheckpoint(name: string): string {
    const { adapter } = adapterFolder(`${name}-source`, cfg);
    const plain = Object.fromEntries(
      Object.entries(namedAdapterTensors(adapter)).map(([n, t]) => [
        n,
        { shape: t.shape, data: t.dataSync() as Float32Array },
      ]),
    );
    const { stateDict } = toKAdapter(cfg, plain);
    const file = path.join(scratch, name, 'pytorch_model.safetensors');
    fs.mkdirSync(path.dirname(file));
    writeSafetensors(file, {
      ...Object.fromEntries(Object.entries(stateDict).map(([n, t]) => [n, { dtype: 'F32' as const, ...t }])),
      'out_proj.bias': { dtype: 'F32', shape: [3], data: new Float32Array(3) },
    });
    return file;
  }
  const importArgs = (file: string) => [
    'import',
    '--format',
    'k-adapter',
    '--from',
    file,
    '--base-model',
    TINY_BERT,
    '--task',
    'relation',
  ];

  it('imports an official checkpoint, leaving its head out by name; the layers come from --adapter-list', () => {
    const back = path.join(scratch, 'from-official');
    const ok = kadapter([
      ...importArgs(officialCheckpoint('fac-adapter')),
      '--out',
      back,
      '--adapter-list',
      '0,1,2',
      '--name',
      'fac',
    ]);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.err).toMatch(/left out 1 tensors outside the adapters: out_proj\.bias/);
    const loaded = loadAdapterFiles(back, base);
    expect(loaded.config).toMatchObject({ name: 'fac', task: 'relation', head: 'none', lastLayer: 2 });
    expect(loaded.adapter.config).toEqual({ ...cfg, layerNormEps: 1e-5 });
  });

  it('refuses an import without the read layers, with skip connections, a bad list, or into a used folder', () => {
    const args = importArgs(officialCheckpoint('lin-adapter'));
    const none = kadapter([...args, '--out', path.join(scratch, 'no-list')]);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(
      /does not say which base layers .* pass --adapter-list \(the official scripts use 0,11,22/,
    );
    const list = ['--adapter-list', '0,1,2'];
    const skip = kadapter([...args, ...list, '--out', path.join(scratch, 'skip'), '--adapter-skip-layers', '3']);
    expect(skip.code).toBe(1);
    expect(skip.err).toMatch(/adapter_skip_layers 3 adds a skip connection every 3 adapters/);
    expect(kadapter([...args, '--out', path.join(scratch, 'bad-list'), '--adapter-list', '0,x']).code).toBe(2);
    const used = path.join(scratch, 'used');
    fs.mkdirSync(used);
    fs.writeFileSync(path.join(used, 'notes.txt'), 'mine');
    expect(kadapter([...args, ...list, '--out', used]).err).toMatch(/exists and is not empty/);
  });

  it('refuses a torch pickle with the command that converts it, and an unknown format', () => {
    const bin = path.join(scratch, 'pytorch_model.bin');
    fs.writeFileSync(bin, Buffer.from('PK\x03\x04 a torch zip'));
    const r = kadapter([
      'import',
      '--format',
      'k-adapter',
      '--from',
      bin,
      '--base-model',
      TINY_BERT,
      '--out',
      path.join(scratch, 'x'),
      '--task',
      'relation',
      '--adapter-list',
      '0',
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/is a torch pickle, which is not read here: convert it to safetensors first/);
    expect(r.err).toMatch(
      /python -c "import torch; from safetensors\.torch import save_file; .*torch\.load\('.*pytorch_model\.bin'/,
    );
    const { dir } = adapterFolder('any', cfg);
    expect(kadapter(['export', '--format', 'onnx', '--adapter', dir, '--out', path.join(scratch, 'y')]).code).toBe(2);
  });

  it("refuses to export a chain 'concat' adapter, which the official code has no module for", () => {
    const { dir } = adapterFolder('concat', { ...cfg, chain: 'concat' });
    const r = kadapter(['export', '--format', 'k-adapter', '--adapter', dir, '--out', path.join(scratch, 'z')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/chain 'concat' .* has no equivalent in the official K-Adapter code/);
    expect(fs.existsSync(path.join(scratch, 'z'))).toBe(false);
  });
});
