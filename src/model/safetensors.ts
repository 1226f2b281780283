/**
 * safetensors reader/writer (https://github.com/huggingface/safetensors, "Format" section).
 *
 * Layout: `u64le N` | `N` bytes of UTF-8 JSON header | data.
 * The header maps tensor name → `{ dtype, shape, data_offsets: [begin, end] }` (offsets relative to the
 * first data byte) plus an optional `__metadata__: Record<string, string>`.
 *
 * All tensors are handed out as float32: F32, F16 and BF16 are read; F32 and BF16 are written.
 * Every returned `Tensor.data` is a fresh copy that owns its buffer (it never aliases the file bytes).
 *
 * Bytes in, bytes out (browser-safe); reading and writing files on Node is `readSafetensors` / `writeSafetensors`
 * in `checkpoint.ts`.
 */
import { CheckpointError } from "../core/errors.js";

/** A dense row-major float32 tensor. `data.length` equals the product of `shape` (1 for `[]`). */
export interface Tensor {
  shape: number[];
  data: Float32Array;
}

/** Dtypes we can read. */
export type ReadDtype = "F32" | "F16" | "BF16";
/** Dtypes we can write. */
export type WriteDtype = "F32" | "BF16";

const BYTES: Record<ReadDtype, number> = { F32: 4, F16: 2, BF16: 2 };

/** Largest header we accept (the reference implementation's limit is 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

/** Typed-array views below assume host byte order = file byte order (little endian); true on x86-64/arm64. */
const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Number of elements of `shape` (1 for a scalar). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Parses safetensors bytes into float32 tensors (in header order).
 * @param source file name used in error messages.
 * @throws CheckpointError on a bad header length, invalid JSON, offsets outside the file or inconsistent with
 *   shape × dtype size, overlapping tensors, or an unsupported dtype (naming the tensor).
 */
export function parseSafetensors(buf: Uint8Array, source = "<buffer>"): Map<string, Tensor> {
  const bad = (msg: string): CheckpointError => new CheckpointError(`${source}: ${msg}`);
  if (buf.byteLength < 8) throw bad(`file too short for a safetensors header (${buf.byteLength} bytes)`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLen = view.getBigUint64(0, true);
  if (headerLen > BigInt(Math.min(MAX_HEADER_BYTES, buf.byteLength - 8))) {
    throw bad(
      `not a safetensors file: header length ${headerLen} exceeds file size ${buf.byteLength} or the ${MAX_HEADER_BYTES}-byte limit`,
    );
  }
  const n = Number(headerLen);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(buf.subarray(8, 8 + n)));
  } catch (e) {
    throw bad(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) throw bad("header is not a JSON object");

  const dataStart = 8 + n;
  const dataLen = buf.byteLength - dataStart;
  const out = new Map<string, Tensor>();
  const spans: Array<[number, number, string]> = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") continue;
    if (info === null || typeof info !== "object") throw bad(`tensor "${name}": entry is not an object`);
    const { dtype, shape, data_offsets: offs } = info as Record<string, unknown>;
    if (typeof dtype !== "string" || !(dtype in BYTES)) {
      throw bad(`tensor "${name}" has unsupported dtype ${JSON.stringify(dtype)} (supported: F32, F16, BF16)`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw bad(`tensor "${name}": invalid shape ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw bad(`tensor "${name}": invalid data_offsets ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    const dims = shape as number[];
    const expected = numel(dims) * BYTES[dtype as ReadDtype];
    if (end < begin || end - begin !== expected) {
      throw bad(`tensor "${name}": data_offsets [${begin}, ${end}] hold ${end - begin} bytes but ${dtype}[${dims.join(", ")}] needs ${expected}`);
    }
    if (end > dataLen) {
      throw bad(`tensor "${name}": data_offsets end ${end} is past the end of the data (${dataLen} bytes; file truncated?)`);
    }
    spans.push([begin, end, name]);
    out.set(name, { shape: [...dims], data: decode(buf, dataStart + begin, numel(dims), dtype as ReadDtype) });
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i]![0] < spans[i - 1]![1]) throw bad(`tensors "${spans[i - 1]![2]}" and "${spans[i]![2]}" overlap`);
  }
  return out;
}

