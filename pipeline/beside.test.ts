// ablate beside evaluate, then the evaluate helper: when they are started, with which options, and
// how their ends are reported.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ablateArgs, ablateBesideEvaluate, evaluateHelperArgs, startBesideEvaluate } from './beside.ts';
import { STAGES } from './stages.ts';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-beside-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe('ablate beside evaluate', () => {
  it('runs beside only when both stages are asked for and there is a second core', () => {
    expect(ablateBesideEvaluate(STAGES, 2)).toBe(true);
    expect(ablateBesideEvaluate(STAGES, 1)).toBe(false);
    expect(
      ablateBesideEvaluate(
        STAGES.filter((s) => s.name !== 'ablate'),
        8,
      ),
    ).toBe(false);
    expect(
      ablateBesideEvaluate(
        STAGES.filter((s) => s.name === 'ablate'),
        8,
      ),
    ).toBe(false);
  });

  it("passes on the run's profile, --force, base model and sets", () => {
    expect(ablateArgs({ profile: 'smoke' })).toEqual(['ablate', '--profile', 'smoke']);
    expect(
      ablateArgs({
        profile: 'default',
        force: true,
        baseModel: '/m',
        dataDir: { relation: ['tacred=/d/tacred', 'kbp'], 'entity-typing': ['/d/figer'] },
      }),
    ).toEqual([
      'ablate',
      '--profile',
      'default',
      '--force',
      '--base-model',
      '/m',
      '--data-dir',
      'relation=tacred=/d/tacred',
      '--data-dir',
      'relation=kbp',
      '--data-dir',
      'entity-typing=/d/figer',
    ]);
  });

  it('gives the helper the sets, base and protocol, never --force', () => {
    expect(
      evaluateHelperArgs({ profile: 'default', force: true, protocol: 'frozen', dataDir: { relation: ['kbp'] } }),
    ).toEqual(['evaluate-helper', '--profile', 'default', '--protocol', 'frozen', '--data-dir', 'relation=kbp']);
  });

  /** Child processes that end when the test says so; each records its arguments. */
  function fakeProcesses() {
    const started: { args: string[]; end(ok: boolean): void; stopped: boolean }[] = [];
    const start = (args: string[], o: { role: string }) => {
      let end!: (ok: boolean) => void;
      const done = new Promise<void>((resolve, reject) => {
        end = (ok) => (ok ? resolve() : reject(new Error(`kadapter ${args[0]} (${o.role}) ended with exit code 1`)));
      });
      const p = { args, end, stopped: false };
      started.push(p);
      return {
        done,
        stop: () => {
          p.stopped = true;
          end(false);
        },
      };
    };
    const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
    return { started, start, tick };
  }

  it('starts the helper once ablate is done, and is done when the helper is', async () => {
    const { started, start, tick } = fakeProcesses();
    const beside = startBesideEvaluate({ profile: 'smoke' }, start);
    expect(started.map((p) => p.args[0])).toEqual(['ablate']);
    started[0]!.end(true);
    await tick();
    expect(started.map((p) => p.args[0])).toEqual(['ablate', 'evaluate-helper']);
    let settled = false;
    void beside.done.then(() => (settled = true));
    await tick();
    expect(settled).toBe(false);
    started[1]!.end(true);
    await beside.done;
  });

  it('stops the helper when evaluate has every set, and starts none once it has', async () => {
    const running = fakeProcesses();
    const a = startBesideEvaluate({ profile: 'smoke' }, running.start);
    running.started[0]!.end(true);
    await running.tick();
    const log = vi.spyOn(process.stderr, 'write');
    a.evaluateDone();
    await a.done;
    expect(running.started[1]!.stopped).toBe(true);
    expect(log).not.toHaveBeenCalled(); // a helper stopped on purpose is no failure
    log.mockRestore();

    const early = fakeProcesses();
    const b = startBesideEvaluate({ profile: 'smoke' }, early.start);
    b.evaluateDone();
    early.started[0]!.end(true);
    await b.done;
    expect(early.started.map((p) => p.args[0])).toEqual(['ablate']);
  });

  it("fails with ablate's failure and starts no helper; only logs the helper's, whose sets evaluate takes up", async () => {
    const failing = fakeProcesses();
    const a = startBesideEvaluate({ profile: 'smoke' }, failing.start);
    failing.started[0]!.end(false);
    await expect(a.done).rejects.toThrow('kadapter ablate (run beside evaluate) ended with exit code 1');
    expect(failing.started).toHaveLength(1);

    const helperFails = fakeProcesses();
    const b = startBesideEvaluate({ profile: 'smoke' }, helperFails.start);
    helperFails.started[0]!.end(true);
    await helperFails.tick();
    const log = vi.spyOn(process.stderr, 'write');
    helperFails.started[1]!.end(false);
    await b.done;
    expect(String(log.mock.calls[0]?.[0])).toMatch(
      /evaluate-helper .*ended with exit code 1; evaluate takes up its sets itself/,
    );
    log.mockRestore();
  });

  it('reports a failed ablate process with its command and exit code', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      CI: 'true',
      KADAPTER_BUILD_DIR: path.join(scratch, 'build'),
      KADAPTER_REPORTS_DIR: path.join(scratch, 'reports'),
      KADAPTER_STATE_DIR: path.join(scratch, 'state'),
    });
    try {
      // Nothing is built: ablate stops with exit code 1.
      const run = startBesideEvaluate({ profile: 'smoke' });
      await expect(run.done).rejects.toThrow(
        'kadapter ablate --profile smoke (run beside evaluate) ended with exit code 1',
      );
    } finally {
      process.env = saved;
    }
  }, 60_000);
});
