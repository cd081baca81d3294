// The library's own version, as adapter files record it.
import path from 'node:path';
import { z } from 'zod';
import { readJsonFile } from '../util/json-file.ts';
import { repoRoot } from '../util/paths.ts';

export const LIBRARY_VERSION: string = readJsonFile(
  path.join(repoRoot, 'package.json'),
  z.looseObject({ version: z.string().min(1) }),
).version;
