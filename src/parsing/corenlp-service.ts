// The embedded Stanford CoreNLP server: jars from the cache, bound to loopback, its parsers
// preloaded, healthy once it parses a sentence.
import path from 'node:path';
import type { Config } from '../config/schema.ts';
import { ensureLauncherClasses, ensureServiceJars, jarVersion } from '../services/provision.ts';
import { requireJava } from '../services/java.ts';
import { launchUntilHealthy, type Launched } from '../services/launch.ts';
import { LOOPBACK } from '../services/ports.ts';
import { CoreNlpClient } from './corenlp-client.ts';

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

export async function startCoreNlp(config: Config, opts: CoreNlpStartOptions): Promise<StartedCoreNlp> {
  const { java } = requireJava();
  const { cacheDir } = config.paths;
  const cn = config.services.corenlp;
  const jars = ensureServiceJars('corenlp', cacheDir);
  const classes = ensureLauncherClasses('common', cacheDir);
  const classpath = [classes, path.join(jars, '*')].join(path.delimiter);

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
        '-cp', classpath,
        // StanfordCoreNLPServer binds every interface and has no option for it; this provider
        // narrows it to loopback (services/java/common).
        '--add-exports', 'jdk.httpserver/sun.net.httpserver=ALL-UNNAMED',
        '-Dcom.sun.net.httpserver.HttpServerProvider=kadapter.LoopbackHttpServerProvider',
        `-Dkadapter.bindAddress=${LOOPBACK}`,
        `-Dkadapter.watchParent=${!opts.detached}`,
        'kadapter.ServiceMain',
        'edu.stanford.nlp.pipeline.StanfordCoreNLPServer',
        '-port', String(port),
        '-threads', String(cn.threads),
        '-timeout', String(cn.requestTimeoutMs),
        '-preload', cn.annotators,
        '-annotators', cn.annotators,
        '-quiet', 'true',
      ],
    }),
    probe: (port) => probeCoreNlp(`http://${LOOPBACK}:${port}`, config),
  });
  return { ...launched, url: `http://${LOOPBACK}:${launched.port}`, version: jarVersion(jars, 'stanford-corenlp') };
}
