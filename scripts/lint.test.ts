// The linters fail on planted violations and pass on a tree that keeps the rules: the architecture rules
// (`npm run lint:deps`: dependency-cruiser with .dependency-cruiser.cjs) and the project's own checks
// (`npm run lint:code`: scripts/lint/checks.ts — stage size, casts of read JSON). Each runs the exact
// command of its package.json script, in a small temporary copy of the project's layout, so the real tree
// (which others are still changing) is not what is tested here; CI runs `npm run lint` on the real tree.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readJsonFile } from '../src/util/json-file.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEPCRUISE = path.join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

interface Violation {
  rule: string;
  from: string;
  to: string;
}

const scripts = (): Record<string, string> =>
  readJsonFile(path.join(ROOT, 'package.json'), z.looseObject({ scripts: z.record(z.string(), z.string()) })).scripts;

/** The arguments of package.json's lint:deps script (`depcruise --config … <paths>`), with the config made absolute. */
function lintDepsArgs(): string[] {
  const [cmd, ...args] = (scripts()['lint:deps'] ?? '').trim().split(/\s+/);
  expect(cmd).toBe('depcruise');
  const at = args.indexOf('--config');
  expect(at).toBeGreaterThanOrEqual(0);
  args[at + 1] = path.join(ROOT, args[at + 1]!);
  return args;
}

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
});

/** A temporary project: the real tsconfig.json, every path lint:deps names, and the given files. */
function tree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-lint-'));
  temps.push(dir);
  fs.copyFileSync(path.join(ROOT, 'tsconfig.json'), path.join(dir, 'tsconfig.json'));
  for (const target of lintDepsArgs().filter((a) => !a.startsWith('-') && !path.isAbsolute(a))) {
    if (path.extname(target)) fs.writeFileSync(path.join(dir, target), 'export {};\n');
    else fs.mkdirSync(path.join(dir, target), { recursive: true });
  }
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

function depcruise(dir: string, extra: string[] = []) {
  const run = spawnSync(process.execPath, [DEPCRUISE, ...lintDepsArgs(), ...extra], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  expect(run.error).toBeUndefined();
  return run;
}

/**
 * Runs lint:deps in `dir`: the command as written (its exit code and what it prints), then again with JSON
 * output (which always exits 0) for the violations, sorted.
 */
function lintDeps(dir: string): { code: number | null; output: string; violations: Violation[] } {
  const plain = depcruise(dir);
  const json = depcruise(dir, ['--output-type', 'json']);
  const result = DepcruiseJson.parse(JSON.parse(json.stdout));
  const violations = result.summary.violations
    .map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }))
    .sort((a, b) => `${a.rule} ${a.from} ${a.to}`.localeCompare(`${b.rule} ${b.from} ${b.to}`));
  return { code: plain.status, output: plain.stdout + plain.stderr, violations };
}

const DepcruiseJson = z.looseObject({
  summary: z.looseObject({
    violations: z.array(z.looseObject({ rule: z.looseObject({ name: z.string() }), from: z.string(), to: z.string() })),
  }),
});

const v = (rule: string, from: string, to: string): Violation => ({ rule, from, to });

