// The safetensors format, read and written directly: an 8-byte little-endian header length, a JSON
// header {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?}, then the raw tensors.
// Reading maps the header first and checks every claim in it against the file before any tensor
// is touched, so a lying header is an error, not a wrong weight.
import fs from 'node:fs';
import { UserError } from '../util/errors.ts';

export type SafeDType = 'F32' | 'F16' | 'BF16' | 'I64' | 'I32';
const BYTES: Record<SafeDType, number> = { F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4 };
const KNOWN_UNSUPPORTED = ['F64', 'I8', 'U8', 'I16', 'U16', 'U32', 'U64', 'BOOL', 'F8_E4M3', 'F8_E5M2'];

export interface TensorEntry {
  dtype: SafeDType;
  shape: number[];
  /** Byte range within the data section. */
  begin: number;
  end: number;
}

export interface SafetensorsFile {
  path: string;
  metadata: Record<string, string>;
  tensors: Map<string, TensorEntry>;
  /** Float32 values of a tensor (F16/BF16 widened), read from disk on demand. */
  read(name: string): Float32Array;
  /** Integer values of an I32/I64 tensor. */
  readInt(name: string): Int32Array;
  /** The tensor's bytes as stored, for copying it unchanged. */
  readBytes(name: string): Buffer;
}

const MAX_HEADER = 100 * 1024 * 1024;

