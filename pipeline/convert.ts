// `kadapter export|import --format k-adapter`: adapter folders to and from the official
// microsoft/K-Adapter checkpoint (src/methods/k-adapter/official-files.ts holds the logic).
import { Option, type Command } from 'commander';
import { disposeBaseModel, loadBaseModel } from '../src/kadapter/base-model.ts';
import { exportKAdapter, importKAdapter } from '../src/methods/k-adapter/official-files.ts';
import { knowledgeTasks, knowledgeTask } from '../src/tasks/knowledge/index.ts';
import { UsageError } from '../src/util/errors.ts';

const FORMATS = ['k-adapter'] as const;

function formatOption(): Option {
  return new Option('--format <name>', 'k-adapter: the official microsoft/K-Adapter AdapterModel state dict')
    .choices(FORMATS)
    .makeOptionMandatory();
}

function layerList(value: string): number[] {
  const layers = value.split(',').map((s) => Number(s.trim()));
  if (!value.trim() || layers.some((l) => !Number.isInteger(l) || l < 0))
    throw new UsageError(`--adapter-list ${value}: expected base layer numbers separated by commas, e.g. 0,11,22`);
  return layers;
}

function wholeNumber(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n)) throw new UsageError(`${flag} ${value}: expected a whole number`);
    return n;
  };
}

export function addConvertCommands(program: Command, baseModelHelp: string): void {
  program
    .command('export')
    .description('write an adapter folder in another format (its knowledge head is left out)')
    .addOption(formatOption())
    .requiredOption('--adapter <folder>', 'an adapter folder (adapter_config.json, adapter.safetensors)')
    .requiredOption('--out <folder>', 'where to write pytorch_model.safetensors and k_adapter_config.json')
    .action((opts: { adapter: string; out: string }) => {
      const { files, notes } = exportKAdapter(opts.adapter, opts.out);
      for (const note of notes) process.stderr.write(`kadapter: note: ${note}\n`);
      process.stdout.write(`${files.join('\n')}\n`);
    });

  program
    .command('import')
    .description('build an adapter folder, without a knowledge head, from a checkpoint of another format')
    .addOption(formatOption())
    .requiredOption(
      '--from <file>',
      'the state dict as safetensors (a pytorch_model.bin is refused with how to convert it)',
    )
    .requiredOption('--base-model <folder>', baseModelHelp)
    .requiredOption('--out <folder>', 'the adapter folder to write (new or empty)')
    .addOption(
      new Option('--task <task>', 'the knowledge it holds: relation (fac-adapter) or dependency (lin-adapter)')
        .choices(knowledgeTasks().map((t) => t.name))
        .makeOptionMandatory(),
    )
    .option(
      '--name <name>',
      "the adapter name (default: the task's adapter: factual for relation, linguistic for dependency)",
    )
    .option(
      '--adapter-list <layers>',
      'base layers the adapters read, e.g. 0,11,22 (default: k_adapter_config.json beside --from)',
      layerList,
    )
    .option(
      '--adapter-skip-layers <n>',
      'the official --adapter_skip_layers it was trained with',
      wholeNumber('--adapter-skip-layers'),
    )
    .action(
      (opts: {
        from: string;
        baseModel: string;
        out: string;
        task: string;
        name?: string;
        adapterList?: number[];
        adapterSkipLayers?: number;
      }) => {
        const base = loadBaseModel(opts.baseModel);
        try {
          const { ignored } = importKAdapter({
            from: opts.from,
            base,
            out: opts.out,
            task: opts.task,
            name: opts.name ?? knowledgeTask(opts.task).adapter,
            settings: {
              ...(opts.adapterList ? { adapter_list: opts.adapterList } : {}),
              ...(opts.adapterSkipLayers !== undefined ? { adapter_skip_layers: opts.adapterSkipLayers } : {}),
            },
          });
          if (ignored.length)
            process.stderr.write(
              `kadapter: note: left out ${ignored.length} tensors outside the adapters: ${ignored.join(', ')}\n`,
            );
          process.stdout.write(`${opts.out}\n`);
        } finally {
          disposeBaseModel(base);
        }
      },
    );
}
