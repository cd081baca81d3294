// The options several `kadapter` commands share (pipeline/cli.ts), each built once.
import { Command, Option } from 'commander';
import { PROFILE_NAMES } from '../src/config/schema.ts';
import { UsageError } from '../src/util/errors.ts';

export interface CommonOptions {
  profile: string;
}

export const BASE_MODEL_HELP = 'a Hugging Face checkpoint folder (config.json, model.safetensors, tokenizer files)';
export const INPUT_HELP = 'extra text files to parse (build-data), one sentence or paragraph a line';

export function profileOption(): Option {
  return new Option('--profile <name>', 'scale of data, models and services').choices(PROFILE_NAMES).default('default');
}

export function withProfile(cmd: Command): Command {
  return cmd.addOption(profileOption());
}

export function protocolOption(): Option {
  return new Option(
    '--protocol <name>',
    "frozen: task layers on frozen features; finetune: the base trained too, adapters frozen (the paper's; a GPU job beyond smoke)",
  ).choices(['frozen', 'finetune']);
}

export function dataDirOption(): Option {
  return new Option(
    '--data-dir <task=set...>',
    "downstream sets, each evaluated on its own; a task named here gets these instead of the profile's: " +
      'task=kg|ner|kbp (built), task=<folder> or task=<name>=<folder> (OpenEntity/FIGER for entity-typing, TACRED for relation; train, dev, test as .json or .jsonl)',
  ).argParser((value: string, previous: Record<string, string[]> | undefined) => {
    const at = value.indexOf('=');
    if (at <= 0 || at === value.length - 1)
      throw new UsageError(`--data-dir takes task=set (entity-typing=… or relation=…), not "${value}"`);
    const task = value.slice(0, at);
    return { ...previous, [task]: [...(previous?.[task] ?? []), value.slice(at + 1)] };
  });
}

export function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} takes a positive integer, not "${v}"`);
  return n;
}