export function openSafetensors(file: string): SafetensorsFile {
  const fail = (why: string) => new UserError(`${file}: not a valid safetensors file: ${why}`);
  const fd = fs.openSync(file, 'r');
  const size = fs.fstatSync(fd).size;
  let headerLen: number;
  let parsed: unknown;
  try {
    if (size < 8) throw fail('shorter than its 8-byte header length');
    const lenBuf = Buffer.alloc(8);
    fs.readSync(fd, lenBuf, 0, 8, 0);
    const len = lenBuf.readBigUInt64LE(0);
    if (len > BigInt(Math.min(MAX_HEADER, size - 8)))
      throw fail(`header length ${len} exceeds the file (${size} bytes)`);
    headerLen = Number(len);
    const headerBuf = Buffer.alloc(headerLen);
    fs.readSync(fd, headerBuf, 0, headerLen, 8);
    try {
      parsed = JSON.parse(headerBuf.toString('utf8'));
    } catch (e) {
      throw fail(`header is not JSON (${(e as Error).message})`);
    }
  } finally {
    fs.closeSync(fd);
  }
  // The reference reader (the Rust `safetensors` crate) deserialises the header into a map of
  // tensor infos: anything but a JSON object is refused.
  if (!isPlainObject(parsed)) throw fail(`header is ${jsonKind(parsed)}, not a JSON object`);
  const header = parsed;
  const dataStart = 8 + headerLen;
  const dataSize = size - dataStart;
  const metadata: Record<string, string> = {};
  if (header.__metadata__ !== undefined) {
    const raw = header.__metadata__;
    if (!isPlainObject(raw) || !Object.values(raw).every((v) => typeof v === 'string'))
      throw fail('__metadata__ is not an object of strings');
    Object.assign(metadata, raw);
  }
  const tensors = new Map<string, TensorEntry>();
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const t = (isPlainObject(raw) ? raw : {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (
      typeof t.dtype !== 'string' ||
      !Array.isArray(t.shape) ||
      !Array.isArray(t.data_offsets) ||
      t.data_offsets.length !== 2
    ) {
      throw fail(`tensor "${name}" lacks dtype, shape or data_offsets`);
    }
    if (!(t.dtype in BYTES)) {
      const known = KNOWN_UNSUPPORTED.includes(t.dtype) ? 'is not supported' : 'is unknown';
      throw new UserError(
        `${file}: tensor "${name}" has dtype ${t.dtype}, which ${known} (supported: ${Object.keys(BYTES).join(', ')})`,
      );
    }
    const dtype = t.dtype as SafeDType;
    const shape = t.shape as number[];
    const [begin, end] = t.data_offsets as number[];
    if (!shape.every((d) => Number.isInteger(d) && d >= 0))
      throw fail(`tensor "${name}" has a bad shape ${JSON.stringify(shape)}`);
    if (!Number.isInteger(begin) || !Number.isInteger(end) || begin! < 0)
      throw fail(`tensor "${name}" has bad data_offsets ${JSON.stringify(t.data_offsets)}`);
    if (end! < begin!) throw fail(`tensor "${name}" has data_offsets [${begin}, ${end}] that run backwards`);
    if (end! > dataSize) {
      throw fail(
        `tensor "${name}" claims bytes [${begin}, ${end}) of a ${dataSize}-byte data section (data section too short)`,
      );
    }
    const want = shape.reduce((a, b) => a * b, 1) * BYTES[dtype];
    if (end! - begin! !== want)
      throw fail(
        `tensor "${name}" (${dtype} ${JSON.stringify(shape)}) needs ${want} bytes, header gives ${end! - begin!}`,
      );
    tensors.set(name, { dtype, shape, begin: begin!, end: end! });
  }
  checkCoverage(tensors, dataSize, fail);

  const bytesOf = (name: string): { entry: TensorEntry; buf: Buffer } => {
    const entry = tensors.get(name);
    if (!entry) throw new UserError(`${file}: no tensor named "${name}"`);
    const buf = Buffer.alloc(entry.end - entry.begin);
    // A fresh descriptor per read keeps the file closed between reads (no descriptor to leak).
    const rfd = fs.openSync(file, 'r');
    try {
      fs.readSync(rfd, buf, 0, buf.length, dataStart + entry.begin);
    } finally {
      fs.closeSync(rfd);
    }
    return { entry, buf };
  };

  return {
    path: file,
    metadata,
    tensors,
    read(name) {
      const { entry, buf } = bytesOf(name);
      return toFloat32(entry.dtype, buf, `${file}: tensor "${name}"`);
    },
    readInt(name) {
      const { entry, buf } = bytesOf(name);
      if (entry.dtype === 'I32') return new Int32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
      if (entry.dtype === 'I64') {
        const n = buf.length / 8;
        const out = new Int32Array(n);
        for (let i = 0; i < n; i++) out[i] = Number(buf.readBigInt64LE(i * 8));
        return out;
      }
      throw new UserError(`${file}: tensor "${name}" is ${entry.dtype}, not an integer tensor`);
    },
    readBytes(name) {
      return bytesOf(name).buf;
    },
  };
}

/**
 * As the reference reader validates: the tensors' byte ranges, sorted, must tile the data section
 * exactly — each starts where the previous one ended (no overlap, no gap), the first at 0 and the
 * last at the end of the file (no trailing bytes).
 */
function checkCoverage(tensors: Map<string, TensorEntry>, dataSize: number, fail: (why: string) => Error): void {
  const sorted = [...tensors.entries()].sort(([, a], [, b]) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  let previous: string | undefined;
  for (const [name, t] of sorted) {
    if (t.begin < expected)
      throw fail(
        `tensor "${name}" at bytes [${t.begin}, ${t.end}) overlaps tensor "${previous}" (ends at ${expected})`,
      );
    if (t.begin > expected) {
      const after =
        previous === undefined ? 'the start of the data section' : `tensor "${previous}" (ends at ${expected})`;
      throw fail(
        `tensor "${name}" starts at byte ${t.begin}, leaving a gap of ${t.begin - expected} bytes after ${after}`,
      );
    }
    expected = t.end;
    previous = name;
  }
  if (expected !== dataSize) {
    const last = previous === undefined ? 'no tensor' : `the last tensor "${previous}"`;
    throw fail(
      `data section is ${dataSize} bytes but ${last} ends at byte ${expected} (${dataSize - expected} trailing bytes)`,
    );
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function jsonKind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

function toFloat32(dtype: SafeDType, buf: Buffer, what: string): Float32Array {
  const n = buf.length / BYTES[dtype];
  if (dtype === 'F32') return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
  const out = new Float32Array(n);
  if (dtype === 'BF16') {
    const u32 = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) u32[i] = buf.readUInt16LE(i * 2) << 16;
    return out;
  }
  if (dtype === 'F16') {
    for (let i = 0; i < n; i++) out[i] = halfToFloat(buf.readUInt16LE(i * 2));
    return out;
  }
  throw new UserError(`${what} is ${dtype}, not a float tensor`);
}

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

export function floatToHalf(f: number): number {
  F32[0] = f;
  return halfFromBits(U32[0]!);
}

/** IEEE half from the bits of a float32, rounding to nearest even. */
export function halfFromBits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    if ((mant >> (shift - 1)) & 1 && (mant & ((1 << (shift - 1)) - 1) || half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >> 13);
  if (mant & 0x1000 && (mant & 0xfff || half & 1)) half++;
  return sign | half;
}

/** bfloat16 bits of a float32, rounding to nearest even (as torch does). */
export function floatToBf16(f: number): number {
  F32[0] = f;
  const x = U32[0]!;
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

export type TensorToWrite =
  | { dtype: 'F32' | 'F16' | 'BF16'; shape: number[]; data: Float32Array }
  /** Bytes already in the file's layout (a tensor copied unchanged), any dtype. */
  | { dtype: SafeDType; shape: number[]; bytes: Buffer };

/** A tensor's place in a header: its dtype, shape and size in bytes. */
export interface HeaderEntry {
  dtype: SafeDType;
  shape: number[];
  bytes: number;
}

/**
 * The bytes of a file before its data: the header's length (u64, little-endian) and the JSON
 * header, __metadata__ first (when there is any) and each tensor's data_offsets laid out in the
 * order given. The header is padded with spaces so that the data starts 8-byte aligned, as the
 * reference writer does.
 */
export function safetensorsHeader(entries: [string, HeaderEntry][], metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, e] of entries) {
    header[name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + e.bytes] };
    offset += e.bytes;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json]);
}

