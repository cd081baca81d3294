import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { logFileFor } from './state.ts';

it('keeps only the logs of the last runs of a service, never a running one', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-state-'));
  const logs = path.join(stateDir, 'logs');
  fs.mkdirSync(logs);
  // Eight killed runs of the smoke CoreNLP (pids above Linux's pid_max: never alive), oldest first,
  // one run still going (the parent of this test), and other services' and profiles' logs.
  const dead = Array.from({ length: 8 }, (_, i) => 4_194_305 + i);
  dead.forEach((pid, i) => {
    const f = path.join(logs, `smoke-corenlp-embedded-${pid}.log`);
    fs.writeFileSync(f, 'log');
    fs.utimesSync(f, 1_000_000 + i, 1_000_000 + i);
  });
  const running = path.join(logs, `smoke-corenlp-embedded-${process.ppid}.log`);
  fs.writeFileSync(running, 'log');
  fs.utimesSync(running, 1, 1);
  for (const other of ['smoke-neo4j-embedded-4194305.log', 'default-corenlp-embedded-4194305.log', 'smoke-corenlp.log'])
    fs.writeFileSync(path.join(logs, other), 'log');

  const mine = logFileFor(stateDir, 'smoke', 'corenlp', 'embedded');
  expect(path.basename(mine)).toBe(`smoke-corenlp-embedded-${process.pid}.log`);
  const left = fs.readdirSync(logs).filter((f) => f.startsWith('smoke-corenlp-embedded-'));
  // The newest 4 killed runs, so that with this run's there are 5, and the running one.
  expect(left.sort()).toEqual(
    [...dead.slice(-4).map((pid) => `smoke-corenlp-embedded-${pid}.log`), path.basename(running)].sort(),
  );
  for (const other of ['smoke-neo4j-embedded-4194305.log', 'default-corenlp-embedded-4194305.log', 'smoke-corenlp.log'])
    expect(fs.existsSync(path.join(logs, other))).toBe(true);
});
