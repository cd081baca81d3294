// npm run lint:code — the project's own checks, beside dependency-cruiser's import rules and prettier:
//   stage-size     a pipeline stage file (pipeline/*.ts, tests aside) is at most STAGE_MAX_LINES
//                  lines: a stage orchestrates; what it shares with the API or a script lives in src/.
//                  pipeline/cli.ts, the command table, is held to the same cap.
//   own-file-cast  no JSON read with a cast: `JSON.parse(…) as T`, `fs.readFileSync(…) as T`, or
//                  `const x: T = JSON.parse(…)` in src/, pipeline/ or scripts/ (tests aside). Read a
//                  project file with its zod schema through src/util/json-file.ts (readJsonFile,
//                  readJsonFileIfExists, parseJsonText) or src/util/jsonl.ts (readJsonl); parse
//                  another program's JSON into `unknown` and check it with a schema's safeParse.
// Each violation prints as `file:line rule message`; any violation exits 1. Runs in the current
// directory (the repository root), or in the folder given as the first argument.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export const STAGE_MAX_LINES = 200;

export interface Violation {
  file: string;
  line: number;
  rule: 'stage-size' | 'own-file-cast';
  message: string;
}

const isTest = (file: string) => /\.test\.ts$/.test(file);

/** The .ts files under `dir` (relative to root, '/'-separated), recursively, without tests or declarations. */
function sourceFiles(root: string, dir: string, recursive = true): string[] {
  const abs = path.join(root, dir);
  if (!fs.existsSync(abs)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (recursive && entry.name !== 'node_modules') out.push(...sourceFiles(root, rel));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && !isTest(entry.name)) out.push(rel);
  }
  return out.sort();
}

function lineCount(text: string): number {
  if (text.length === 0) return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

export function stageSize(root: string): Violation[] {
  return sourceFiles(root, 'pipeline', false).flatMap((file) => {
    const lines = lineCount(fs.readFileSync(path.join(root, file), 'utf8'));
    if (lines <= STAGE_MAX_LINES) return [];
    const message = `${lines} lines, over the stage cap of ${STAGE_MAX_LINES}: move what is not orchestration into src/`;
    return [{ file, line: STAGE_MAX_LINES + 1, rule: 'stage-size' as const, message }];
  });
}

/** `e` without the parentheses and `as`/`<T>` casts around it. */
function unwrap(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isTypeAssertionExpression(e)) e = e.expression;
  return e;
}

/** The call's name when `e` is a call of JSON.parse or (fs.)readFileSync, else null. */
function readingCall(e: ts.Expression): string | null {
  const call = unwrap(e);
  if (!ts.isCallExpression(call)) return null;
  const callee = call.expression;
  if (ts.isPropertyAccessExpression(callee)) {
    const name = callee.name.text;
    if (name === 'parse' && ts.isIdentifier(callee.expression) && callee.expression.text === 'JSON')
      return 'JSON.parse';
    if (name === 'readFileSync') return 'readFileSync';
  }
  if (ts.isIdentifier(callee) && callee.text === 'readFileSync') return 'readFileSync';
  return null;
}

const isUnknown = (t: ts.TypeNode) => t.kind === ts.SyntaxKind.UnknownKeyword;

export function ownFileCasts(root: string): Violation[] {
  const out: Violation[] = [];
  for (const file of ['src', 'pipeline', 'scripts'].flatMap((d) => sourceFiles(root, d))) {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const report = (node: ts.Node, what: string, type: ts.TypeNode) => {
      const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
      const message = `${what} read as ${type.getText(source)} without a check: validate it with its zod schema (src/util/json-file.ts: readJsonFile, parseJsonText)`;
      out.push({ file, line, rule: 'own-file-cast', message });
    };
    const visit = (node: ts.Node): void => {
      // The outermost cast of a chain (`JSON.parse(t) as unknown as T` is one finding, typed T).
      if ((ts.isAsExpression(node) || ts.isTypeAssertionExpression(node)) && !isUnknown(node.type)) {
        const parent = node.parent;
        const outer = !(ts.isAsExpression(parent) || ts.isTypeAssertionExpression(parent));
        const what = readingCall(node.expression);
        if (outer && what) report(node, what, node.type);
      }
      if (ts.isVariableDeclaration(node) && node.type && node.initializer && !isUnknown(node.type)) {
        const what = readingCall(node.initializer);
        // readFileSync's own return type is a string or a Buffer: a declared type there casts nothing.
        if (what === 'JSON.parse' && unwrap(node.initializer) === node.initializer) report(node, what, node.type);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return out;
}

export function runChecks(root: string): Violation[] {
  return [...stageSize(root), ...ownFileCasts(root)];
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const root = path.resolve(process.argv[2] ?? '.');
  const violations = runChecks(root);
  for (const v of violations) console.log(`${v.file}:${v.line} ${v.rule} ${v.message}`);
  if (violations.length > 0) {
    console.log(`\n${violations.length} violation${violations.length === 1 ? '' : 's'}`);
    process.exitCode = 1;
  } else console.log('lint:code: no violations');
}