describe('lint:deps (dependency-cruiser architecture rules)', () => {
  it('passes a tree whose imports follow the layers, test files and type-only imports included', () => {
    const dir = tree({
      // The bottom layer in its order: util ← data ← config.
      'src/util/paths.ts': "import { root } from './root.ts';\nexport type P = string;\nexport const paths = root;\n",
      'src/util/root.ts': "export const root = '/';\n",
      'src/data/layout.ts': "import { paths, type P } from '../util/paths.ts';\nexport const layout: P = paths;\n",
      'src/config/schema.ts': "import type { P } from '../util/paths.ts';\nexport type Profile = P;\n",
      'src/config/load.ts':
        "import type { Profile } from './schema.ts';\nimport { layout } from '../data/layout.ts';\nexport const load = (p: Profile): Profile => p + layout;\n",
      'src/services/session.ts':
        "import { load } from '../config/load.ts';\nimport { port } from './ports.ts';\nexport const session = load('x') + port;\n",
      'src/services/ports.ts': 'export const port = 1;\n',
      'src/parsing/sources/wordnet.ts':
        "import { session } from '../../services/session.ts';\nexport const w = session;\n",
      'src/facts/sources/wordnet.ts': "import { layout } from '../../data/layout.ts';\nexport const f = layout;\n",
      'src/kadapter/train.ts': "import { port } from '../services/ports.ts';\nexport const train = port;\n",
      // kadapter ← {tasks, methods} ← eval
      'src/tasks/relation.ts': "import { train } from '../kadapter/train.ts';\nexport const relation = train;\n",
      'src/methods/k-adapter.ts':
        "import { relation } from '../tasks/relation.ts';\nimport { train } from '../kadapter/train.ts';\nexport const method = relation + train;\n",
      'src/eval/metrics.ts':
        "import { train } from '../kadapter/train.ts';\nimport { method } from '../methods/k-adapter.ts';\nimport { relation } from '../tasks/relation.ts';\nexport const metrics = train + method + relation;\n",
      'src/eval/probe.ts':
        "import type { Metrics } from './pooled.ts';\nimport { metrics } from './metrics.ts';\nexport const probe: Metrics = metrics;\n",
      'src/eval/pooled.ts': 'export type Metrics = number;\n',
      // Test files may reach across layers and into pipeline/ and test/.
      'src/kadapter/train.test.ts':
        "import { metrics } from '../eval/metrics.ts';\nimport { helper } from '../../test/helper.ts';\nimport { stage } from '../../pipeline/stage.ts';\nexport const t = [metrics, helper, stage];\n",
      'src/types/corenlp.d.ts': "declare module 'corenlp' {\n  const x: number;\n  export default x;\n}\n",
      'test/helper.ts': "import { train } from '../src/kadapter/train.ts';\nexport const helper = train;\n",
      'pipeline/stage.ts':
        "import { probe } from '../src/eval/probe.ts';\nimport { f } from '../src/facts/sources/wordnet.ts';\nimport { w } from '../src/parsing/sources/wordnet.ts';\nexport const stage = [probe, f, w];\n",
      'scripts/report.ts': "import { probe } from '../src/eval/probe.ts';\nexport const report = probe;\n",
      // A script's test may drive a stage.
      'scripts/report.test.ts': "import { stage } from '../pipeline/stage.ts';\nexport const t = stage;\n",
    });
    const { code, output, violations } = lintDeps(dir);
    expect(violations).toEqual([]);
    expect(code, output).toBe(0);
    expect(output).toMatch(/no dependency violations found/);
  });

  it('fails on planted upward imports and cycles, type-only, re-export and dynamic imports included', () => {
    const dir = tree({
      // bottom layer → middle layer (value import)
      'src/util/x.ts': "import { y } from '../kadapter/y.ts';\nexport const x = y;\n",
      'src/kadapter/y.ts': 'export const y = 1;\n',
      // bottom layer → pipeline/ (two rules at once)
      'src/config/c.ts': "import { stage } from '../../pipeline/stage.ts';\nexport const c = stage;\n",
      'pipeline/stage.ts': "export const stage = 'stage';\n",
      // bottom layer → services, through a dynamic import
      'src/data/d.ts': "export const later = () => import('../services/s.ts');\n",
      // util → data, and data → config: against the bottom layer's order
      'src/util/w.ts': "import { e } from '../data/e.ts';\nexport const w = e;\n",
      'src/data/e.ts': "import type { Cfg } from '../config/cfg.ts';\nexport const e: Cfg = 1;\n",
      'src/config/cfg.ts': 'export type Cfg = number;\n',
      // kadapter → tasks, methods → eval, tasks → facts
      'src/kadapter/t.ts': "import { task } from '../tasks/task.ts';\nexport const t = task;\n",
      'src/tasks/task.ts': "import { f } from '../facts/sources/f.ts';\nexport const task = f;\n",
      'src/methods/meth.ts': "import type { M } from '../eval/m.ts';\nexport type Meth = M;\n",
      // a script → pipeline/
      'scripts/bench.ts': "import { stage } from '../pipeline/stage.ts';\nexport const bench = stage;\n",
      // services → parsing, through a type-only re-export
      'src/services/s.ts': "export type { P } from '../parsing/sources/p.ts';\n",
      'src/parsing/sources/p.ts': 'export type P = number;\nexport const p = 3;\n',
      // kadapter → eval, type-only
      'src/kadapter/k.ts': "import type { M } from '../eval/m.ts';\nexport type K = M;\n",
      'src/eval/m.ts': 'export type M = number;\n',
      // kadapter → facts
      'src/kadapter/z.ts': "import { f } from '../facts/sources/f.ts';\nexport const z = f;\n",
      // facts/sources → parsing/sources
      'src/facts/sources/f.ts': "import { p } from '../../parsing/sources/p.ts';\nexport const f = p;\n",
      // parsing → facts, and parsing → kadapter
      'src/parsing/r.ts': "import { f } from '../facts/sources/f.ts';\nexport const r = f;\n",
      'src/parsing/q.ts': "import { y } from '../kadapter/y.ts';\nexport const q = y;\n",
      // a two-file cycle that exists only through its type-only edge
      'src/eval/a.ts': "import { b } from './b.ts';\nexport const a = (): number => b;\n",
      'src/eval/b.ts': "import type { A } from './a.ts';\nexport const b = 2;\nexport type B = A;\n",
      // a folder outside the known layers
      'src/misc/u.ts': "import { y } from '../kadapter/y.ts';\nexport const u = y;\n",
      // an import that resolves to nothing
      'src/util/gone.ts': "import { nope } from './missing.ts';\nexport const gone = nope;\n",
    });
    const { code, output, violations } = lintDeps(dir);
    expect(violations).toEqual([
      v('data-imports-config', 'src/data/e.ts', 'src/config/cfg.ts'),
      v('facts-imports-parsing', 'src/facts/sources/f.ts', 'src/parsing/sources/p.ts'),
      v('kadapter-imports-eval', 'src/kadapter/k.ts', 'src/eval/m.ts'),
      v('kadapter-imports-parsing-or-facts', 'src/kadapter/z.ts', 'src/facts/sources/f.ts'),
      v('kadapter-imports-tasks-or-methods', 'src/kadapter/t.ts', 'src/tasks/task.ts'),
      v('layer-bottom-imports-upward', 'src/config/c.ts', 'pipeline/stage.ts'),
      v('layer-bottom-imports-upward', 'src/data/d.ts', 'src/services/s.ts'),
      v('layer-bottom-imports-upward', 'src/util/x.ts', 'src/kadapter/y.ts'),
      v('layer-services-imports-upward', 'src/services/s.ts', 'src/parsing/sources/p.ts'),
      v('no-circular', 'src/eval/a.ts', 'src/eval/b.ts'),
      v('not-to-unresolvable', 'src/util/gone.ts', './missing.ts'),
      v('parsing-imports-facts', 'src/parsing/r.ts', 'src/facts/sources/f.ts'),
      v('parsing-or-facts-imports-kadapter-or-eval', 'src/parsing/q.ts', 'src/kadapter/y.ts'),
      v('scripts-imports-pipeline', 'scripts/bench.ts', 'pipeline/stage.ts'),
      v('src-imports-outside-src', 'src/config/c.ts', 'pipeline/stage.ts'),
      v('src-unknown-layer', 'src/misc/u.ts', 'src/kadapter/y.ts'),
      v('tasks-or-methods-imports-eval', 'src/methods/meth.ts', 'src/eval/m.ts'),
      v('tasks-or-methods-imports-parsing-or-facts', 'src/tasks/task.ts', 'src/facts/sources/f.ts'),
      v('util-imports-project', 'src/util/w.ts', 'src/data/e.ts'),
      v('util-imports-project', 'src/util/x.ts', 'src/kadapter/y.ts'),
    ]);
    expect(code).not.toBe(0);
    expect(output).toMatch(/error kadapter-imports-eval: src\/kadapter\/k\.ts → src\/eval\/m\.ts/);
    expect(output).toMatch(/error util-imports-project: src\/util\/w\.ts → src\/data\/e\.ts/);
    expect(output).toMatch(/20 dependency violations \(20 errors/);
  });

  it('counts a type-only import as a dependency (tsPreCompilationDeps)', () => {
    const dir = tree({
      'src/util/t.ts': "import type { K } from '../kadapter/k.ts';\nexport type T = K;\n",
      'src/kadapter/k.ts': 'export type K = number;\n',
    });
    const { code, violations } = lintDeps(dir);
    expect(violations).toEqual([
      v('layer-bottom-imports-upward', 'src/util/t.ts', 'src/kadapter/k.ts'),
      v('util-imports-project', 'src/util/t.ts', 'src/kadapter/k.ts'),
    ]);
    expect(code).not.toBe(0);
  });

  it('finds a cycle among test files too', () => {
    const dir = tree({
      'src/util/a.test.ts': "import { b } from './b.test.ts';\nexport const a = b;\n",
      'src/util/b.test.ts': "import type { A } from './a.test.ts';\nexport const b = 1;\nexport type B = A;\n",
    });
    const { violations } = lintDeps(dir);
    expect(violations.map((x) => x.rule)).toEqual(['no-circular']);
  });
});

/** Runs package.json's lint:code script (`tsx scripts/lint/checks.ts`) in `dir`, the checks file from this repository. */
function lintCode(dir: string): { code: number | null; lines: string[] } {
  const [cmd, script, ...args] = (scripts()['lint:code'] ?? '').trim().split(/\s+/);
  expect(cmd).toBe('tsx');
  const run = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [path.join(ROOT, script!), ...args], {
    cwd: dir,
    encoding: 'utf8',
  });
  expect(run.error).toBeUndefined();
  return { code: run.status, lines: (run.stdout + run.stderr).split('\n').filter((l) => l.trim() !== '') };
}

