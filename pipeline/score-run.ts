// `kadapter evaluate --run <row run dir> --task entity-typing|relation --test <file>`: score a
// trained row on any file in the standard format (the library's scoreTaskFile), printing JSON.
import type { Config } from '../src/config/schema.ts';
import { scoreTaskFile, type ScoredTask } from '../src/api/score.ts';

export async function scoreRun(config: Config, o: { run: string; task: ScoredTask; test: string }): Promise<void> {
  const result = await scoreTaskFile({
    ...o,
    baseModel: config.model.base ?? undefined,
    maxLength: config.model.maxLength,
    backend: config.backend,
  });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
