import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CheckpointError } from "../../src/core/errors.js";
import {
  encodeSafetensors,
  f16ToF32,
  f32ToBf16Bits,
  parseSafetensors,
  parseSafetensorsMetadata,
  type Tensor,
} from "../../src/model/safetensors.js";
import { readSafetensors, writeSafetensors } from "../../src/model/checkpoint.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "thinkrl-st-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Deterministic pseudo-random values spanning several magnitudes (LCG; no Math.random). */
function values(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * 10 ** ((i % 7) - 3);
  }
  return out;
}

/** Builds a safetensors file by hand: header object + raw data bytes. */
function rawFile(header: Record<string, unknown>, data: Uint8Array, headerLenOverride?: bigint): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLenOverride ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function expectCheckpointError(fn: () => unknown, match: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(CheckpointError);
  expect((err as Error).message).toMatch(match);
}

describe("safetensors round trip", () => {
  const tensors = new Map<string, Tensor>([
    ["model.embed_tokens.weight", { shape: [5, 3], data: values(15, 1) }],
    ["scalar", { shape: [], data: Float32Array.of(-2.5) }],
    ["empty", { shape: [0, 4], data: new Float32Array(0) }],
    ["model.norm.weight", { shape: [7], data: values(7, 2) }],
  ]);

  test("F32 write → read is exact and keeps names, order and shapes", async () => {
    const path = join(dir, "f32.safetensors");
    await writeSafetensors(path, tensors, "F32", { note: "hi" });
    const back = await readSafetensors(path);
    expect([...back.keys()]).toEqual([...tensors.keys()]);
    for (const [name, t] of tensors) {
      expect(back.get(name)!.shape).toEqual(t.shape);
      expect(Array.from(back.get(name)!.data)).toEqual(Array.from(t.data));
    }
    const bytes = await readFile(path);
    expect(parseSafetensorsMetadata(bytes)).toEqual({ format: "pt", note: "hi" });
    // header padded so that data starts 8-byte aligned
    expect(Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true)) % 8).toBe(0);
  });

  test("BF16 write → read is within bf16 rounding (relative error ≤ 2^-8, half an ulp)", async () => {
    const path = join(dir, "bf16.safetensors");
    await writeSafetensors(path, Object.fromEntries(tensors), "BF16");
    const back = await readSafetensors(path);
    for (const [name, t] of tensors) {
      const got = back.get(name)!.data;
      for (let i = 0; i < t.data.length; i++) {
        expect(Math.abs(got[i]! - t.data[i]!)).toBeLessThanOrEqual(Math.abs(t.data[i]!) * 2 ** -8);
      }
    }
  });

  test("BF16 rounding is round-to-nearest-even, saturates to inf and keeps NaN", () => {
    const f = new Float32Array(6);
    const u = new Uint32Array(f.buffer);
    u[0] = 0x3f808000; // exactly halfway, lower bf16 even → rounds down to 0x3f80
    u[1] = 0x3f818000; // halfway, lower odd → rounds up to 0x3f82
    u[2] = 0x3f808001; // just above halfway → up
    u[3] = 0x7f7fffff; // max float → +inf in bf16
    u[4] = 0x7fc00001; // NaN
    u[5] = 0xbf800000; // -1
    expect(Array.from(f32ToBf16Bits(f))).toEqual([0x3f80, 0x3f82, 0x3f81, 0x7f80, 0x7fc0, 0xbf80]);
  });

  test("mismatched data length is rejected on write", async () => {
    await expect(writeSafetensors(join(dir, "bad.safetensors"), { a: { shape: [2, 2], data: new Float32Array(3) } }, "F32")).rejects.toThrow(
      CheckpointError,
    );
  });
});

describe("safetensors reading", () => {
  test("reads F16 data written by hand, including subnormals and infinities", () => {
    const halves = [0x3c00, 0xc000, 0x3555, 0x0001, 0x7c00, 0xfc00, 0x0000, 0x7bff];
    const data = new Uint8Array(halves.length * 2);
    halves.forEach((h, i) => new DataView(data.buffer).setUint16(2 * i, h, true));
    const file = rawFile({ __metadata__: { format: "pt" }, h: { dtype: "F16", shape: [2, 4], data_offsets: [0, data.length] } }, data);
    const t = parseSafetensors(file, "f16.safetensors").get("h")!;
    expect(t.shape).toEqual([2, 4]);
    expect(Array.from(t.data)).toEqual([1, -2, Math.fround(0.333251953125), Math.fround(2 ** -24), Infinity, -Infinity, 0, 65504]);
    expect(f16ToF32(0x7e00)).toBeNaN();
  });

  test("reads BF16 at an unaligned data offset", () => {
    const data = new Uint8Array([0, 0, 0x80, 0x3f, 0x00, 0xc0]); // pad(1 byte-pair) then 1.0, -2.0 (bf16 LE)
    const file = rawFile({ b: { dtype: "BF16", shape: [2], data_offsets: [2, 6] } }, data);
    expect(Array.from(parseSafetensors(file).get("b")!.data)).toEqual([1, -2]);
  });

  test("file shorter than 8 bytes → CheckpointError", () => {
    expectCheckpointError(() => parseSafetensors(new Uint8Array(3), "x.safetensors"), /x\.safetensors: file too short/);
  });

  test("header length past end of file → CheckpointError", () => {
    const file = rawFile({}, new Uint8Array(0), 1_000_000n);
    expectCheckpointError(() => parseSafetensors(file, "x.safetensors"), /not a safetensors file: header length 1000000 exceeds file size/);
  });

  test("header that is not JSON → CheckpointError", () => {
    const file = new Uint8Array(8 + 4);
    new DataView(file.buffer).setBigUint64(0, 4n, true);
    file.set(new TextEncoder().encode("{abc"), 8);
    expectCheckpointError(() => parseSafetensors(file, "x.safetensors"), /not valid UTF-8 JSON/);
  });

  test("truncated data → CheckpointError naming the tensor", async () => {
    const enc = encodeSafetensors({ w: { shape: [4, 4], data: new Float32Array(16) } }, "F32");
    const whole = Buffer.concat(enc);
    const path = join(dir, "trunc.safetensors");
    await writeFile(path, whole.subarray(0, whole.length - 5));
    await expect(readSafetensors(path)).rejects.toThrow(/tensor "w": data_offsets end 64 is past the end of the data \(59 bytes/);
  });

  test("offsets inconsistent with shape × dtype → CheckpointError", () => {
    const file = rawFile({ w: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, new Uint8Array(12));
    expectCheckpointError(() => parseSafetensors(file), /tensor "w": data_offsets \[0, 8\] hold 8 bytes but F32\[3\] needs 12/);
  });

  test("overlapping tensors → CheckpointError", () => {
    const file = rawFile(
      { a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [2], data_offsets: [4, 12] } },
      new Uint8Array(12),
    );
    expectCheckpointError(() => parseSafetensors(file), /overlap/);
  });

  test("unsupported dtype → CheckpointError naming tensor and dtype", () => {
    const file = rawFile({ "model.layers.0.q.weight": { dtype: "I64", shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8));
    expectCheckpointError(() => parseSafetensors(file, "m.safetensors"), /m\.safetensors: tensor "model\.layers\.0\.q\.weight" has unsupported dtype "I64"/);
  });

  test("missing file → CheckpointError", async () => {
    await expect(readSafetensors(join(dir, "nope.safetensors"))).rejects.toThrow(CheckpointError);
  });
});
