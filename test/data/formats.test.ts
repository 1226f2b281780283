/** Dataset file readers and the record → SFT example mapping (prompt/completion fields, HF `messages`). */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DatasetError } from "../../src/core/errors.js";
import { loadSftExamples, parseJsonlRecords, readRecords, toSftExample } from "../../src/data/formats/index.js";

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "thinkrl-formats-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const rec = (value: Record<string, unknown>) => ({ where: "d.jsonl:3", value });

describe("toSftExample", () => {
  test("prompt/completion fields, with mapping", () => {
    expect(toSftExample(rec({ prompt: "p", completion: "c" }))).toEqual({ prompt: "p", completion: "c", where: "d.jsonl:3" });
    expect(toSftExample(rec({ q: "p", a: "c" }), { prompt: "q", completion: "a", messages: "messages" })).toMatchObject({ prompt: "p", completion: "c" });
  });

  test("messages: system + user turns are the prompt, the last assistant turn the completion", () => {
    const messages = [
      { role: "system", content: "Be brief." },
      { role: "user", content: "2+2?" },
      { role: "assistant", content: "<think>2+2=4</think><answer>4</answer>" },
    ];
    expect(toSftExample(rec({ messages }))).toMatchObject({ prompt: "Be brief.\n\n2+2?", completion: "<think>2+2=4</think><answer>4</answer>" });
    // Also as a JSON string (how some Parquet exports store it) and under another field name.
    expect(toSftExample(rec({ conv: JSON.stringify(messages) }), { prompt: "prompt", completion: "completion", messages: "conv" })).toMatchObject({ prompt: "Be brief.\n\n2+2?" });
  });

  test.each<[string, Record<string, unknown>, string]>([
    ["no known field", { text: "x" }, "d.jsonl:3: row has neither 'messages' nor 'prompt'/'completion'"],
    ["a non-string completion", { prompt: "p", completion: 3 }, "d.jsonl:3: 'completion' must be a string (got number)"],
    ["an empty completion", { prompt: "p", completion: "  " }, "d.jsonl:3: empty completion"],
    ["messages without an assistant turn", { messages: [{ role: "user", content: "hi" }] }, "d.jsonl:3: messages have no 'assistant' turn to learn from"],
    ["a malformed message", { messages: [{ role: "user" }] }, "d.jsonl:3: messages[0] must be {role: string, content: string}"],
  ])("rejects %s naming file:row", (_, value, message) => {
    expect(() => toSftExample(rec(value))).toThrow(DatasetError);
    expect(() => toSftExample(rec(value))).toThrow(message);
  });
});

describe("readRecords", () => {
  test("JSONL: blank lines skipped, locations are 1-based lines", () => {
    const r = parseJsonlRecords('{"a":1}\n\n{"a":2}\r\n', "f.jsonl");
    expect(r).toEqual([
      { where: "f.jsonl:1", value: { a: 1 } },
      { where: "f.jsonl:3", value: { a: 2 } },
    ]);
    expect(() => parseJsonlRecords('{"a":1}\n{oops', "f.jsonl")).toThrow(/^f\.jsonl:2: invalid JSON/);
    expect(() => parseJsonlRecords("[1]", "f.jsonl")).toThrow("f.jsonl:1: expected a JSON object");
  });

  test("unknown extensions, missing, empty and corrupt files are DatasetErrors", async () => {
    await expect(readRecords(join(tmp, "x.csv"))).rejects.toThrow(/unknown dataset file type/);
    await expect(readRecords(join(tmp, "missing.jsonl"))).rejects.toThrow(/cannot read dataset/);
    await writeFile(join(tmp, "empty.jsonl"), "\n");
    await expect(readRecords(join(tmp, "empty.jsonl"))).rejects.toThrow(/dataset is empty/);
    await writeFile(join(tmp, "bad.parquet"), "not parquet at all");
    await expect(readRecords(join(tmp, "bad.parquet"))).rejects.toThrow(/cannot read Parquet/);
  });

  test("loadSftExamples reports the first bad row with its line", async () => {
    const path = join(tmp, "sft.jsonl");
    await writeFile(path, '{"prompt":"a","completion":"b"}\n{"prompt":"a"}\n');
    await expect(loadSftExamples(path)).rejects.toThrow(`${path}:2: 'completion' must be a string (got undefined)`);
  });
});