/** Writes tensors in name order (deterministic bytes) through a temp file and a rename. */
export function writeSafetensors(
  file: string,
  tensors: Record<string, TensorToWrite>,
  metadata: Record<string, string> = {},
): void {
  const parts = safetensorsParts(tensors, metadata);
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    for (const b of parts) fs.writeSync(fd, b);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** The bytes writeSafetensors writes, in memory (a small file that another writer stores). */
export function safetensorsBytes(
  tensors: Record<string, TensorToWrite>,
  metadata: Record<string, string> = {},
): Buffer {
  return Buffer.concat(safetensorsParts(tensors, metadata));
}

/** The header, then each tensor's data in name order. */
function safetensorsParts(tensors: Record<string, TensorToWrite>, metadata: Record<string, string>): Buffer[] {
  const names = Object.keys(tensors).sort();
  const entries: [string, HeaderEntry][] = [];
  const blobs: Buffer[] = [];
  for (const name of names) {
    const t = tensors[name]!;
    const count = t.shape.reduce((a, b) => a * b, 1);
    let blob: Buffer;
    if ('bytes' in t) {
      if (t.bytes.length !== count * BYTES[t.dtype])
        throw new Error(
          `tensor "${name}": ${t.dtype} ${JSON.stringify(t.shape)} needs ${count * BYTES[t.dtype]} bytes, got ${t.bytes.length}`,
        );
      blob = t.bytes;
    } else {
      if (count !== t.data.length)
        throw new Error(
          `tensor "${name}": shape ${JSON.stringify(t.shape)} holds ${count} values, got ${t.data.length}`,
        );
      if (t.dtype === 'F32')
        blob = Buffer.from(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength));
      else {
        const narrow = t.dtype === 'F16' ? floatToHalf : floatToBf16;
        blob = Buffer.alloc(count * 2);
        for (let i = 0; i < count; i++) blob.writeUInt16LE(narrow(t.data[i]!), i * 2);
      }
    }
    entries.push([name, { dtype: t.dtype, shape: t.shape, bytes: blob.length }]);
    blobs.push(blob);
  }
  return [safetensorsHeader(entries, metadata), ...blobs];
}
