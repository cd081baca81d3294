// The only module that talks to a CoreNLP server. It goes through the `corenlp` npm client's HTTP
// connector (which depends on the deprecated `request`), so swapping the client touches this file only.
import { createRequire } from 'node:module';
import type ConnectorModule from 'corenlp/dist/connector/connector-server.js';

// A CommonJS module with an ES default export: require() reads it the same way under Node and
// under the test runner, where `import` interop differs.
const { default: ConnectorServer } = createRequire(import.meta.url)(
  'corenlp/dist/connector/connector-server.js',
) as typeof ConnectorModule;

export interface CoreNlpToken {
  index: number;
  word: string;
  originalText: string;
  pos?: string;
  /** The NER class (fine-grained where ner.applyFineGrained), with the `ner` annotator. */
  ner?: string;
  /** UTF-16 code units (Java's String indices), the same as JavaScript's: what the project reads. */
  characterOffsetBegin: number;
  characterOffsetEnd: number;
  /** Code points, only when the request sets tokenize.codepoint (the tests' cross-check). */
  codepointOffsetBegin?: number;
  codepointOffsetEnd?: number;
}

export interface CoreNlpDependency {
  dep: string;
  /** 1-based index of the head token, 0 for ROOT. */
  governor: number;
  dependent: number;
}

/** An entity mention of the `ner` annotator: tokens [tokenBegin, tokenEnd) of its sentence. */
export interface CoreNlpEntityMention {
  tokenBegin: number;
  tokenEnd: number;
  text: string;
  ner: string;
}

/** A relation of the `kbp` annotator: token spans [begin, end) of its sentence. */
export interface CoreNlpKbpTriple {
  subject: string;
  subjectSpan: [number, number];
  relation: string;
  object: string;
  objectSpan: [number, number];
}

export interface CoreNlpSentence {
  index: number;
  tokens: CoreNlpToken[];
  basicDependencies?: CoreNlpDependency[];
  entitymentions?: CoreNlpEntityMention[];
  kbp?: CoreNlpKbpTriple[];
}

export interface CoreNlpDocument {
  sentences: CoreNlpSentence[];
}

export interface CoreNlpClientOptions {
  /** Client-side limit for one request; the server gets the same as its own timeout. */
  timeoutMs: number;
}

/** The server answered, but not with a usable annotation (a content problem, not a dead server). */
export class MalformedAnswer extends Error {
  override name = 'MalformedAnswer';
}

/** Adds a request timeout, which the npm client's connector does not expose. */
class TimedConnector extends ConnectorServer {
  constructor(
    dsn: string,
    private readonly timeoutMs: number,
  ) {
    super({ dsn });
  }

  protected override async _makeRequest(baseUrl: string, queryString: string, text: string): Promise<unknown> {
    // The npm client posts with `json: true`, under which `request` rewrites the body (escaping
    // "(", ")", "!", "*", "'" as %XX, or JSON-quoting it), so CoreNLP would parse altered text.
    // The text goes out untouched here and the answer is parsed as JSON by us.
    const answer = await this._rp({
      method: 'POST',
      uri: `${baseUrl}?${queryString}`,
      headers: { 'Content-Type': 'text/plain; charset=UTF-8' },
      body: text,
      timeout: this.timeoutMs,
    });
    try {
      return JSON.parse(String(answer));
    } catch {
      throw new MalformedAnswer('CoreNLP answered with something that is not JSON');
    }
  }
}

export class CoreNlpClient {
  private readonly connector: TimedConnector;

  constructor(
    readonly url: string,
    private readonly options: CoreNlpClientOptions,
  ) {
    this.connector = new TimedConnector(url.replace(/\/+$/, ''), options.timeoutMs);
  }

  /** Annotates `text` with the given annotators and extra CoreNLP properties. */
  async annotate(
    text: string,
    annotators: string[],
    properties: Record<string, unknown> = {},
  ): Promise<CoreNlpDocument> {
    const result = await this.connector.get({
      annotators,
      text,
      options: { timeout: this.options.timeoutMs, ...properties },
      language: 'English',
    });
    if (!isDocument(result)) {
      throw new MalformedAnswer(`CoreNLP at ${this.url} answered something that is not an annotated document`);
    }
    return result;
  }
}

function isDocument(value: unknown): value is CoreNlpDocument {
  return typeof value === 'object' && value !== null && Array.isArray((value as CoreNlpDocument).sentences);
}
