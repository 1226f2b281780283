import { describe, expect, test } from "vitest";
import { extractCode, normalizeOutput, parseTests } from "../../../src/reward/code/reward.js";
import { REWARDS } from "../../../src/reward/index.js";
import { describeNeeding, SANDBOX } from "../../helpers/requirements.js";

describe("extractCode", () => {
  test("takes the last fenced block of the answer, with its language", () => {
    const c = "<think>```python\nprint(0)\n```</think><answer>```py\nprint(1)\n```\n```js\nconsole.log(2)\n```</answer>";
    expect(extractCode(c)).toEqual({ code: "console.log(2)\n", fence: "javascript" });
  });

  test("ignores code in the chain of thought; falls back to the raw answer", () => {
    expect(extractCode("<think>```python\nprint(0)\n```</think>no code")).toBeNull();
    expect(extractCode("<think>x</think><answer>print(3)</answer>")).toEqual({ code: "print(3)\n", fence: null });
    expect(extractCode("plain ```\nprint(4)\n```")).toEqual({ code: "print(4)\n", fence: null });
  });
});

describe("parseTests", () => {
  test("accepts io pairs, assert strings, the APPS layout and JSON strings", () => {
    expect(parseTests([{ input: "1", output: "2" }, "assert f(1) == 2"])).toEqual([
      { kind: "io", input: "1", output: "2" },
      { kind: "assert", code: "assert f(1) == 2" },
    ]);
    expect(parseTests({ inputs: ["a"], outputs: ["b"] })).toEqual([{ kind: "io", input: "a", output: "b" }]);
    expect(parseTests('[{"input": "1", "output": "2"}]')).toEqual([{ kind: "io", input: "1", output: "2" }]);
    expect(parseTests("assert g() == 1")).toEqual([{ kind: "assert", code: "assert g() == 1" }]);
  });

  test("missing, empty or malformed tests cannot be judged", () => {
    for (const bad of [undefined, null, [], "", [{ input: 1, output: "2" }], { inputs: ["a"], outputs: [] }, 7])
      expect(parseTests(bad)).toBeNull();
  });
});

test("output comparison ignores CRLF, trailing spaces and trailing blank lines only", () => {
  expect(normalizeOutput("1 2 \r\n3\n\n")).toBe(normalizeOutput("1 2\n3"));
  expect(normalizeOutput(" 1")).not.toBe(normalizeOutput("1"));
});

describeNeeding(SANDBOX, "registry entry", () => {
  test("rows without tests score null and need no sandbox run", async () => {
    // The registry entry proves the sandbox first (on this machine it isolates); then no process is started.
    const out = await REWARDS.code({ prompts: ["", ""], completions: ["```python\nprint(1)\n```", "no code"], completionIds: [[], []] }, { step: 0, groupSize: 2, maxCompletionLength: 8 });
    expect(out).toEqual([null, null]);
  });
});
