/**
 * The dashboard's data logic without a server or browser: JSONL read while it is written, the chart layout, alerts,
 * the completions browser's queries and the export cap, and JSON that cannot break out of a `<script>` element.
 */
import { describe, expect, test } from "vitest";
import { runAlerts } from "../../src/dashboard/alerts.js";
import { capCompletions, queryCompletions, repeatedPrompts, type CompletionRow } from "../../src/dashboard/completions.js";
import { JsonlFollower, parseJsonlChunk } from "../../src/dashboard/jsonl.js";
import { keysOf, layoutPanels, matchKeys } from "../../src/dashboard/layout.js";
import { jsonForScript, pageHtml } from "../../src/dashboard/page.js";
import { fixtureMetrics } from "../helpers/run-fixture.js";

describe("JSONL followed while it is written", () => {
  test("a half-written last line waits for its end; malformed complete lines are skipped and counted", () => {
    const f = new JsonlFollower();
    expect(f.push('{"step":1}\n{"step":2')).toEqual([{ step: 1 }]);
    expect(f.pending).toBe(9);
    expect(f.push(',"x":1}\nnot json\n[1,2]\n\n{"step":3}\n')).toEqual([{ step: 2, x: 1 }, { step: 3 }]);
    expect(f.skipped).toBe(2);
    expect(f.rows.map((r) => r.step)).toEqual([1, 2, 3]);
    f.reset();
    expect([f.rows.length, f.skipped, f.pending]).toEqual([0, 0, 0]);
  });

  test("a final chunk has no unfinished line", () => {
    expect(parseJsonlChunk('{"a":1}\n{"b":', true)).toEqual({ rows: [{ a: 1 }], skipped: 1, rest: "" });
  });
});

describe("chart layout", () => {
  const keys = Object.keys(fixtureMetrics(1));

  test("curated panels first, in order, then every other key grouped by prefix", () => {
    const panels = layoutPanels([...keys, "custom/a", "custom/b", "omd_regularizer"], ["step", "label", "eval/pass@1", "eval/cons@4"]);
    expect(panels.map((p) => p.id)).toEqual([
      "reward", "heldout", "accuracy", "length", "truncation", "entropy", "kl", "clip", "zero_std", "grad_norm", "learning_rate", "throughput", "timings",
      "group-loss", "group-reward_std", "group-num_null_rewards", "group-num_loss_sequences", "group-custom", "group-omd_regularizer",
    ]);
    expect(panels.find((p) => p.id === "reward")!.keys).toEqual(["reward", "rewards/accuracy/mean", "rewards/format/mean"]);
    expect(panels.find((p) => p.id === "length")!.band).toEqual({ low: "completions/min_length", high: "completions/max_length", label: "min–max" });
    expect(panels.find((p) => p.id === "heldout")!.keys).toEqual(["eval/pass@1", "eval/cons@4"]);
    expect(panels.find((p) => p.id === "group-custom")!.keys).toEqual(["custom/a", "custom/b"]);
    // Every metric key but the x axis is on some panel.
    const drawn = new Set(panels.filter((p) => p.source === "metrics").flatMap((p) => [...p.keys, ...(p.band ? [p.band.low, p.band.high] : [])]));
    expect(keys.filter((k) => !drawn.has(k))).toEqual(["step"]);
  });

  test("panels without data are left out; a pattern's * is one path segment", () => {
    expect(layoutPanels(["step", "reward"]).map((p) => p.id)).toEqual(["reward"]);
    expect(matchKeys("rewards/*/mean", ["rewards/a/mean", "rewards/a/b/mean", "rewards/x/std"])).toEqual(["rewards/a/mean"]);
    expect(keysOf([{ a: 1 }, { b: 2, a: 3 }])).toEqual(["a", "b"]);
  });
});

describe("alerts", () => {
  const healthy = Array.from({ length: 10 }, (_, i) => ({ ...fixtureMetrics(i + 1), "completions/clipped_ratio": 0.01 }));

  test("a healthy run raises none", () => {
    expect(runAlerts(healthy)).toEqual([]);
  });

  test("truncation > 5%, entropy collapse, NaN, zero-std stuck high", () => {
    const bad = healthy.map((r, i) => ({ ...r, entropy: i < 3 ? 0.5 : 0.01, frac_reward_zero_std: 0.95, "completions/clipped_ratio": 0.2 }));
    (bad[4] as Record<string, unknown>).kl = null;
    expect(runAlerts(bad).map((a) => a.id)).toEqual(["nan", "truncation", "entropy_collapse", "zero_std"]);
    expect(runAlerts(bad)[0]!.message).toBe("step 5: kl is not a number (null)");
    // Zero-std high for fewer than 5 steps is not yet "stuck".
    expect(runAlerts(healthy.map((r, i) => ({ ...r, frac_reward_zero_std: i >= 6 ? 1 : 0.3 }))).map((a) => a.id)).toEqual([]);
  });
});

describe("completions browser queries", () => {
  const rows: CompletionRow[] = [1, 2, 3].flatMap((step) =>
    ["p", `q${step}`].flatMap((prompt) =>
      [0, 1, 2, 3].map((k) => ({ step, prompt, completion: `${step}/${prompt}/${k}`, rewards: { accuracy: k === 0 ? 1 : 0, format: 1 }, finishReason: k === 3 ? "length" : "stop" })),
    ),
  );

  test("by step, filtered correct / wrong / truncated, paged", () => {
    expect(queryCompletions(rows, { step: 2 }).total).toBe(8);
    expect(queryCompletions(rows, { step: 2, filter: "correct" }).rows.map((r) => r.completion)).toEqual(["2/p/0", "2/q2/0"]);
    expect(queryCompletions(rows, { step: 2, filter: "wrong" }).total).toBe(6);
    expect(queryCompletions(rows, { filter: "truncated" }).total).toBe(6);
    const page = queryCompletions(rows, { offset: 20, limit: 3 });
    expect([page.total, page.offset, page.rows.map((r) => r.completion)]).toEqual([24, 20, ["3/q3/0", "3/q3/1", "3/q3/2"]]);
  });

  test("a prompt seen at several steps can be compared; the export cap keeps the newest steps whole", () => {
    expect(repeatedPrompts(rows)).toEqual([{ prompt: "p", probe: false, steps: [1, 2, 3] }]);
    const bytes = rows.filter((r) => r.step >= 2).reduce((n, r) => n + JSON.stringify(r).length + 1, 0);
    expect(capCompletions(rows, bytes - 1).omitted).toBe(16);
    const capped = capCompletions(rows, bytes);
    expect([...new Set(capped.rows.map((r) => r.step))]).toEqual([2, 3]);
    expect(capped.omitted).toBe(8);
  });
});

test("data inlined into a page cannot end its <script> element, and reads back unchanged", () => {
  const hostile = { s: "</script><script>alert(1)</script><!-- \u2028\u2029" };
  const text = jsonForScript(hostile);
  expect(text).not.toMatch(/<\/?script|<!--/i);
  expect(JSON.parse(text)).toEqual(hostile);
  const html = pageHtml({ title: "<t>", script: { inline: "var s='</script>';" }, css: { inline: "" }, data: hostile });
  expect(html.match(/<\/script>/g)!.length).toBe(2); // the data element's and the script's own closing tags only
  expect(html).toContain("<title>&lt;t&gt;</title>");
});
