/** The Transformer² tasks (issue 18), the T2 model's tokenizer and the classification prompt's parser. */
import { describe, expect, test } from "vitest";
import { Rng } from "../../src/core/rng.js";
import { classificationPrompt, OTHER_CATEGORY, parseCategory } from "../../src/adapt/classify.js";
import { getTask, heldOutSet, HELD_OUT_SEED, T2_CATEGORIES, T2_SEEN_TASKS, T2_UNSEEN_TASKS, TASK_NAMES } from "../../src/data/tasks/index.js";
import { loadTokenizer } from "../../src/model/tokenizer.js";
import { t2ModelConfig, t2TokenizerJson } from "../../src/model/t2.js";
import { builtinModelDirFor, defaultModelDir, multiplicationModelDir, t2ModelDir } from "../../src/model/load.js";
import { accuracyReward } from "../../src/reward/accuracy.js";
import type { Problem } from "../../src/data/tasks/index.js";
import { goldOf } from "../../src/train/grpo.js";

const ALL = [...T2_SEEN_TASKS, "t2-classify", ...T2_UNSEEN_TASKS] as const;
const draw = (name: string, n: number, seed = 1): Problem[] => {
  const t = getTask(name);
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => t.sample(rng));
};
const score = (ps: readonly Problem[], completions: readonly string[]): (number | null)[] => {
  const batch: Record<string, unknown[]> = { prompts: ps.map((p) => p.prompt), completions: [...completions] };
  for (const k of new Set(ps.flatMap((p) => Object.keys(p.columns)))) batch[k] = ps.map((p) => p.columns[k]);
  return accuracyReward(batch as never, {} as never) as (number | null)[];
};

