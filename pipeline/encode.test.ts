// `kadapter encode` as a user runs it, on the tiny fixture base and a tiny adapter trained from
// JSON Lines: the files it writes hold what the library computes, a run cut short resumes to the
// same file, and an adapter of another base is refused in one line.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_BERT } from '../test/fixtures/kadapter/tiny-task.ts';
import { baseWithOtherWeights, trainTinyAdapter } from '../test/fixtures/kadapter/tiny-adapter.ts';
import { compose } from '../src/api/compose.ts';
import { encode } from '../src/api/encode.ts';
import { encodeFile } from '../src/api/encode-file.ts';
import { initBackend } from '../src/kadapter/backend.ts';
import { loadBaseModel, type BaseModel } from '../src/kadapter/base-model.ts';
import { openSafetensors } from '../src/kadapter/safetensors.ts';
import { repoRoot } from '../src/util/paths.ts';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-encode-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));
const TEXTS = ['the cat sat on the mat', 'a dog', '', 'Angela Merkel visited Paris .', 'one two three four five six'];
let base: BaseModel;
let adapter: string;

const kadapter = (args: string[]) =>
  spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'kadapter.js'), 'encode', ...args], {
    encoding: 'utf8',
    env: { ...process.env, KADAPTER_BACKEND: 'cpu', CI: 'true' },
  });

/** `kadapter encode` on the tiny base with the tiny adapter. */
const onTinyAdapter = (args: string[]) => kadapter(['--base-model', TINY_BERT, '--adapters', adapter, ...args]);

beforeAll(async () => {
  await initBackend('cpu');
  base = loadBaseModel(TINY_BERT);
  const run = await trainTinyAdapter(base, path.join(scratch, 'tiny'), { train: 24, dev: 6 });
  adapter = run.dir;
  fs.writeFileSync(path.join(scratch, 'texts.txt'), `${TEXTS.join('\n')}\n`);
}, 120_000);

const expected = async (pool: 'mean' | 'none', combine: 'sum' | 'concat') =>
  encode(
    compose(base, { components: [adapter], combine }),
    TEXTS.filter((t) => t.length > 0),
    { pool },
  );