const linesOf = (n: number, text = '// step') => `${Array.from({ length: n }, () => text).join('\n')}\n`;

describe('lint:code (stage size, casts of read JSON)', () => {
  it('is part of npm run lint, with lint:deps and lint:format', () => {
    const lint = scripts().lint ?? '';
    for (const part of ['lint:deps', 'lint:code', 'lint:format']) expect(lint).toContain(`npm run ${part}`);
  });

  it('passes a tree with stages at the cap and JSON read through its schema', () => {
    const dir = tree({
      'pipeline/train.ts': linesOf(200),
      'pipeline/cli.ts': linesOf(150),
      // Tests are not stages and may cast what they read.
      'pipeline/train.test.ts': `${linesOf(300)}const x = JSON.parse('{}') as { a: number };\n`,
      'src/eval/report.ts': [
        "import fs from 'node:fs';",
        "import { readJsonFile } from '../util/json-file.ts';",
        "const results = readJsonFile('r.json', Results);",
        "const raw: unknown = JSON.parse(fs.readFileSync('hub.json', 'utf8'));",
        "const line = JSON.parse('1') as unknown;",
        "const text: string = fs.readFileSync('a.txt', 'utf8');",
        'export const all = [results, raw, line, text];',
      ].join('\n'),
    });
    const { code, lines } = lintCode(dir);
    expect(lines).toEqual(['lint:code: no violations']);
    expect(code).toBe(0);
  });

  it('fails on an oversized stage file and on each form of a cast of read JSON, one line each', () => {
    const dir = tree({
      'pipeline/evaluate.ts': linesOf(201),
      'src/eval/verified.ts': [
        "import fs from 'node:fs';",
        "const config = JSON.parse(fs.readFileSync('c.json', 'utf8')) as { labels: string[] };",
        "const revision = (JSON.parse(fs.readFileSync('s.json', 'utf8')) as { revision?: string }).revision;",
        'export const all = [config, revision];',
      ].join('\n'),
      'pipeline/report.ts': "const r: { seeds: number[] } = JSON.parse('{}');\nexport const seeds = r.seeds;\n",
      'scripts/bench.ts': "const old = JSON.parse('{}') as unknown as Record<string, number>;\nexport { old };\n",
      'src/kadapter/x.ts':
        "import fs from 'node:fs';\nexport const w = fs.readFileSync('w.json') as unknown as { a: 1 };\n",
    });
    const { code, lines } = lintCode(dir);
    expect(code).toBe(1);
    const found = lines.filter((l) => /^\S+:\d+ /.test(l)).map((l) => l.split(' ').slice(0, 2).join(' '));
    expect(found).toEqual([
      'pipeline/evaluate.ts:201 stage-size',
      'src/eval/verified.ts:2 own-file-cast',
      'src/eval/verified.ts:3 own-file-cast',
      'src/kadapter/x.ts:2 own-file-cast',
      'pipeline/report.ts:1 own-file-cast',
      'scripts/bench.ts:1 own-file-cast',
    ]);
    expect(lines).toContain('6 violations');
    expect(lines[0]).toMatch(/^pipeline\/evaluate\.ts:201 stage-size 201 lines, over the stage cap of 200/);
  });
});
