// `kadapter encode`: text or words into vectors through the base and adapter folders (the
// library's compose and encodeFile), with progress; a killed run resumes (see src/api/encode-file.ts).
import type { Config } from '../src/config/schema.ts';
import type { CombineKind } from '../src/data/composition.ts';
import { loadBase } from '../src/api/base.ts';
import { compose } from '../src/api/compose.ts';
import type { Pooling } from '../src/api/encode.ts';
import { encodeFile } from '../src/api/encode-file.ts';
import { progress, type Progress } from '../src/util/progress.ts';

export interface EncodeCommandOptions {
  adapters: string[];
  combine?: CombineKind;
  input: string;
  out: string;
  pool: Pooling;
  allowOtherBase: boolean;
  batchTokens?: number;
  maxLength?: number;
  force: boolean;
}

export async function encodeCommand(config: Config, o: EncodeCommandOptions): Promise<void> {
  const base = await loadBase(config.model.base ?? undefined, { backend: config.backend });
  const comp = compose(base, { components: o.adapters, combine: o.combine, allowOtherBase: o.allowOtherBase });
  let bar: Progress | null = null;
  const summary = await encodeFile(comp, {
    input: o.input,
    out: o.out,
    pool: o.pool,
    maxLength: o.maxLength ?? config.model.maxLength,
    batchTokens: o.batchTokens,
    force: o.force,
    onProgress: (done, total) => {
      bar ??= progress('encode', total, 'inputs');
      bar.update(done);
    },
  });
  (bar as Progress | null)?.stop();
  process.stdout.write(
    `${JSON.stringify({ ...summary, base: base.name, components: comp.names, combine: comp.combine, pool: o.pool }, null, 2)}\n`,
  );
}
