import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadJsonlDataset, parseJsonlDataset } from "../../src/data/dataset.js";
import { DatasetError } from "../../src/core/errors.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "thinkrl-dataset-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function loadError(text: string): Promise<DatasetError> {
  const path = await write(`bad-${Math.abs(hash(text))}.jsonl`, text);
  try {
    await loadJsonlDataset(path);
  } catch (e) {
    expect(e).toBeInstanceOf(DatasetError);
    expect((e as Error).message).toContain(path);
    return e as DatasetError;
  }
  throw new Error("expected a DatasetError");
}

function hash(s: string): number {
  let h = 0;
  for (const c of s) h = (Math.imul(h, 31) + c.charCodeAt(0)) | 0;
  return h;
}

describe("loadJsonlDataset", () => {
  test("reads prompt rows and keeps every other column", async () => {
    const path = await write(
      "ok.jsonl",
      '{"prompt": "1+1", "answer": "2", "level": 3}\n\n{"prompt": "2+2", "answer": 4}\r\n',
    );
    expect(await loadJsonlDataset(path)).toEqual([
      { prompt: "1+1", columns: { answer: "2", level: 3 } },
      { prompt: "2+2", columns: { answer: 4 } },
    ]);
  });

  test("messages rows use the last user message as the question and keep the messages", async () => {
    const messages = [
      { role: "system", content: "be brief" },
      { role: "user", content: "first" },
      { role: "assistant", content: "ok" },
      { role: "user", content: "what is 6*7?" },
    ];
    const path = await write("chat.jsonl", JSON.stringify({ messages, answer: "42" }) + "\n");
    expect(await loadJsonlDataset(path)).toEqual([{ prompt: "what is 6*7?", messages, columns: { answer: "42" } }]);
  });

  test("question rows (thinkrl eval's layout) read as prompt rows; with a prompt, question is a column", async () => {
    const path = await write("question.jsonl", '{"question": "1+1", "answer": "2"}\n{"prompt": "p", "question": "q", "answer": 3}\n');
    expect(await loadJsonlDataset(path)).toEqual([
      { prompt: "1+1", columns: { answer: "2" } },
      { prompt: "p", columns: { question: "q", answer: 3 } },
    ]);
    expect((await loadError('{"question": 7}\n')).message).toMatch(/:1: 'question' must be a string \(got number\)/);
  });

  test("invalid JSON names the file and the 1-based line", async () => {
    const e = await loadError('{"prompt": "a"}\n\n{"prompt": "b",\n');
    expect(e.message).toMatch(/:3: invalid JSON/);
  });

  test("a row without prompt or messages is an error on its line", async () => {
    const e = await loadError('{"prompt": "a"}\n{"answer": "b"}\n');
    expect(e.message).toMatch(/:2: row needs a 'prompt'/);
  });

  test("wrong types are errors on their line", async () => {
    expect((await loadError('{"prompt": 5}\n')).message).toMatch(/:1: 'prompt' must be a string/);
    expect((await loadError('{"messages": "hi"}\n')).message).toMatch(/:1: 'messages' must be an array/);
    expect((await loadError('{"messages": [{"role": "user"}]}\n')).message).toMatch(/:1: messages\[0\]/);
    expect((await loadError('{"messages": [{"role": "system", "content": "x"}]}\n')).message).toMatch(/no message with role 'user'/);
    expect((await loadError('[1, 2]\n')).message).toMatch(/:1: expected a JSON object/);
    expect((await loadError('null\n')).message).toMatch(/:1: expected a JSON object/);
  });

  test("column names used by the reward batch are rejected", async () => {
    expect((await loadError('{"prompt": "a", "completions": []}\n')).message).toMatch(/reserved/);
  });

  test("an empty or blank file is an error", async () => {
    expect((await loadError("")).message).toMatch(/empty/);
    expect((await loadError("\n  \n")).message).toMatch(/empty/);
  });

  test("a missing file is a DatasetError naming it", async () => {
    const path = join(dir, "nope.jsonl");
    await expect(loadJsonlDataset(path)).rejects.toThrow(DatasetError);
    await expect(loadJsonlDataset(path)).rejects.toThrow(path);
  });

  test("parseJsonlDataset works on in-memory text", () => {
    expect(parseJsonlDataset('{"prompt":"x"}', "mem")).toEqual([{ prompt: "x", columns: {} }]);
    expect(() => parseJsonlDataset("{", "mem")).toThrow(/^mem:1: invalid JSON/);
  });
});
