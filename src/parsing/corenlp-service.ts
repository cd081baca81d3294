// The embedded Stanford CoreNLP server: jars from the cache, bound to loopback, its parsers
// preloaded, healthy once it parses a sentence. Registered as the service "corenlp".
import path from 'node:path';
import { z } from 'zod';
import type { Config } from '../config/schema.ts';
import { ensureLauncherClasses, ensureServiceJars, jarVersion } from '../services/provision.ts';
import { requireJava } from '../services/java.ts';
import { launchUntilHealthy, type Launched } from '../services/launch.ts';
import { LOOPBACK } from '../services/ports.ts';
import { registerService, type ServiceDefinition } from '../services/registry.ts';
import { CoreNlpClient } from './corenlp-client.ts';

declare module '../services/registry.ts' {
  interface ServiceTypes {
    /** The URLs of one server or of several that share the load. */
    corenlp: { address: string[]; kept: { url: string } };
  }
}

export const HEALTH_SENTENCE = 'The quick brown fox jumps over the lazy dog.';

export interface CoreNlpStartOptions {
  detached: boolean;
  logFile: string;
  /** Fixed port; default: a free one. */
  port?: number;
}

export interface StartedCoreNlp extends Launched {
  url: string;
  version: string | null;
}

/** Throws unless the server at `url` parses a sentence with the configured annotators. */
export async function probeCoreNlp(url: string, config: Config, timeoutMs = 30_000): Promise<void> {
  const client = new CoreNlpClient(url, { timeoutMs });
  const doc = await client.annotate(HEALTH_SENTENCE, config.services.corenlp.annotators.split(','));
  const wantsDeps = config.services.corenlp.annotators.includes('depparse');
  const sentence = doc.sentences[0];
  if (!sentence || sentence.tokens.length === 0 || (wantsDeps && !sentence.basicDependencies?.length)) {
    throw new Error(`CoreNLP at ${url} returned no parse for the health sentence`);
  }
}

/** The server's jars and kadapter's launcher classes in the cache, fetched and compiled once. */
function provisionCoreNlp(cacheDir: string): { jars: string; classpath: string } {
  const jars = ensureServiceJars('corenlp', cacheDir);
  const classes = ensureLauncherClasses('common', cacheDir);
  return { jars, classpath: [classes, path.join(jars, '*')].join(path.delimiter) };
}

export async function startCoreNlp(config: Config, opts: CoreNlpStartOptions): Promise<StartedCoreNlp> {
  const { java } = requireJava();
  const cn = config.services.corenlp;
  const { jars, classpath } = provisionCoreNlp(config.paths.cacheDir);

  const launched = await launchUntilHealthy({
    name: 'CoreNLP server',
    timeoutMs: config.services.startTimeoutS * 1000,
    port: opts.port,
    makeSpec: (port) => ({
      name: 'corenlp',
      command: java,
      logFile: opts.logFile,
      detached: opts.detached,
      args: [
        `-Xmx${cn.heapMb}m`,
        '-cp',
        classpath,
        // StanfordCoreNLPServer binds every interface and has no option for it; this provider
        // narrows it to loopback (services/java/common).
        '--add-exports',
        'jdk.httpserver/sun.net.httpserver=ALL-UNNAMED',
        '-Dcom.sun.net.httpserver.HttpServerProvider=kadapter.LoopbackHttpServerProvider',
        `-Dkadapter.bindAddress=${LOOPBACK}`,
        `-Dkadapter.watchParent=${!opts.detached}`,
        'kadapter.ServiceMain',
        'edu.stanford.nlp.pipeline.StanfordCoreNLPServer',
        '-port',
        String(port),
        '-threads',
        String(cn.threads),
        '-timeout',
        String(cn.requestTimeoutMs),
        '-preload',
        cn.annotators,
        '-annotators',
        cn.annotators,
        '-quiet',
        'true',
      ],
    }),
    probe: (port) => probeCoreNlp(`http://${LOOPBACK}:${port}`, config),
  });
  return { ...launched, url: `http://${LOOPBACK}:${launched.port}`, version: jarVersion(jars, 'stanford-corenlp') };
}

export const corenlpService: ServiceDefinition<'corenlp'> = {
  name: 'corenlp',
  title: 'CoreNLP server',
  external: {
    variable: 'CORENLP_URLS',
    address: (config) => (config.services.corenlp.urls.length > 0 ? config.services.corenlp.urls : null),
    failing: (url) => `CoreNLP server ${url} (CORENLP_URLS) does not answer a parse`,
  },
  servers: (urls) => urls.map((url) => [url]),
  describe: (urls) => urls.join(', '),
  async probe(urls, config) {
    await Promise.all(urls.map((url) => probeCoreNlp(url, config)));
    return null; // the server does not tell its version
  },
  provision: (config) => provisionCoreNlp(config.paths.cacheDir).jars,
  async start(config, opts) {
    const started = await startCoreNlp(config, opts);
    return { ...started, address: [started.url], keep: { url: started.url } };
  },
  kept: {
    schema: z.object({ url: z.string() }),
    address: (kept) => [kept.url],
  },
};

registerService(corenlpService);
