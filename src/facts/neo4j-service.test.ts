import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { embeddedPassword, secureNeo4jHome } from './neo4j-service.ts';

const mode = (p: string) => fs.statSync(p).mode & 0o777;

it('makes the Neo4j home and its password readable by the owner only, closing ones left open', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-neo4j-home-'));
  const fresh = path.join(root, 'fresh', 'smoke');
  secureNeo4jHome(fresh);
  expect(mode(fresh)).toBe(0o700);
  embeddedPassword(fresh);
  expect(mode(`${fresh}.password`)).toBe(0o600);

  // A store and a password an older version left world-readable.
  const old = path.join(root, 'old');
  fs.mkdirSync(old, { mode: 0o755 });
  fs.chmodSync(old, 0o755);
  fs.writeFileSync(`${old}.password`, 'secret', { mode: 0o644 });
  fs.chmodSync(`${old}.password`, 0o644);
  secureNeo4jHome(old);
  expect(embeddedPassword(old)).toBe('secret');
  expect(mode(old)).toBe(0o700);
  expect(mode(`${old}.password`)).toBe(0o600);
});
