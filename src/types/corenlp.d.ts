// The part of the `corenlp` npm package kadapter uses: its HTTP connector to a CoreNLP server.
declare module 'corenlp/dist/connector/connector-server.js' {
  interface ConnectorConfig {
    dsn?: string;
    username?: string | null;
    password?: string | null;
  }
  interface GetRequest {
    annotators: string[];
    text: string;
    options: Record<string, unknown>;
    language: string;
    utility?: string;
  }
  class ConnectorServer {
    constructor(config?: ConnectorConfig);
    get(request: GetRequest): Promise<unknown>;
    protected _makeRequest(baseUrl: string, queryString: string, text: string): Promise<unknown>;
    protected _rp: (options: Record<string, unknown>) => Promise<unknown>;
  }
  const module: { default: typeof ConnectorServer };
  export default module;
}
