// The pool against the real CoreNLP server, with faults injected in front of it or by killing a
// server of its own.
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import { CoreNlpPool, type AnnotateMode } from './corenlp-pool.ts';
import { startCoreNlp } from './corenlp-service.ts';
import { faultProxy } from '../../test/corenlp-proxy.ts';
import { testServiceConfig } from '../../test/service-config.ts';
import { UserError } from '../util/errors.ts';

const url = inject('corenlpUrl');
const PARSE: AnnotateMode = {
  annotators: ['tokenize', 'ssplit', 'pos', 'depparse'],
  properties: { 'ssplit.eolonly': true },
};
const lines = (n: number, tag = '') =>
  Array.from({ length: n }, (_, i) => `Sentence number ${i} ${tag}describes a small red house.`);

describe('CoreNlpPool (real server)', () => {
  it('parses many lines per request, one outcome per line in order', async () => {
    const pool = new CoreNlpPool([url], { concurrencyPerServer: 2, timeoutMs: 60_000, unreachableBudgetMs: 10_000 });
    const input = lines(30);
    const out = await pool.annotateLines(input, PARSE);
    expect(out).toHaveLength(30);
    out.forEach((o, i) => {
      expect(o.ok).toBe(true);
      if (o.ok) expect(o.sentences[0]!.tokens[2]!.word).toBe(String(i));
    });
    expect(pool.stats.requests).toBe(1);
  });

  it('bisects a failing batch so that only the poisonous line is skipped', async () => {
    const proxy = await faultProxy(url, (body) => body.includes('POISON'));
    try {
      const pool = new CoreNlpPool([proxy.url], {
        concurrencyPerServer: 2,
        timeoutMs: 60_000,
        unreachableBudgetMs: 10_000,
      });
      const input = lines(16);
      input[11] = 'This line carries the POISON that the server chokes on.';
      const out = await pool.annotateLines(input, PARSE);
      expect(out.filter((o) => o.ok)).toHaveLength(15);
      expect(out[11]).toEqual({ ok: false, reason: 'http-500' });
      expect(pool.stats.bisections).toBeGreaterThanOrEqual(4);
    } finally {
      await proxy.close();
    }
  });

  it('stops with a clear error when the server fails on everything', async () => {
    const proxy = await faultProxy(url, () => true);
    try {
      const pool = new CoreNlpPool([proxy.url], {
        concurrencyPerServer: 1,
        timeoutMs: 60_000,
        unreachableBudgetMs: 5_000,
      });
      const error = await pool.annotateLines(lines(4), PARSE).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UserError);
      expect((error as Error).message).toMatch(/fails even on a plain sentence \(http-500\)/);
    } finally {
      await proxy.close();
    }
  });

  it('shares the load between several servers', async () => {
    const a = await faultProxy(url, () => false);
    const b = await faultProxy(url, () => false);
    try {
      const pool = new CoreNlpPool([a.url, b.url], {
        concurrencyPerServer: 1,
        timeoutMs: 60_000,
        unreachableBudgetMs: 10_000,
      });
      await Promise.all(Array.from({ length: 6 }, (_, i) => pool.annotateLines(lines(3, `batch${i} `), PARSE)));
      expect(a.requests).toBeGreaterThan(0);
      expect(b.requests).toBeGreaterThan(0);
      expect(a.requests + b.requests).toBe(6);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('rides out a server that is killed and restarted mid-run', async () => {
    const config = testServiceConfig('restart');
    const logFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-restart-')), 'corenlp.log');
    let server = await startCoreNlp(config, { detached: false, logFile });
    const port = server.port;
    try {
      const pool = new CoreNlpPool([server.url], {
        concurrencyPerServer: 1,
        timeoutMs: 60_000,
        unreachableBudgetMs: 180_000,
      });
      const batches = Array.from({ length: 12 }, (_, i) => lines(5, `run${i} `));
      const work = Promise.all(batches.map((b) => pool.annotateLines(b, PARSE)));
      while (pool.stats.requests < 2) await new Promise((r) => setTimeout(r, 20));
      server.process.killNow();
      await server.process.exited;
      server = await startCoreNlp(config, { detached: false, logFile, port });
      const results = await work;
      expect(results.flat().every((o) => o.ok)).toBe(true);
      expect(pool.stats.retries).toBeGreaterThan(0);
    } finally {
      await server.process.stop();
    }
  });
});
