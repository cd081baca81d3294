// The README and docs/ against the code: every command they show (in a shell block or inline code)
// and every relative link they make. An `npm run` names a script of package.json, with its options
// after `--` and, for a script file, options that file reads; a kadapter command exists, takes the
// options shown and answers --help (all of them in one process: a CLI start costs seconds); a
// cheap one runs for real. A link reaches a file in the repository, and a heading where it names one.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

const root = fileURLToPath(new URL('..', import.meta.url));
const CLI = 'node bin/kadapter.js';

/** The Markdown files checked: the README and every file in docs/. */
function docFiles(): string[] {
  const docs = fs.existsSync(path.join(root, 'docs'))
    ? fs
        .readdirSync(path.join(root, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => path.join('docs', f))
    : [];
  return ['README.md', ...docs.sort()];
}

interface Code {
  text: string;
  line: number;
  /** Fenced shell code (a line a command) rather than an inline span. */
  shell: boolean;
}

/** Fenced blocks and inline code spans, and the prose with both blanked out (same line numbers). */
function splitMarkdown(md: string): { code: Code[]; prose: string; headings: string[] } {
  const code: Code[] = [];
  const headings: string[] = [];
  const proseLines: string[] = [];
  let fence: { marker: string; lang: string; start: number; lines: string[] } | null = null;
  md.split('\n').forEach((line, i) => {
    const open = /^\s*(`{3,}|~{3,})\s*([\w-]*)/.exec(line);
    if (fence) {
      if (line.trim().startsWith(fence.marker)) {
        if (['sh', 'bash', 'shell', 'console', ''].includes(fence.lang))
          code.push({ text: fence.lines.join('\n'), line: fence.start + 1, shell: true });
        fence = null;
      } else fence.lines.push(line);
      proseLines.push('');
    } else if (open) {
      fence = { marker: open[1]!, lang: open[2]!.toLowerCase(), start: i + 1, lines: [] };
      proseLines.push('');
    } else {
      const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
      if (heading) headings.push(heading[1]!);
      proseLines.push(line);
    }
  });
  let prose = proseLines.join('\n');
  prose = prose.replace(/(`+)([\s\S]*?[^`])\1(?!`)/g, (span: string, _ticks: string, text: string, at: number) => {
    code.push({ text: text.trim(), line: prose.slice(0, at).split('\n').length, shell: false });
    return span.replace(/[^\n]/g, ' ');
  });
  return { code, prose, headings };
}

interface DocCommand {
  where: string;
  /** The command as shown, one alternative of each `a|b`. */
  text: string;
  kind: 'npm' | 'cli';
  /** npm: the script name; cli: unused. */
  script?: string;
  /** npm: words between the script name and `--`, which npm would take as its own options. */
  npmOptions?: string[];
  /** npm: the words after `--`; cli: the words after `kadapter`. */
  args: string[];
}

const START = /(?:^|\s)(npm run|npm test|node bin\/kadapter\.js|npx kadapter|kadapter)(?=\s|$)/;

/** The words of a shell command: quotes kept together, optional brackets and ellipses dropped. */
function words(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/'[^']*'|"[^"]*"|\S+/g)) {
    const w = m[0].replace(/^(['"])(.*)\1$/, '$2').replace(/^\[+|\]+$/g, '');
    if (w === '' || w === '…' || w === '...' || w === '\\') continue;
    out.push(w);
  }
  return out;
}

/** Every alternative of a command whose words hold `a|b` (each word's choices, all combinations). */
function alternatives(ws: string[]): string[][] {
  let all: string[][] = [[]];
  for (const w of ws) {
    const choices = /^-/.test(w) || !w.includes('|') ? [w] : w.split('|').filter((c) => c !== '');
    all = all.flatMap((prefix) => choices.map((c) => [...prefix, c]));
    if (all.length > 64) throw new Error(`too many alternatives in "${ws.join(' ')}"`);
  }
  return all;
}

/** The npm and kadapter commands a Markdown text shows. */
function commandsIn(md: string, file: string): DocCommand[] {
  const found: DocCommand[] = [];
  for (const code of splitMarkdown(md).code) {
    const text = code.text.replace(/\\\|/g, '|');
    const lines = code.shell ? text.replace(/\\\n\s*/g, ' ').split('\n') : [text.replace(/\n/g, ' ')];
    lines.forEach((line, offset) => {
      for (const segment of line.split(code.shell ? /&&|;|\|\|/ : /&&/)) {
        const start = START.exec(segment);
        if (!start) continue;
        const lead = segment.slice(0, start.index).trim();
        // A bare `kadapter` starts the span or the line (after VAR=value), never a path or prose.
        if (start[1] === 'kadapter' && lead !== '' && !/^(\w+=\S*\s*)+$/.test(lead)) continue;
        const rest = segment.slice(start.index + start[0].length);
        for (const ws of alternatives(words(rest))) {
          const where = `${file}:${code.line + (code.shell ? offset : 0)}`;
          const shown = `${start[1]} ${ws.join(' ')}`.trim();
          if (start[1] === 'npm run' || start[1] === 'npm test') {
            const script = start[1] === 'npm test' ? 'test' : ws[0];
            if (script === undefined) continue;
            const afterName = start[1] === 'npm test' ? ws : ws.slice(1);
            const dashes = afterName.indexOf('--');
            found.push({
              where,
              text: shown,
              kind: 'npm',
              script,
              npmOptions: dashes < 0 ? afterName : afterName.slice(0, dashes),
              args: dashes < 0 ? [] : afterName.slice(dashes + 1),
            });
          } else found.push({ where, text: shown, kind: 'cli', args: ws });
        }
      }
    });
  }
  return found;
}

/** The part of package.json checked here. */
const PackageJson = z.object({ scripts: z.record(z.string(), z.string()) });
type PackageJson = z.infer<typeof PackageJson>;

/** What the driver below prints. */
const DriverOutput = z.object({
  results: z.array(z.object({ argv: z.array(z.string()), problems: z.array(z.string()) })),
  ran: z.array(z.object({ argv: z.array(z.string()), out: z.string(), error: z.string().nullable() })),
});

/** Whether a script file reads the option `--name` (parseArgs key, or the flag spelled out). */
function readsOption(source: string, flag: string): boolean {
  const name = flag.replace(/^--?/, '').split('=')[0]!;
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return (
    new RegExp(`--${escaped}(?![\\w-])`).test(source) ||
    new RegExp(`(^|[\\s{,])(['"]?)${escaped}\\2\\s*:\\s*\\{`, 'm').test(source)
  );
}

/**
 * What is wrong with an npm command (empty: nothing), and the kadapter arguments it comes to when
 * its script is the CLI (null otherwise).
 */
function checkNpm(cmd: DocCommand, pkg: PackageJson): { problems: string[]; cli: string[] | null } {
  const problems: string[] = [];
  const script = pkg.scripts[cmd.script!];
  if (script === undefined) return { problems: [`no script "${cmd.script}" in package.json`], cli: null };
  for (const w of cmd.npmOptions!)
    problems.push(`"${w}" goes to npm, not to the script: put the script's words after "--"`);
  if (script === CLI || script.startsWith(`${CLI} `))
    return { problems, cli: [...words(script.slice(CLI.length)), ...cmd.args] };
  const file = /^(?:tsx|bash|node)\s+(\S+)/.exec(script)?.[1];
  if (file !== undefined) {
    if (!fs.existsSync(path.join(root, file))) problems.push(`script "${cmd.script}" runs ${file}, which is missing`);
    else {
      const source = fs.readFileSync(path.join(root, file), 'utf8');
      for (const w of cmd.args.filter((a) => a.startsWith('-')))
        if (!readsOption(source, w)) problems.push(`${file} reads no option ${w}`);
    }
  } else if (cmd.args.length > 0 && !['test'].includes(cmd.script!))
    problems.push(`script "${cmd.script}" (${script}) is shown with arguments it does not pass on to a file`);
  return { problems, cli: null };
}

// Run inside the repository with tsx: builds the real program (as bin/kadapter.js does) once per
// command and asks the command's --help, after checking its words name commands and its options.
const DRIVER = `
import { register } from 'tsx/esm/api';
register();
const { buildProgram } = await import('./pipeline/cli.ts');
const results = [];
for (const argv of JSON.parse(process.argv[1])) {
  const program = buildProgram();
  const all = [];
  (function walk(c) { all.push(c); c.commands.forEach(walk); })(program);
  let err = '';
  for (const c of all) c.exitOverride().configureOutput({ writeOut: () => {}, writeErr: (s) => { err += s; } });
  let cmd = program;
  let i = 0;
  for (; i < argv.length && !argv[i].startsWith('-'); i++) {
    const sub = cmd.commands.find((c) => c.name() === argv[i] || c.aliases().includes(argv[i]));
    if (!sub) break;
    cmd = sub;
  }
  const name = [program, ...argv.slice(0, i)].map((c) => (typeof c === 'string' ? c : c.name())).join(' ');
  const problems = [];
  if (i < argv.length && !argv[i].startsWith('-') && (cmd.commands.length > 0 || cmd.registeredArguments.length === 0))
    problems.push('"' + name + '" has no command "' + argv[i] + '"');
  const known = new Set(cmd.options.flatMap((o) => [o.long, o.short]).filter(Boolean));
  for (const a of argv.slice(i)) {
    const flag = a.split('=')[0];
    if (flag.startsWith('-') && !known.has(flag)) problems.push('"' + name + '" has no option ' + flag);
  }
  let code = 'no answer';
  try {
    await program.parseAsync([...argv, '--help'], { from: 'user' });
  } catch (e) {
    code = e.code ?? String(e);
  }
  if (code !== 'commander.helpDisplayed') problems.push('--help did not answer (' + code + '): ' + err.trim());
  results.push({ argv, problems });
}
// The cheap ones for real, in this process too: their output is caught, not printed.
const ran = [];
for (const argv of JSON.parse(process.argv[2])) {
  const write = process.stdout.write;
  let out = '';
  let error = null;
  process.stdout.write = (s) => { out += s; return true; };
  try {
    await buildProgram().exitOverride().parseAsync(argv, { from: 'user' });
  } catch (e) {
    error = String(e?.message ?? e);
  } finally {
    process.stdout.write = write;
  }
  ran.push({ argv, out, error });
}
process.stdout.write(JSON.stringify({ results, ran }));
`;

interface CliAnswers {
  /** Each argument list's problems (empty: it exists, takes those options, answers --help). */
  help: Map<string, string[]>;
  /** What each command run for real printed, or its error. */
  ran: Map<string, { out: string; error: string | null }>;
}

/** Asks the CLI about every argument list in one process, and runs the cheap ones (`run`) for real. */
function checkCli(argvs: string[][], run: string[][] = []): CliAnswers {
  const child = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', DRIVER, JSON.stringify(argvs), JSON.stringify(run)],
    { cwd: root, encoding: 'utf8', timeout: 150_000 },
  );
  if (child.status !== 0) throw new Error(`the CLI could not be loaded (exit ${child.status}):\n${child.stderr}`);
  const { results, ran } = DriverOutput.parse(JSON.parse(child.stdout));
  return {
    help: new Map(results.map((r) => [JSON.stringify(r.argv), r.problems])),
    ran: new Map(ran.map((r) => [JSON.stringify(r.argv), { out: r.out, error: r.error }])),
  };
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchors(headings: string[]): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const h of headings) {
    const base = h
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** What is wrong with the relative links of a Markdown file (`file` relative to the repository). */
function checkLinks(md: string, file: string): string[] {
  const { prose } = splitMarkdown(md);
  const problems: string[] = [];
  const targets = [
    ...[...prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+[^)]*)?\)/g)].map((m) => ({ m, target: m[1]! })),
    ...[...prose.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((m) => ({ m, target: m[1]! })),
  ];
  for (const { m, target } of targets) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // a URL: not checked offline
    const line = prose.slice(0, m.index).split('\n').length;
    const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
    const resolved = path.resolve(root, path.dirname(file), decodeURI(pathPart));
    const where = `${file}:${line}: ${target}`;
    if (pathPart !== '' && path.relative(root, resolved).startsWith('..'))
      problems.push(`${where}: leaves the repository`);
    else if (pathPart !== '' && !fs.existsSync(resolved)) problems.push(`${where}: no such file`);
    else if (anchor !== undefined && (pathPart === '' || resolved.endsWith('.md'))) {
      const text = pathPart === '' ? md : fs.readFileSync(resolved, 'utf8');
      const ids = anchors(splitMarkdown(text).headings);
      for (const a of text.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) ids.add(a[1]!);
      if (!ids.has(anchor))
        problems.push(`${where}: no heading "#${anchor}" in ${pathPart === '' ? file : path.relative(root, resolved)}`);
    }
  }
  return problems;
}

