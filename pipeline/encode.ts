// `kadapter encode`: text or words into vectors through the base and adapter folders (the
// library's compose and encodeFile), with progress; a killed run resumes (see src/api/encode-file.ts).
// The command and its options are defined here, added to the program by pipeline/cli.ts.
import { Command, Option } from 'commander';
import { loadConfig } from '../src/config/load.ts';
import type { Config } from '../src/config/schema.ts';
import { COMBINE_KINDS, type CombineKind } from '../src/data/composition.ts';
import { loadBase } from '../src/api/base.ts';
import { compose } from '../src/api/compose.ts';
import { POOLINGS, type Pooling } from '../src/api/encode.ts';
import { encodeFile } from '../src/api/encode-file.ts';
import { progress, type Progress } from '../src/util/progress.ts';
import { BASE_MODEL_HELP, positiveInt, profileOption } from './cli-options.ts';

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

export function addEncodeCommand(program: Command): void {
  program
    .command('encode')
    .description('text or pre-tokenized words into vectors through the base and adapter folders (streamed, resumable)')
    .addOption(profileOption())
    .option('--base-model <folder>', BASE_MODEL_HELP)
    .option('--adapters <folder...>', 'adapter folders (adapter_config.json, adapter.safetensors)', [])
    .addOption(
      new Option(
        '--combine <how>',
        'sum: h_L + Σ adapter outputs; concat: [h_L ; outputs] (default: sum with adapters)',
      ).choices(COMBINE_KINDS),
    )
    .requiredOption('--input <file>', 'text (a sentence a line) or JSON Lines ({"text"} or {"words"}, optional "id")')
    .requiredOption('--out <file>', 'a .safetensors or .jsonl file')
    .addOption(
      new Option('--pool <how>', 'first token, mean over tokens, or every token').choices(POOLINGS).default('first'),
    )
    .option('--allow-other-base', 'load adapters trained on a base whose weights differ (same shape)', false)
    .option('--batch-tokens <n>', 'padded tokens per forward batch', (v) => positiveInt(v, '--batch-tokens'))
    .option(
      '--max-length <n>',
      "longest input in tokens, special tokens included (default: the profile's model.maxLength, capped by the base's positions); longer inputs are cut and flagged",
      (v) => positiveInt(v, '--max-length'),
    )
    .option('--force', 'start over when an unfinished encode with other settings is there', false)
    .action((opts) => encodeCommand(loadConfig({ profile: opts.profile, baseModel: opts.baseModel }), opts));
}