describe("t2 tasks", () => {
  test("registered, with task and category columns", () => {
    for (const name of ALL) expect(TASK_NAMES).toContain(name);
    for (const name of ALL) {
      for (const p of draw(name, 50)) {
        expect(p.columns.task).toBe(name);
        expect([...T2_CATEGORIES, OTHER_CATEGORY]).toContain(p.columns.category);
        expect(p.key.startsWith(`${name}:`)).toBe(true);
      }
    }
    expect(new Set(draw("t2-composed", 50).map((p) => p.columns.category))).toEqual(new Set([OTHER_CATEGORY]));
  });

  test("seen prompts never name a category, and each task has several phrasings", () => {
    for (const name of [...T2_SEEN_TASKS, ...T2_UNSEEN_TASKS]) {
      const ps = draw(name, 300);
      for (const p of ps) for (const c of [...T2_CATEGORIES, "countdown", "task"]) expect(p.prompt.toLowerCase()).not.toContain(c);
      // Phrasings: the prompt with its numbers blanked out.
      expect(new Set(ps.map((p) => p.prompt.replace(/\d+/g, "#").replace(/#(, #)*( and #)?/g, "L"))).size).toBeGreaterThanOrEqual(5);
    }
  });

  test("worked solutions score 1, wrong or unparseable answers 0, and nothing throws", () => {
    for (const name of ALL) {
      const ps = draw(name, 100);
      expect(score(ps, ps.map((p) => p.solution))).toEqual(ps.map(() => 1));
      const wrong = ps.map((p) => p.solution.replace(/<answer>.*<\/answer>/, name === "t2-classify" ? "<answer>\\boxed{other}</answer>" : "<answer>100000</answer>"));
      expect(score(ps, wrong)).toEqual(ps.map(() => 0));
      expect(score(ps, ps.map(() => "<answer>\\boxed{"))).toEqual(ps.map(() => 0));
      expect(score(ps, ps.map(() => ""))).toEqual(ps.map(() => 0));
    }
  });

  test("deterministic by seed; keys name the content; held-out pools of 512 distinct problems", () => {
    for (const name of ALL) {
      expect(draw(name, 20, 7)).toEqual(draw(name, 20, 7));
      expect(draw(name, 20, 7)).not.toEqual(draw(name, 20, 8));
    }
    // The same numbers in another wording share a key (held out in every wording).
    const a = draw("t2-arithmetic", 2000, 3);
    const byKey = new Map<string, Set<string>>();
    for (const p of a) byKey.set(p.key, (byKey.get(p.key) ?? new Set()).add(p.solution));
    for (const sols of byKey.values()) expect(sols.size).toBe(1);
    for (const name of [...T2_SEEN_TASKS, ...T2_UNSEEN_TASKS]) expect(heldOutSet(getTask(name), 0, HELD_OUT_SEED).keys.size).toBe(512);
  });

  test("the gold logged for a t2-classify rollout is its category; other tasks log their answer", () => {
    for (const p of draw("t2-classify", 20)) expect(goldOf({ key: p.key, question: p.prompt, columns: p.columns })).toBe(p.columns.category);
    for (const p of draw("t2-arithmetic", 5)) expect(goldOf({ key: p.key, question: p.prompt, columns: p.columns })).not.toBe(p.columns.category);
  });

  test("t2-classify never uses a query held out by a seen task", () => {
    const held = new Set(T2_SEEN_TASKS.flatMap((n) => [...heldOutSet(getTask(n), 0, HELD_OUT_SEED).keys]));
    const ps = draw("t2-classify", 600);
    for (const p of ps) expect(held.has(p.key.slice("t2-classify:".length))).toBe(false);
    expect(new Set(ps.map((p) => p.columns.category))).toEqual(new Set(T2_CATEGORIES));
    expect(ps[0]!.prompt).toBe(classificationPrompt(ps[0]!.columns.query as string, T2_CATEGORIES));
  });
});

describe("classification prompt", () => {
  const cats = ["arithmetic", "search", "sequence"];
  test("the prompt lists the categories and other, asks for \\boxed{}, and ends with the query", () => {
    const p = classificationPrompt("Take 19 from 52.", cats);
    for (const c of [...cats, OTHER_CATEGORY]) expect(p).toContain(c);
    expect(p).toContain("\\boxed{}");
    expect(p.endsWith("Take 19 from 52.")).toBe(true);
  });

  test("parseCategory: the last closed box, trimmed, case-insensitive; else other", () => {
    expect(parseCategory("<answer>\\boxed{search}</answer>", cats)).toBe("search");
    expect(parseCategory("\\boxed{ Sequence }", cats)).toBe("sequence");
    expect(parseCategory("\\boxed{search} no, \\boxed{arithmetic}", cats)).toBe("arithmetic");
    expect(parseCategory("\\boxed{search} then \\boxed{arith", cats)).toBe("search");
    expect(parseCategory("\\boxed{other}", cats)).toBe(OTHER_CATEGORY);
    expect(parseCategory("\\boxed{maths}", cats)).toBe(OTHER_CATEGORY);
    expect(parseCategory("\\boxed{}", cats)).toBe(OTHER_CATEGORY);
    expect(parseCategory("search", cats)).toBe(OTHER_CATEGORY);
    expect(parseCategory("\\boxed{{search}}", cats)).toBe(OTHER_CATEGORY);
    expect(parseCategory("", cats)).toBe(OTHER_CATEGORY);
    expect(parseCategory(undefined as unknown as string, cats)).toBe(OTHER_CATEGORY);
    expect(parseCategory("\\boxed{Search}", ["Search", "x"])).toBe("Search");
  });
});

describe("T2 model", () => {
  test("the tokenizer round-trips every prompt and solution, tags as single tokens, and fits the context", () => {
    const cfg = t2ModelConfig();
    const tok = loadTokenizer(t2TokenizerJson());
    expect(tok.vocabSize ?? cfg.vocabSize).toBe(cfg.vocabSize);
    expect(tok.encode("<think>")).toHaveLength(1);
    for (const name of ALL) {
      for (const p of draw(name, 40)) {
        const text = p.prompt + p.solution;
        const ids = tok.encode(text);
        expect(tok.decode(ids)).toBe(text);
        expect(ids.every((i) => i >= 0 && i < cfg.vocabSize)).toBe(true);
        expect(ids.length + 2).toBeLessThanOrEqual(cfg.maxPositionEmbeddings);
      }
    }
  });

  test("t2 datasets run on the T2 model by default", () => {
    expect(builtinModelDirFor("t2-search")).toBe(t2ModelDir());
    expect(builtinModelDirFor("t2-arithmetic:2,t2-classify:1")).toBe(t2ModelDir());
    expect(builtinModelDirFor("multiplication")).toBe(multiplicationModelDir());
    expect(builtinModelDirFor("arithmetic,t2-search")).toBe(defaultModelDir());
    expect(builtinModelDirFor("t2-data.jsonl")).toBe(defaultModelDir());
  });
});
