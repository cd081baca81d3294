// Many lines per request to one or more CoreNLP servers, with the failure handling a long run
// needs: a p-queue per server (the least busy server gets the next request), per-request timeouts,
// retries with backoff while a server is unreachable (killed, restarting), and bisection when a
// request fails on its content, so one poisonous line is skipped and counted, not its batch.
import PQueue from 'p-queue';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config/schema.ts';
import { UserError } from '../util/errors.ts';
import { CoreNlpClient, MalformedAnswer, type CoreNlpSentence } from './corenlp-client.ts';
import { HEALTH_SENTENCE } from './corenlp-service.ts';

export interface AnnotateMode {
  annotators: string[];
  properties: Record<string, unknown>;
}

export type LineOutcome =
  | { ok: true; sentences: CoreNlpSentence[]; /** offset of the line in the request text */ base: number }
  | { ok: false; reason: string };

export interface PoolOptions {
  concurrencyPerServer: number;
  timeoutMs: number;
  /** How long the pool waits for an unreachable server to come back before giving up. */
  unreachableBudgetMs: number;
  backoffMs?: number;
}

export interface PoolStats {
  requests: number;
  retries: number;
  bisections: number;
  perServer: Record<string, number>;
}

type Failure = { kind: 'unreachable'; message: string } | { kind: 'content'; reason: string };

function classify(err: unknown): Failure {
  const e = err as {
    name?: string;
    statusCode?: number;
    cause?: { code?: string; connect?: boolean };
    message?: string;
  };
  if (e.name === 'StatusCodeError' && typeof e.statusCode === 'number')
    return { kind: 'content', reason: `http-${e.statusCode}` };
  const code = e.cause?.code;
  // A read timeout is the server working too long on this batch; a connect timeout is the server.
  if ((code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT') && !e.cause?.connect)
    return { kind: 'content', reason: 'timeout' };
  if (err instanceof MalformedAnswer) return { kind: 'content', reason: 'malformed-answer' };
  return { kind: 'unreachable', message: `${code ?? e.name ?? 'error'}: ${e.message ?? String(err)}` };
}

class Server {
  readonly queue: PQueue;
  readonly client: CoreNlpClient;
  constructor(
    readonly url: string,
    concurrency: number,
    timeoutMs: number,
  ) {
    this.queue = new PQueue({ concurrency });
    this.client = new CoreNlpClient(url, { timeoutMs });
  }
  get load(): number {
    return this.queue.size + this.queue.pending;
  }
}

export class CoreNlpPool {
  private readonly servers: Server[];
  readonly stats: PoolStats = { requests: 0, retries: 0, bisections: 0, perServer: {} };

  constructor(
    urls: string[],
    private readonly opts: PoolOptions,
  ) {
    if (urls.length === 0) throw new Error('CoreNlpPool needs at least one server');
    this.servers = urls.map((u) => new Server(u, opts.concurrencyPerServer, opts.timeoutMs));
    for (const u of urls) this.stats.perServer[u] = 0;
  }

  /** Requests that may run at once across all servers: how much work callers should keep queued. */
  get capacity(): number {
    return this.servers.length * this.opts.concurrencyPerServer;
  }

  /** One outcome per line, in order. Lines must be non-empty and contain no newline. */
  async annotateLines(lines: string[], mode: AnnotateMode): Promise<LineOutcome[]> {
    if (lines.length === 0) return [];
    try {
      return await this.requestOnce(lines, mode);
    } catch (err) {
      const failure = classify(err);
      if (failure.kind === 'unreachable') throw err; // requestOnce already waited its budget
      if (lines.length === 1) {
        await this.assertSomeServerHealthy(mode);
        return [{ ok: false, reason: failure.reason }];
      }
      this.stats.bisections++;
      const mid = Math.ceil(lines.length / 2);
      const [left, right] = await Promise.all([
        this.annotateLines(lines.slice(0, mid), mode),
        this.annotateLines(lines.slice(mid), mode),
      ]);
      return [...left, ...right];
    }
  }

  private pickServer(): Server {
    return this.servers.reduce((best, s) => (s.load < best.load ? s : best));
  }

  /** One request, retried on another or the same server while servers are unreachable. */
  private async requestOnce(lines: string[], mode: AnnotateMode): Promise<LineOutcome[]> {
    const text = lines.join('\n');
    const started = Date.now();
    let delay = this.opts.backoffMs ?? 500;
    for (;;) {
      const server = this.pickServer();
      try {
        const doc = await server.queue.add(() => server.client.annotate(text, mode.annotators, mode.properties));
        this.stats.requests++;
        this.stats.perServer[server.url]!++;
        return assignToLines(lines, doc.sentences);
      } catch (err) {
        const failure = classify(err);
        if (failure.kind === 'content') throw err;
        if (Date.now() - started > this.opts.unreachableBudgetMs) {
          throw new UserError(
            `no CoreNLP server answered for ${Math.round(this.opts.unreachableBudgetMs / 1000)} s (last: ${server.url}, ${failure.message})`,
          );
        }
        this.stats.retries++;
        await sleep(delay);
        delay = Math.min(delay * 2, 10_000);
      }
    }
  }

  /** Tells a poisonous line from a broken server: if the health sentence fails too, it is the server. */
  private async assertSomeServerHealthy(mode: AnnotateMode): Promise<void> {
    try {
      await this.requestOnce([HEALTH_SENTENCE], mode);
    } catch (err) {
      const failure = classify(err);
      const why = failure.kind === 'content' ? failure.reason : failure.message;
      throw new UserError(`CoreNLP fails even on a plain sentence (${why}): the server is broken, not the input`);
    }
  }
}

/** The pool a build stage parses with: the profile's concurrency, request timeout and unreachable budget. */
export function profilePool(config: Config, urls: string[]): CoreNlpPool {
  return new CoreNlpPool(urls, {
    concurrencyPerServer: config.data.concurrencyPerServer,
    timeoutMs: config.services.corenlp.requestTimeoutMs,
    unreachableBudgetMs: config.data.unreachableBudgetS * 1000,
  });
}

/** Gives each line the sentences whose first token lies in it; checks every offset. */
export function assignToLines(lines: string[], sentences: CoreNlpSentence[]): LineOutcome[] {
  const bases: number[] = [];
  let offset = 0;
  for (const line of lines) {
    bases.push(offset);
    offset += line.length + 1;
  }
  const byLine: CoreNlpSentence[][] = lines.map(() => []);
  let line = 0;
  for (const sentence of sentences) {
    const first = sentence.tokens[0];
    if (!first) continue;
    while (line + 1 < lines.length && first.characterOffsetBegin >= bases[line + 1]!) line++;
    const end = bases[line]! + lines[line]!.length;
    const last = sentence.tokens[sentence.tokens.length - 1]!;
    if (first.characterOffsetBegin < bases[line]! || last.characterOffsetEnd > end) {
      throw new MalformedAnswer('a sentence crosses a line boundary');
    }
    byLine[line]!.push(sentence);
  }
  return byLine.map((s, i) =>
    s.length > 0 ? { ok: true, sentences: s, base: bases[i]! } : { ok: false, reason: 'no-sentence' },
  );
}
