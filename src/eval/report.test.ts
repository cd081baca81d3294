import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Results } from './results-schema.ts';
import { direction, verifiedSection, writeReport, type TaskResult } from './report.ts';

describe('the report says plainly whether the paper’s direction holds, from intervals', () => {
  const row = (id: string, combine: string, mean: number) => ({
    key: combine === '—' ? id : `${id}-${combine}`,
    row: id,
    label: id,
    combine,
    replicates: 1,
    parameters: 0,
    test: { f1: { mean, std: 0 } },
    dev: { f1: { mean, std: 0 } },
    perSeed: [],
    seconds: 0,
  });
  const interval = (a: string, low: number, high: number) => ({
    a,
    b: 'FL-concat',
    diff: (low + high) / 2,
    low,
    high,
    pBelowZero: 0,
  });
  const task = (
    base: [number, number],
    random: [number, number],
    layers: [number, number],
    mix: [number, number],
    set: TaskResult['set'] = { name: 'kg', provenance: 'kg-distant-supervision', noise: { measured: false } },
  ): TaskResult => ({
    task: 'entity-typing',
    set,
    source: '',
    metric: 'f1',
    labels: 2,
    examples: { train: 10, dev: 5, test: 5 },
    skipped: {},
    droppedAsSeenInPretraining: {},
    droppedBySource: {},
    sourceMix: {},
    sampled: {},
    unseenTestLabels: {},
    poolSeconds: 0,
    rows: [
      row('base', '—', 0.5),
      row('random', 'concat', 0.52),
      row('layers', 'concat', 0.52),
      row('mix', 'concat', 0.52),
      row('FL', 'concat', 0.56),
      row('FL', 'sum', 0.6),
    ],
    chosenCombine: 'concat',
    bootstrap: {
      base: interval('base', ...base),
      'random-concat': interval('random-concat', ...random),
      'layers-concat': interval('layers-concat', ...layers),
      'mix-concat': interval('mix-concat', ...mix),
    },
    bestBeforeLast: 1,
    efficiency: [],
  });
  const up: [number, number] = [0.01, 0.05];
  const level: [number, number] = [-0.01, 0.05];
  it('holds as knowledge only when every interval is above zero', () => {
    expect(direction(task(up, up, up, up)).at(-1)).toMatch(/holds here, and as knowledge/);
  });
  it('names each reference whose interval reaches zero', () => {
    expect(direction(task(level, up, up, up)).at(-1)).toMatch(/not distinguishable from zero/);
    expect(direction(task(up, level, up, up)).at(-1)).toMatch(/do not beat the random-adapter control/);
    expect(direction(task(up, up, up, level)).at(-1)).toMatch(/do not beat the layer-access controls/);
  });
  it('uses the combination chosen on dev, not the better test score', () => {
    expect(direction(task(up, up, up, up))[0]).toMatch(/F\+L \(concat, chosen on dev\)/);
    expect(direction(task(up, up, up, up)).join('\n')).toMatch(
      /the plain base \(base\): \+3\.00 points, 95% interval \[\+1\.00, \+5\.00\] — above/,
    );
  });
  it('states the verdicts of a verified set and the direction on its gold, from its own intervals', () => {
    const t = task(up, up, up, up);
    const v = {
      set: 'datasets/verified/relation',
      judged: 10,
      keep: 6,
      correct: 2,
      drop: 2,
      notInTestSample: 1,
      examples: 7,
      agreement: 0.75,
      rows: t.rows.map((r) => ({ key: r.key, verified: { mean: 0.5, std: 0 }, automatic: { mean: 0.6, std: 0 } })),
      bootstrap: { ...t.bootstrap, 'random-concat': interval('random-concat', ...level) },
    };
    const md = verifiedSection(t, v).join('\n');
    expect(md).toMatch(/10 test examples judged .*: 6 kept \(60%\), 2 corrected \(20%\), 2 dropped \(20%\)/);
    expect(md).toMatch(/right for 75\.0% of the examples kept as fair tests\. 7 examples scored; 1 are not in/);
    expect(md).toMatch(/\| base \| — \| 60\.00 ± 0\.00 \| 50\.00 ± 0\.00 \|/);
    expect(md).toMatch(/do not beat the random-adapter control/);
    expect(verifiedSection(t, { ...v, examples: 0, rows: [] }).join('\n')).toMatch(/nothing scored/);
  });

  describe('several sets per task', () => {
    const down: [number, number] = [-0.05, -0.01];
    const results = (tasks: Record<string, TaskResult>, notEvaluated: Results['notEvaluated'] = {}): Results => ({
      profile: 'smoke',
      protocol: 'frozen',
      base: { name: 'tiny', layers: 2, hidden: 8, parameters: 1000 },
      backend: 'cpu',
      adapters: {},
      seeds: [1],
      replicateSeeds: 'paired',
      tasks,
      notEvaluated,
      leakage: { leaks: 0, lines: [] },
      startedAt: '',
      finishedAt: '',
      seconds: 0,
    });
    const plots = { rowChart: () => ({}) as never, curveChart: () => ({}) as never, renderPlot: async () => {} };
    const write = async (r: Results) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-report-'));
      await writeReport(dir, r, plots);
      const md = fs.readFileSync(path.join(dir, 'report.md'), 'utf8');
      fs.rmSync(dir, { recursive: true, force: true });
      return md;
    };
    const kg = task(up, up, up, up, {
      name: 'kg',
      provenance: 'kg-distant-supervision',
      noise: { measured: true, mislabelled: 0.125, dropped: 0.05, judged: 320, by: 'datasets/verified/entity-typing' },
    });
    const ner = task(up, level, down, up, { name: 'ner', provenance: 'corenlp-ner', noise: { measured: false } });
    const kbp = {
      task: 'relation' as const,
      set: { name: 'kbp', provenance: 'corenlp-kbp' as const, noise: { measured: false as const } },
      source: 'datasets/build/smoke/heldout/kbp_relation',
      reason: 'the test split is empty in datasets/build/smoke/heldout/kbp_relation',
    };
    kg.verified = {
      set: 'datasets/verified/entity-typing',
      judged: 10,
      keep: 7,
      correct: 1,
      drop: 2,
      notInTestSample: 0,
      examples: 8,
      agreement: 7 / 8,
      rows: kg.rows.map((x) => ({ key: x.key, verified: { mean: 0.5, std: 0 }, automatic: { mean: 0.6, std: 0 } })),
      bootstrap: { ...kg.bootstrap, 'random-concat': interval('random-concat', ...level) },
    };
    const r = results({ 'entity-typing': kg, 'entity-typing@ner': ner }, { 'relation@kbp': kbp });

    it('opens with a summary line per set: F+L against base, random, layers and mix as verdicts', async () => {
      const md = await write(r);
      const summary = md.slice(md.indexOf('## Summary'), md.indexOf('## Entity typing'));
      expect(summary).toMatch(
        /\| Entity typing \| kg \| KG distant supervision \| 10 \/ 5 \/ 5 \| 12\.5% mislabelled \| 56\.00 ± 0\.00 \(concat\) \| above \(\+3\.00\) \| above \(\+3\.00\) \| above \(\+3\.00\) \| above \(\+3\.00\) \|/,
      );
      expect(summary).toMatch(
        /\| Entity typing \| ner \| CoreNLP NER \| .* \| unmeasured \| .* \| above \(\+3\.00\) \| level \(\+2\.00\) \| below \(-3\.00\) \| above \(\+3\.00\) \|/,
      );
      expect(summary).toMatch(
        /\| Entity typing \| kg, verified gold \| hand-judged \| — \/ — \/ 8 \| — \| 50\.00 ± 0\.00 \(concat\) \| above \(\+3\.00\) \| level \(\+2\.00\) \|/,
      );
      expect(summary).toMatch(
        /\| Relation classification \| kbp \| CoreNLP KBP \| — \| unmeasured \| not evaluated: the test split is empty/,
      );
    });

    it('says how the runs of a replicated row pair adapter seeds with task seeds', async () => {
      expect(await write(r)).toMatch(
        /trains replicate r with the r-th task seed; other rows train with every task seed/,
      );
      expect(await write({ ...r, replicateSeeds: 'all' })).toMatch(/random draws\) × task seeds; ± is the sample std/);
    });

    it('gives each set its own section: provenance, expected noise, table, plot and direction', async () => {
      const md = await write(r);
      const sections = md.split(/^## /m).slice(1);
      expect(sections.map((x) => x.split('\n')[0])).toEqual([
        'Summary: F+L against the controls, per set',
        'Entity typing: set `kg`',
        'Entity typing: set `ner`',
        'Relation classification: set `kbp`',
      ]);
      const [, kgPart, nerPart, kbpPart] = sections as [string, string, string, string];
      expect(kgPart).toMatch(
        /KG distant supervision .*; expected label noise: 12\.5% of the fair test examples mislabelled and 5\.0% no fair test, by 320 examples judged by hand/,
      );
      expect(kgPart).toMatch(/!\[entity-typing\]\(entity-typing\.png\)/);
      expect(kgPart).toMatch(/holds here, and as knowledge/);
      expect(nerPart).toMatch(/Set `ner`: CoreNLP NER \(on held-out sentences\); expected label noise: unmeasured\./);
      expect(nerPart).toMatch(/!\[entity-typing@ner\]\(entity-typing@ner\.png\)/);
      expect(nerPart).toMatch(/^\| FL \| sum \| 0 \|/m);
      expect(nerPart).toMatch(/do not beat the random-adapter control/);
      expect(kbpPart).toMatch(/\*\*Not evaluated:\*\* the test split is empty/);
    });

    it('reads a results.json written before sets were named as the task’s one set', () => {
      const { task: _task, set: _set, ...older } = kg;
      const { notEvaluated: _none, ...old } = results({});
      const read = Results.parse({
        ...old,
        tasks: {
          'entity-typing': { ...older, source: 'datasets/build/default/facts/entity_typing' },
          relation: { ...older, source: 'my/tacred' },
        },
      });
      expect(read.notEvaluated).toEqual({});
      expect(read.tasks['entity-typing']).toMatchObject({
        task: 'entity-typing',
        set: { name: 'kg', provenance: 'kg-distant-supervision' },
      });
      expect(read.tasks.relation).toMatchObject({ task: 'relation', set: { name: 'tacred', provenance: 'user' } });
    });
  });
});
