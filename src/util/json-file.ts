// JSON files read at the edge: parsed, then validated with a zod schema. A file that is not JSON,
// or not of its schema, stops the command with one line naming the file and the field.
import fs from 'node:fs';
import type { z } from 'zod';
import { UserError } from './errors.ts';

/** One line per issue: `<field path>: <message>` (the path dotted, `(root)` for the value itself). */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map(
    (issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message.replace(/^Invalid input: /, '')}`,
  );
}

/** A JSON value that is not of its schema: one line (the first issue, and how many more), every issue in `issues`. */
export class JsonSchemaError extends UserError {
  override name = 'JsonSchemaError';
  constructor(
    message: string,
    readonly issues: string[],
  ) {
    super(message);
  }
}

/** A value already parsed from `where` (a file, a file and line), validated; the first issue is the message. */
export function validateJson<S extends z.ZodType>(value: unknown, schema: S, where: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = describeIssues(parsed.error);
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  throw new JsonSchemaError(`${where}: ${issues[0]}${more}`, issues);
}

/** `file:line:column` of a JSON syntax error, from the character position the parser reports. */
function syntaxErrorAt(text: string, file: string, message: string): string {
  const m = /at position (\d+)/.exec(message);
  if (!m) return file;
  const before = text.slice(0, Number(m[1]));
  const line = before.split('\n').length;
  return `${file}:${line}:${before.length - before.lastIndexOf('\n')}`;
}

/** JSON text read from `where`, parsed and validated. */
export function parseJsonText<S extends z.ZodType>(text: string, schema: S, where: string): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${where}: not JSON (${(e as Error).message})`);
  }
  return validateJson(value, schema, where);
}

export function readJsonFile<S extends z.ZodType>(file: string, schema: S): z.output<S> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    throw new UserError(`${syntaxErrorAt(text, file, message)}: not JSON (${message})`);
  }
  return validateJson(value, schema, file);
}

/** As readJsonFile, but null when the file does not exist (a marker not written yet); a file that is there must be valid. */
export function readJsonFileIfExists<S extends z.ZodType>(file: string, schema: S): z.output<S> | null {
  if (!fs.existsSync(file)) return null;
  return readJsonFile(file, schema);
}
