// A loopback HTTP proxy in front of a real CoreNLP server that fails on cue: a 500 for any
// request whose text contains a marker, or for every request. Fault injection only — the real
// server does the parsing.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FaultProxy {
  url: string;
  requests: number;
  close(): Promise<void>;
}

export async function faultProxy(target: string, failWhen: (body: string) => boolean): Promise<FaultProxy> {
  const upstream = new URL(target);
  const state = { requests: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.requests++;
      const body = Buffer.concat(chunks);
      if (failWhen(body.toString('utf8'))) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('java.lang.RuntimeException: injected failure');
        return;
      }
      const forward = http.request(
        { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      forward.on('error', () => res.writeHead(502).end());
      forward.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}