const pkg = PackageJson.parse(JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')));
const files = docFiles();
const commands = files.flatMap((f) => commandsIn(fs.readFileSync(path.join(root, f), 'utf8'), f));
const npmChecks = commands.filter((c) => c.kind === 'npm').map((c) => ({ c, ...checkNpm(c, pkg) }));
const cliCommands = [
  ...commands.filter((c) => c.kind === 'cli').map((c) => ({ where: c.where, text: c.text, argv: c.args })),
  ...npmChecks.filter((n) => n.cli !== null).map((n) => ({ where: n.c.where, text: n.c.text, argv: n.cli! })),
];
// Planted, so that the CLI check is seen to fail: a command, an option and a subcommand that do not
// exist; and one that does.
const planted = [['no-such-command'], ['train', '--no-such-option'], ['services', 'restart'], ['train']];
const unique = (argvs: string[][]) => [...new Map(argvs.map((a) => [JSON.stringify(a), a] as const)).values()];
// Cheap enough to run for real: the resolved configuration of a profile.
const cheap = unique(cliCommands.map((c) => c.argv).filter((a) => a[0] === 'config' && a.length === 3));
let cli: CliAnswers;

beforeAll(() => {
  cli = checkCli(unique([...cliCommands.map((c) => c.argv), ...planted]), cheap);
}, 180_000);

describe('commands and links in the README and docs/', () => {
  it('README and docs/ show commands of both kinds', () => {
    expect(files).toContain('README.md');
    expect(files.length).toBeGreaterThan(1);
    expect(commands.filter((c) => c.kind === 'npm').length).toBeGreaterThan(10);
    expect(cliCommands.length).toBeGreaterThan(10);
    expect(commands.map((c) => c.text)).toContain('npm run pipeline');
    expect(commands.map((c) => c.text)).toContain('npm test');
  });

  it('every npm script shown is in package.json, with its options after -- and read by its file', () => {
    const problems = npmChecks.flatMap(({ c, problems: p }) => p.map((x) => `${c.where}: ${c.text}: ${x}`));
    expect(problems).toEqual([]);
  });

  it('every kadapter command shown exists, takes the options shown and answers --help', () => {
    const problems = cliCommands.flatMap((c) =>
      (cli.help.get(JSON.stringify(c.argv)) ?? ['not checked']).map((p) => `${c.where}: ${c.text}: ${p}`),
    );
    expect(problems).toEqual([]);
  });

  it('a cheap command shown runs for real: the resolved configuration of the profile shown', () => {
    expect(cheap.length).toBeGreaterThan(0);
    for (const argv of cheap) {
      const ran = cli.ran.get(JSON.stringify(argv));
      expect(ran?.error, argv.join(' ')).toBeNull();
      expect(z.object({ profile: z.string() }).parse(JSON.parse(ran!.out)).profile).toBe(argv[2]);
    }
  });

  it('every relative link reaches a file, and a heading where it names one', () => {
    const problems = files.flatMap((f) => checkLinks(fs.readFileSync(path.join(root, f), 'utf8'), f));
    expect(problems).toEqual([]);
  });
});

describe('the checks themselves, on planted mistakes', () => {
  it('find commands in shell blocks, inline code and table cells, in every spelling', () => {
    const md = [
      '```sh',
      'npm ci && npm run pipeline -- --profile smoke',
      'KADAPTER_BUILD_DIR=/tmp/b npm run bench:train -- --steps 2 \\',
      '  --ops',
      '```',
      'Run `node bin/kadapter.js train --adapter factual`, `npx kadapter config` or `kadapter model check`;',
      'not `src/kadapter/x.ts` nor the `kadapter` package.',
      '| `kadapter services start\\|stop` | `npm test` |',
    ].join('\n');
    expect(commandsIn(md, 'x.md').map((c) => [c.kind, c.script ?? '', ...c.args])).toEqual([
      ['npm', 'pipeline', '--profile', 'smoke'],
      ['npm', 'bench:train', '--steps', '2', '--ops'],
      ['cli', '', 'train', '--adapter', 'factual'],
      ['cli', '', 'config'],
      ['cli', '', 'model', 'check'],
      ['cli', ''],
      ['cli', '', 'services', 'start'],
      ['cli', '', 'services', 'stop'],
      ['npm', 'test'],
    ]);
  });

  it('flag an unknown npm script, npm options before --, and an option the script file does not read', () => {
    const md = '`npm run no-such-script` `npm run pipeline --profile smoke` `npm run bench:train -- --no-such-flag`';
    const problems = commandsIn(md, 'x.md').map((c) => checkNpm(c, pkg).problems);
    expect(problems).toEqual([
      [expect.stringMatching(/no script "no-such-script"/)],
      [expect.stringMatching(/"--profile" goes to npm/), expect.stringMatching(/"smoke" goes to npm/)],
      [expect.stringMatching(/reads no option --no-such-flag/)],
    ]);
  });

  it('flag a kadapter command, an option and a subcommand that do not exist', () => {
    expect(cli.help.get('["no-such-command"]')).toEqual([expect.stringMatching(/has no command "no-such-command"/)]);
    expect(cli.help.get('["train","--no-such-option"]')).toEqual([
      expect.stringMatching(/has no option --no-such-option/),
    ]);
    expect(cli.help.get('["services","restart"]')).toEqual([expect.stringMatching(/has no command "restart"/)]);
    expect(cli.help.get('["train"]')).toEqual([]);
  });

  it('flag a link to a missing file and to a missing heading, and pass good ones', () => {
    const md = [
      '# Top',
      '[gone](no-such-file.md), [bad anchor](design.md#no-such-heading), [good](design.md#layout),',
      '[self](#top), [site](https://example.org/x), `[in code](nowhere.md)`',
      '```',
      '[in a block](nowhere.md)',
      '```',
      '[ref]: ../package.json',
    ].join('\n');
    expect(checkLinks(md, 'docs/x.md')).toEqual([
      expect.stringMatching(/^docs\/x\.md:2: no-such-file\.md: no such file$/),
      expect.stringMatching(/^docs\/x\.md:2: design\.md#no-such-heading: no heading/),
    ]);
  });
});
