// The library's own version, as adapter files record it.
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../util/paths.ts';

export const LIBRARY_VERSION: string = (
  JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }
).version;
