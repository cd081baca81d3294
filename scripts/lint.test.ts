// The architecture linter (`npm run lint:deps`: dependency-cruiser with .dependency-cruiser.cjs) fails on
// planted violations and passes on a tree that keeps the rules. It runs the exact command of package.json's
// lint:deps script, in a small temporary copy of the project's layout, so the real tree (which others are
// still changing) is not what is tested here; CI runs lint:deps on the real tree.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEPCRUISE = path.join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

interface Violation {
  rule: string;
  from: string;
  to: string;
}

/** The arguments of package.json's lint:deps script (`depcruise --config … <paths>`), with the config made absolute. */
function lintDepsArgs(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const [cmd, ...args] = (pkg.scripts['lint:deps'] ?? '').trim().split(/\s+/);
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
  const result = JSON.parse(json.stdout) as {
    summary: { violations: { rule: { name: string }; from: string; to: string }[] };
  };
  const violations = result.summary.violations
    .map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }))
    .sort((a, b) => `${a.rule} ${a.from} ${a.to}`.localeCompare(`${b.rule} ${b.from} ${b.to}`));
  return { code: plain.status, output: plain.stdout + plain.stderr, violations };
}

const v = (rule: string, from: string, to: string): Violation => ({ rule, from, to });

describe('lint:deps (dependency-cruiser architecture rules)', () => {
  it('passes a tree whose imports follow the layers, test files and type-only imports included', () => {
    const dir = tree({
      'src/util/paths.ts': "import type { Profile } from '../config/schema.ts';\nexport type P = Profile;\n",
      'src/config/schema.ts': 'export type Profile = string;\n',
      'src/config/load.ts': "import type { P } from '../util/paths.ts';\nexport const load = (p: P): P => p;\n",
      'src/data/layout.ts': "import { load } from '../config/load.ts';\nexport const layout = load('x');\n",
      'src/services/session.ts':
        "import { layout } from '../data/layout.ts';\nimport { port } from './ports.ts';\nexport const session = layout + port;\n",
      'src/services/ports.ts': 'export const port = 1;\n',
      'src/parsing/sources/wordnet.ts':
        "import { session } from '../../services/session.ts';\nexport const w = session;\n",
      'src/facts/sources/wordnet.ts': "import { layout } from '../../data/layout.ts';\nexport const f = layout;\n",
      'src/kadapter/train.ts': "import { port } from '../services/ports.ts';\nexport const train = port;\n",
      'src/eval/metrics.ts': "import { train } from '../kadapter/train.ts';\nexport const metrics = train;\n",
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
      'scripts/report.ts': "import { stage } from '../pipeline/stage.ts';\nexport const report = stage;\n",
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
      v('facts-imports-parsing', 'src/facts/sources/f.ts', 'src/parsing/sources/p.ts'),
      v('kadapter-imports-eval', 'src/kadapter/k.ts', 'src/eval/m.ts'),
      v('kadapter-imports-parsing-or-facts', 'src/kadapter/z.ts', 'src/facts/sources/f.ts'),
      v('layer-bottom-imports-upward', 'src/config/c.ts', 'pipeline/stage.ts'),
      v('layer-bottom-imports-upward', 'src/data/d.ts', 'src/services/s.ts'),
      v('layer-bottom-imports-upward', 'src/util/x.ts', 'src/kadapter/y.ts'),
      v('layer-services-imports-upward', 'src/services/s.ts', 'src/parsing/sources/p.ts'),
      v('no-circular', 'src/eval/a.ts', 'src/eval/b.ts'),
      v('not-to-unresolvable', 'src/util/gone.ts', './missing.ts'),
      v('parsing-imports-facts', 'src/parsing/r.ts', 'src/facts/sources/f.ts'),
      v('parsing-or-facts-imports-kadapter-or-eval', 'src/parsing/q.ts', 'src/kadapter/y.ts'),
      v('src-imports-outside-src', 'src/config/c.ts', 'pipeline/stage.ts'),
      v('src-unknown-layer', 'src/misc/u.ts', 'src/kadapter/y.ts'),
    ]);
    expect(code).not.toBe(0);
    expect(output).toMatch(/error kadapter-imports-eval: src\/kadapter\/k\.ts → src\/eval\/m\.ts/);
    expect(output).toMatch(/13 dependency violations \(13 errors/);
  });

  it('counts a type-only import as a dependency (tsPreCompilationDeps)', () => {
    const dir = tree({
      'src/util/t.ts': "import type { K } from '../kadapter/k.ts';\nexport type T = K;\n",
      'src/kadapter/k.ts': 'export type K = number;\n',
    });
    const { code, violations } = lintDeps(dir);
    expect(violations).toEqual([v('layer-bottom-imports-upward', 'src/util/t.ts', 'src/kadapter/k.ts')]);
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
