import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { floatToBf16, floatToHalf, halfToFloat, openSafetensors, writeSafetensors } from './safetensors.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-st-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A file with the given header object and data bytes. */
function rawFile(name: string, header: unknown, data: Buffer, lengthOverride?: bigint): string {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lengthOverride ?? BigInt(json.length));
  const file = path.join(dir, name);
  fs.writeFileSync(file, Buffer.concat([len, json, data]));
  return file;
}

describe('safetensors', () => {
  it('round-trips F32 and F16 tensors with metadata, data 8-byte aligned', () => {
    const file = path.join(dir, 'rt.safetensors');
    const a = new Float32Array([1.5, -2, 3.25, 0, 1e-3, 65504]);
    writeSafetensors(
      file,
      { 'b.w': { dtype: 'F16', shape: [2, 3], data: a }, 'a.w': { dtype: 'F32', shape: [3, 2], data: a } },
      { format: 'pt' },
    );
    const st = openSafetensors(file);
    expect(st.metadata).toEqual({ format: 'pt' });
    expect([...st.tensors.keys()]).toEqual(['a.w', 'b.w']);
    expect(Array.from(st.read('a.w'))).toEqual(Array.from(a));
    const half = st.read('b.w');
    a.forEach((v, i) => expect(half[i]).toBeCloseTo(v, 3));
    expect(Number(fs.readFileSync(file).readBigUInt64LE(0)) % 8).toBe(0);
  });

  it('writes BF16 rounded to nearest even, and copies stored bytes of any dtype unchanged', () => {
    // 1 + 2^-8 is halfway between two bfloat16 values: ties go to the even one (1); a hair above goes up.
    expect(floatToBf16(1 + 2 ** -8)).toBe(0x3f80);
    expect(floatToBf16(1 + 2 ** -8 + 2 ** -20)).toBe(0x3f81);
    expect(floatToBf16(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(floatToBf16(-Infinity)).toBe(0xff80);
    expect(Number.isNaN(new Float32Array(new Uint32Array([floatToBf16(NaN) << 16]).buffer)[0])).toBe(true);
    const file = path.join(dir, 'raw.safetensors');
    const ids = Buffer.alloc(3 * 8);
    [7, -1, 2 ** 40].forEach((v, i) => ids.writeBigInt64LE(BigInt(v), i * 8));
    writeSafetensors(file, {
      ids: { dtype: 'I64', shape: [3], bytes: ids },
      w: { dtype: 'BF16', shape: [2], data: new Float32Array([1.5, -0.375]) },
    });
    const st = openSafetensors(file);
    expect(st.readBytes('ids').equals(ids)).toBe(true);
    expect(st.tensors.get('w')!.dtype).toBe('BF16');
    expect(Array.from(st.read('w'))).toEqual([1.5, -0.375]);
    expect(() =>
      writeSafetensors(path.join(dir, 'short.safetensors'), { ids: { dtype: 'I64', shape: [4], bytes: ids } }),
    ).toThrow(/tensor "ids": I64 \[4\] needs 32 bytes, got 24/);
  });

  it('widens BF16 and narrows ints', () => {
    const data = Buffer.alloc(4 + 16);
    data.writeUInt16LE(0x3fc0, 0); // 1.5 in bfloat16
    data.writeUInt16LE(0xc000, 2); // -2
    data.writeBigInt64LE(7n, 4);
    data.writeBigInt64LE(-1n, 12);
    const file = rawFile(
      'bf16.safetensors',
      {
        x: { dtype: 'BF16', shape: [2], data_offsets: [0, 4] },
        i: { dtype: 'I64', shape: [2], data_offsets: [4, 20] },
      },
      data,
    );
    const st = openSafetensors(file);
    expect(Array.from(st.read('x'))).toEqual([1.5, -2]);
    expect(Array.from(st.readInt('i'))).toEqual([7, -1]);
  });

  it('converts half floats both ways, subnormals and infinities included', () => {
    for (const v of [0, 1, -1, 0.5, 65504, 6.1035e-5, 5.96e-8]) expect(halfToFloat(floatToHalf(v))).toBeCloseTo(v, 7);
    expect(halfToFloat(floatToHalf(1e6))).toBe(Infinity);
    expect(Number.isNaN(halfToFloat(floatToHalf(NaN)))).toBe(true);
  });

  it('refuses a header that lies about its own length', () => {
    const file = rawFile('len.safetensors', {}, Buffer.alloc(0), 1_000_000n);
    expect(() => openSafetensors(file)).toThrow(/header length 1000000 exceeds the file/);
  });

  it('refuses a tensor whose byte range runs past the data', () => {
    const file = rawFile(
      'range.safetensors',
      { w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } },
      Buffer.alloc(8),
    );
    expect(() => openSafetensors(file)).toThrow(/claims bytes \[0, 16\) of a 8-byte data section/);
  });

  it('refuses a tensor whose shape does not match its byte count', () => {
    const file = rawFile(
      'shape.safetensors',
      { w: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } },
      Buffer.alloc(16),
    );
    expect(() => openSafetensors(file)).toThrow(/needs 12 bytes, header gives 16/);
  });

  it('names an unsupported dtype and an unknown one', () => {
    const f64 = rawFile('f64.safetensors', { w: { dtype: 'F64', shape: [1], data_offsets: [0, 8] } }, Buffer.alloc(8));
    expect(() => openSafetensors(f64)).toThrow(/dtype F64, which is not supported/);
    const odd = rawFile('odd.safetensors', { w: { dtype: 'Q4', shape: [1], data_offsets: [0, 1] } }, Buffer.alloc(1));
    expect(() => openSafetensors(odd)).toThrow(/dtype Q4, which is unknown/);
  });

  it('refuses a file that is not safetensors at all', () => {
    const file = path.join(dir, 'junk.safetensors');
    fs.writeFileSync(file, 'abc');
    expect(() => openSafetensors(file)).toThrow(/shorter than its 8-byte header length/);
  });

  // Reliability: the header is checked as the reference reader (the Rust
  // `safetensors` crate) checks it — an object, whose tensors' byte ranges, sorted, tile the data
  // section exactly — and every refusal names the file and the tensor.
  describe('refuses what the reference reader refuses', () => {
    const f32 = (begin: number, end: number, n = (end - begin) / 4) => ({
      dtype: 'F32',
      shape: [n],
      data_offsets: [begin, end],
    });

    it.each([
      ['null', null, /header is null, not a JSON object/],
      ['an array', [1, 2], /header is an array, not a JSON object/],
      ['a number', 42, /header is a number, not a JSON object/],
      ['a string', 'w', /header is a string, not a JSON object/],
    ])('a header that is %s', (_kind, header, message) => {
      const file = rawFile(`kind-${_kind.replace(' ', '-')}.safetensors`, header, Buffer.alloc(0));
      expect(() => openSafetensors(file)).toThrow(message);
      expect(() => openSafetensors(file)).toThrow(file);
    });

    it('a tensor entry or __metadata__ that is not an object', () => {
      const entry = rawFile('entry-null.safetensors', { w: null }, Buffer.alloc(0));
      expect(() => openSafetensors(entry)).toThrow(/tensor "w" lacks dtype, shape or data_offsets/);
      const meta = rawFile('meta.safetensors', { __metadata__: { format: 1 } }, Buffer.alloc(0));
      expect(() => openSafetensors(meta)).toThrow(/__metadata__ is not an object of strings/);
    });

    it('two tensors given the same offsets', () => {
      const file = rawFile('same.safetensors', { a: f32(0, 8), b: f32(0, 8) }, Buffer.alloc(16));
      expect(() => openSafetensors(file)).toThrow(/tensor "b" at bytes \[0, 8\) overlaps tensor "a"/);
      expect(() => openSafetensors(file)).toThrow(file);
    });

    it('overlapping offsets', () => {
      const file = rawFile('overlap.safetensors', { a: f32(0, 8), b: f32(4, 12) }, Buffer.alloc(12));
      expect(() => openSafetensors(file)).toThrow(/tensor "b" at bytes \[4, 12\) overlaps tensor "a" \(ends at 8\)/);
    });

    it('a gap between tensors, and one before the first', () => {
      const gap = rawFile('gap.safetensors', { a: f32(0, 4), b: f32(8, 12) }, Buffer.alloc(12));
      expect(() => openSafetensors(gap)).toThrow(
        /tensor "b" starts at byte 8, leaving a gap of 4 bytes after tensor "a"/,
      );
      const lead = rawFile('lead.safetensors', { a: f32(4, 8) }, Buffer.alloc(8));
      expect(() => openSafetensors(lead)).toThrow(/tensor "a" starts at byte 4, .*after the start of the data section/);
    });

    it('offsets that run backwards', () => {
      const file = rawFile(
        'backwards.safetensors',
        { a: { dtype: 'F32', shape: [1], data_offsets: [8, 4] } },
        Buffer.alloc(8),
      );
      expect(() => openSafetensors(file)).toThrow(/tensor "a" has data_offsets \[8, 4\] that run backwards/);
    });

    it('accepts tensors listed out of offset order when they tile the data', () => {
      const data = Buffer.alloc(8);
      data.writeFloatLE(1, 0);
      data.writeFloatLE(2, 4);
      const file = rawFile('order.safetensors', { b: f32(4, 8), a: f32(0, 4) }, data);
      const st = openSafetensors(file);
      expect(Array.from(st.read('a'))).toEqual([1]);
      expect(Array.from(st.read('b'))).toEqual([2]);
    });

    it('a data section with trailing bytes, and one too short', () => {
      const trailing = rawFile('trailing.safetensors', { a: f32(0, 8) }, Buffer.alloc(12));
      expect(() => openSafetensors(trailing)).toThrow(
        /data section is 12 bytes but the last tensor "a" ends at byte 8 \(4 trailing bytes\)/,
      );
      const empty = rawFile('empty-trailing.safetensors', {}, Buffer.alloc(4));
      expect(() => openSafetensors(empty)).toThrow(/data section is 4 bytes but no tensor ends at byte 0/);
      const short = rawFile('short.safetensors', { a: f32(0, 8), b: f32(8, 16) }, Buffer.alloc(12));
      expect(() => openSafetensors(short)).toThrow(/tensor "b" claims bytes \[8, 16\) of a 12-byte data section/);
    });

    it('a dtype whose byte size does not match the offsets', () => {
      const file = rawFile(
        'dtype.safetensors',
        { a: { dtype: 'F16', shape: [2], data_offsets: [0, 8] } },
        Buffer.alloc(8),
      );
      expect(() => openSafetensors(file)).toThrow(/tensor "a" \(F16 \[2\]\) needs 4 bytes, header gives 8/);
    });
  });
});