/** Reads the `__metadata__` string map of a safetensors buffer (empty object when absent). */
export function parseSafetensorsMetadata(buf: Uint8Array, source = "<buffer>"): Record<string, string> {
  if (buf.byteLength < 8) throw new CheckpointError(`${source}: file too short for a safetensors header`);
  const len = new DataView(buf.buffer, buf.byteOffset, 8).getBigUint64(0, true);
  if (len > BigInt(buf.byteLength - 8)) throw new CheckpointError(`${source}: not a safetensors file: header length ${len} exceeds file size ${buf.byteLength}`);
  const n = Number(len);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + n))) as Record<string, unknown>;
  } catch (e) {
    throw new CheckpointError(`${source}: header is not valid JSON (${(e as Error).message})`);
  }
  const meta = header?.["__metadata__"];
  return meta !== null && typeof meta === "object" ? { ...(meta as Record<string, string>) } : {};
}

/** Copies `count` elements of `dtype` starting at byte `off` into a new Float32Array. */
function decode(buf: Uint8Array, off: number, count: number, dtype: ReadDtype): Float32Array {
  const out = new Float32Array(count);
  const bytes = buf.subarray(off, off + count * BYTES[dtype]);
  if (dtype === "F32") {
    if (HOST_LE) new Uint8Array(out.buffer).set(bytes);
    else {
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0; i < count; i++) out[i] = dv.getFloat32(4 * i, true);
    }
    return out;
  }
  const u16 = readU16(bytes, count);
  if (dtype === "BF16") {
    // bf16 is the top half of an f32: shift the 16 bits into place.
    const u32 = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) u32[i] = u16[i]! << 16;
  } else {
    for (let i = 0; i < count; i++) out[i] = f16ToF32(u16[i]!);
  }
  return out;
}

/** Little-endian u16 values of `bytes`, copied into an aligned array. */
function readU16(bytes: Uint8Array, count: number): Uint16Array {
  const u16 = new Uint16Array(count);
  if (HOST_LE) new Uint8Array(u16.buffer).set(bytes);
  else {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < count; i++) u16[i] = dv.getUint16(2 * i, true);
  }
  return u16;
}

/** IEEE 754 binary16 → number (handles subnormals, ±inf, NaN). */
export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // subnormal: frac × 2^-14 / 2^10
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * float32 → bfloat16 bits with round-to-nearest-even (what PyTorch's `.to(torch.bfloat16)` does).
 * NaN maps to a quiet NaN with the sign kept.
 */
export function f32ToBf16Bits(data: Float32Array): Uint16Array {
  const u32 = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const out = new Uint16Array(data.length);
  for (let i = 0; i < u32.length; i++) {
    const x = u32[i]!;
    if ((x & 0x7fffffff) > 0x7f800000) out[i] = ((x >>> 16) & 0x8000) | 0x7fc0;
    else out[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16; // carry into the exponent gives ±inf on overflow
  }
  return out;
}

/** The bytes of a safetensors file (header first, then one chunk per tensor), without joining them. */
export function encodeSafetensors(
  tensors: Map<string, Tensor> | Record<string, Tensor>,
  dtype: WriteDtype,
  metadata: Record<string, string> = {},
): Uint8Array[] {
  if (dtype !== "F32" && dtype !== "BF16") throw new CheckpointError(`writeSafetensors: unsupported dtype ${String(dtype)} (use F32 or BF16)`);
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const header: Record<string, unknown> = { __metadata__: { format: "pt", ...metadata } };
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === "__metadata__" || name.length === 0) throw new CheckpointError(`writeSafetensors: invalid tensor name "${name}"`);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new CheckpointError(`writeSafetensors: tensor "${name}" has invalid shape [${t.shape.join(", ")}]`);
    }
    if (t.data.length !== numel(t.shape)) {
      throw new CheckpointError(`writeSafetensors: tensor "${name}" has ${t.data.length} values but shape [${t.shape.join(", ")}] needs ${numel(t.shape)}`);
    }
    const bytes = dtype === "F32" ? f32Bytes(t.data) : u16Bytes(f32ToBf16Bits(t.data));
    header[name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes.byteLength] };
    offset += bytes.byteLength;
    chunks.push(bytes);
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.byteLength / 8) * 8; // pad with spaces so the data starts 8-byte aligned
  if (padded !== json.byteLength) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  return [prefix, json, ...chunks];
}

function f32Bytes(data: Float32Array): Uint8Array {
  if (HOST_LE) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) dv.setFloat32(4 * i, data[i]!, true);
  return out;
}

function u16Bytes(u16: Uint16Array): Uint8Array {
  if (HOST_LE) return new Uint8Array(u16.buffer, u16.byteOffset, u16.byteLength);
  const out = new Uint8Array(u16.byteLength);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < u16.length; i++) dv.setUint16(2 * i, u16[i]!, true);
  return out;
}