describe('kadapter encode', () => {
  it('writes pooled vectors as safetensors, with an index, equal to the library', async () => {
    const out = path.join(scratch, 'mean.safetensors');
    const r = onTinyAdapter([
      '--combine',
      'concat',
      '--input',
      path.join(scratch, 'texts.txt'),
      '--out',
      out,
      '--pool',
      'mean',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ inputs: 4, resumed: 0, skipped: { 'empty line': 1 }, width: 64 });
    const st = openSafetensors(out);
    expect(st.tensors.get('vectors')!.shape).toEqual([4, 64]);
    const want = await expected('mean', 'concat');
    const got = st.read('vectors');
    want.forEach((w, i) => w.vector.forEach((x, d) => expect(got[i * 64 + d]).toBeCloseTo(x, 5)));
    const index = fs
      .readFileSync(`${out}.index.jsonl`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(index.map((x) => x.line)).toEqual([1, 2, 4, 5]);
    expect(fs.existsSync(`${out}.partial`)).toBe(false);
  });

  it('writes every token of word inputs as JSON Lines, ids and first subwords kept', async () => {
    const input = path.join(scratch, 'words.jsonl');
    fs.writeFileSync(
      input,
      `${JSON.stringify({ id: 'w1', words: ['the', 'cat'] })}\n{"bad": 1}\n${JSON.stringify({ id: 7, text: 'a dog' })}\n`,
    );
    const out = path.join(scratch, 'tokens.jsonl');
    const r = onTinyAdapter(['--input', input, '--out', out, '--pool', 'none']);
    expect(r.status, r.stderr).toBe(0);
    const rows = fs
      .readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((x) => x.id)).toEqual(['w1', 7]);
    expect(rows[0].firstSubword).toEqual([1, 2]);
    expect(rows[0].vectors).toHaveLength(rows[0].tokens);
    expect(rows[0].vectors[0]).toHaveLength(32);
    expect(JSON.parse(r.stdout).skipped).toEqual({ 'JSON line without "text" or "words"': 1 });
  });

  it('resumes a run cut short after its first part to the same file', async () => {
    const input = path.join(scratch, 'texts.txt');
    const whole = path.join(scratch, 'whole.safetensors');
    const cut = path.join(scratch, 'cut.safetensors');
    const comp = compose(base, { components: [adapter] });
    await encodeFile(comp, { input, out: whole, pool: 'none', chunkSize: 2 });
    // A kill right after the first part was written.
    await expect(
      encodeFile(comp, {
        input,
        out: cut,
        pool: 'none',
        chunkSize: 2,
        onProgress: (done) => {
          if (done >= 2) throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    expect(
      fs
        .readdirSync(`${cut}.partial`)
        .filter((f) => f.startsWith('part-'))
        .sort(),
    ).toEqual(['part-000000.json', 'part-000000.safetensors']);
    const resumed = await encodeFile(comp, { input, out: cut, pool: 'none', chunkSize: 2 });
    expect(resumed).toMatchObject({ inputs: 4, resumed: 2 });
    expect(fs.readFileSync(cut)).toEqual(fs.readFileSync(whole));
    expect(fs.readFileSync(`${cut}.index.jsonl`)).toEqual(fs.readFileSync(`${whole}.index.jsonl`));
    const offsets = openSafetensors(cut);
    expect(offsets.tensors.get('offsets')!.shape).toEqual([5]);
  });

  it('refuses other settings over an unfinished run unless --force', async () => {
    const input = path.join(scratch, 'texts.txt');
    const out = path.join(scratch, 'settings.jsonl');
    const comp = compose(base, { components: [adapter] });
    await expect(
      encodeFile(comp, {
        input,
        out,
        pool: 'mean',
        chunkSize: 2,
        onProgress: (d) => {
          if (d >= 2) throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    const r = onTinyAdapter(['--input', input, '--out', out, '--pool', 'first']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/unfinished encode with other settings.*--force/);
    const forced = onTinyAdapter(['--input', input, '--out', out, '--pool', 'first', '--force']);
    expect(forced.status, forced.stderr).toBe(0);
  });

  it('refuses an adapter trained on another base in one line, unless --allow-other-base', () => {
    const other = baseWithOtherWeights(TINY_BERT, path.join(scratch, 'other-base'));
    const args = ['--base-model', other, '--adapters', adapter, '--input', path.join(scratch, 'texts.txt')];
    const r = kadapter([...args, '--out', path.join(scratch, 'other.jsonl')]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/has other weights/);
    const allowed = kadapter([...args, '--out', path.join(scratch, 'other.jsonl'), '--allow-other-base']);
    expect(allowed.status, allowed.stderr).toBe(0);
  });

  it('reads a BOM-led JSON Lines file whole, a text whose first line starts with "{" as text, and refuses a pipe', async () => {
    const comp = compose(base);
    const bom = path.join(scratch, 'bom.jsonl');
    fs.writeFileSync(bom, `\ufeff${JSON.stringify({ text: 'a dog' })}\n${JSON.stringify({ text: 'the cat' })}\n`);
    expect(
      await encodeFile(comp, { input: bom, out: path.join(scratch, 'bom.out.jsonl'), pool: 'first' }),
    ).toMatchObject({
      inputs: 2,
      skipped: {},
    });
    const braces = path.join(scratch, 'braces.txt');
    fs.writeFileSync(braces, '{curly} braces open this text\nand a second line\n');
    expect(
      await encodeFile(comp, { input: braces, out: path.join(scratch, 'braces.out.jsonl'), pool: 'first' }),
    ).toMatchObject({ inputs: 2, skipped: {} });
    const fifo = path.join(scratch, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    await expect(
      encodeFile(comp, { input: fifo, out: path.join(scratch, 'pipe.jsonl'), pool: 'first' }),
    ).rejects.toThrow(/not a regular file/);
  });

  it('leaves nothing behind when a file has no input at all', async () => {
    const empty = path.join(scratch, 'blank.txt');
    fs.writeFileSync(empty, '\n\n');
    const out = path.join(scratch, 'blank.jsonl');
    await expect(encodeFile(compose(base), { input: empty, out, pool: 'first' })).rejects.toThrow(/no input to encode/);
    expect(fs.existsSync(`${out}.partial`)).toBe(false);
  });

  it('refuses an output that is neither .safetensors nor .jsonl', () => {
    const r = kadapter([
      '--base-model',
      TINY_BERT,
      '--input',
      path.join(scratch, 'texts.txt'),
      '--out',
      path.join(scratch, 'x.npy'),
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/name a \.safetensors or a \.jsonl file/);
  });
});
