// Where the repository (or the installed package) lies, so that commands work from any working
// directory, from the sources (tsx) and from the compiled library in dist/ alike.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const PackageName = z.looseObject({ name: z.string() });

function packageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && PackageName.safeParse(JSON.parse(fs.readFileSync(pkg, 'utf8'))).data?.name === 'kadapter')
      return dir;
    if (path.dirname(dir) === dir) throw new Error(`no kadapter package.json above ${from}`);
  }
}

export const repoRoot = packageRoot(path.dirname(fileURLToPath(import.meta.url)));
