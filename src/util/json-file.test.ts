import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { UserError } from './errors.ts';
import { JsonSchemaError, parseJsonText, readJsonFile, readJsonFileIfExists } from './json-file.ts';

const Schema = z.strictObject({
  name: z.string(),
  adapter: z.strictObject({ hidden: z.number().int(), readLayers: z.array(z.number()) }),
});

function tempFile(content: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-json-file-')), 'adapter_config.json');
  fs.writeFileSync(file, content);
  return file;
}

/** The UserError a call throws (the test fails if it throws nothing, or something else). */
function userErrorOf(f: () => unknown): UserError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return e as UserError;
  }
  throw new Error('expected a UserError');
}

describe('readJsonFile', () => {
  it('returns the validated value', () => {
    const file = tempFile('{"name": "factual", "adapter": {"hidden": 384, "readLayers": [0, 2, 5]}}');
    expect(readJsonFile(file, Schema)).toEqual({ name: 'factual', adapter: { hidden: 384, readLayers: [0, 2, 5] } });
  });

  it('names the file and the field of a value that does not fit, in one line', () => {
    const file = tempFile('{"name": "factual", "adapter": {"hidden": "384", "readLayers": [0, 2, 5]}}');
    const e = userErrorOf(() => readJsonFile(file, Schema));
    expect(e.message).toBe(`${file}: adapter.hidden: expected number, received string`);
    expect(e.message).not.toContain('\n');
  });

  it('names array elements by index, and counts the further issues', () => {
    const file = tempFile('{"adapter": {"hidden": 1, "readLayers": [0, "x"]}, "extra": 1}');
    const e = userErrorOf(() => readJsonFile(file, Schema));
    expect(e.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
    expect(e.message).toContain('(and 2 more)');
    expect(e.details).toEqual([]);
    expect((e as JsonSchemaError).issues).toEqual(
      expect.arrayContaining([
        'name: expected string, received undefined',
        'adapter.readLayers.1: expected number, received string',
      ]),
    );
    expect((e as JsonSchemaError).issues.some((d) => d.startsWith('(root): ') && d.includes('extra'))).toBe(true);
  });

  it('names the file of text that is not JSON', () => {
    const file = tempFile('{"name": "factual",');
    const e = userErrorOf(() => readJsonFile(file, Schema));
    expect(e.message).toMatch(/: not JSON \(/);
    expect(e.message.startsWith(`${file}:`)).toBe(true);
  });

  it('names the line and column of a syntax error in a file', () => {
    const file = tempFile('{\n  "name": "factual",\n  "adapter": {,\n}\n');
    const e = userErrorOf(() => readJsonFile(file, Schema));
    expect(e.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:15: not JSON \\(`));
  });

  it('names a file that is not there', () => {
    const file = path.join(os.tmpdir(), 'kadapter-no-such-dir', 'adapter_config.json');
    expect(userErrorOf(() => readJsonFile(file, Schema)).message).toBe(`${file}: no such file`);
  });
});

describe('readJsonFileIfExists', () => {
  it('is null for a missing file and validates one that is there', () => {
    expect(readJsonFileIfExists(path.join(os.tmpdir(), 'kadapter-no-such-dir', 'marker.json'), Schema)).toBeNull();
    const file = tempFile('{"name": 3}');
    expect(userErrorOf(() => readJsonFileIfExists(file, Schema)).message).toContain(
      `${file}: name: expected string, received number`,
    );
  });
});

describe('parseJsonText', () => {
  it('says where the text came from', () => {
    expect(
      userErrorOf(() => parseJsonText('{"a": 1', z.object({ a: z.number() }), 'shard-00000.jsonl:7')).message,
    ).toMatch(/^shard-00000\.jsonl:7: not JSON/);
    expect(userErrorOf(() => parseJsonText('[]', z.object({ a: z.number() }), 'x.json')).message).toBe(
      'x.json: (root): expected object, received array',
    );
  });
});
