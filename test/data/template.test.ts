import { describe, expect, test } from "vitest";
import { compactPrompt, PROMPT_FORMATS, r1ZeroPrompt, renderPrompt } from "../../src/data/template.js";

describe("prompt templates", () => {
  test("r1-zero prompt explains the tags, then ends with the question and 'Assistant:'", () => {
    const p = r1ZeroPrompt("3,7,12:33");
    expect(p).toMatch(/User and Assistant/);
    expect(p).toContain("<think> </think>");
    expect(p).toContain("<answer> </answer>");
    expect(p.endsWith("\nUser: 3,7,12:33\nAssistant:")).toBe(true);
  });

  test("compact prompt is the question unchanged", () => {
    expect(compactPrompt("47+85")).toBe("47+85");
  });

  test("renderPrompt dispatches on the format", () => {
    expect(renderPrompt("compact", "1+2")).toBe("1+2");
    expect(renderPrompt("r1-zero", "1+2")).toBe(r1ZeroPrompt("1+2"));
    expect(PROMPT_FORMATS).toEqual(["r1-zero", "compact", "chat"]);
    expect(() => renderPrompt("chat", "1+2")).toThrow(/needs a local model's chat template/);
  });
});
