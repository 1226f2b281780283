/**
 * Cross-check against SymPy: ≥ 500 generated pairs of plain-notation expressions, judged by SymPy
 * (scripts/sympy-crosscheck.py, Debian's python3-sympy run by /usr/bin/python3) and by `verifyAnswer`; every
 * verdict must agree. Skipped, with a counted message, when SymPy is not installed (an error under
 * THINKRL_REQUIRE_SYMPY=1, as in CI).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { defaultMathVerifier, verifyAnswer } from "../../../src/reward/math/index.js";
import { Rng } from "../../../src/core/rng.js";
import { describeNeeding, SYMPY, SYMPY_PYTHON as PYTHON } from "../../helpers/requirements.js";

afterAll(() => defaultMathVerifier().close());

/** An expression tree rendered both for SymPy (`**`, `sqrt()`) and as the plain/LaTeX text a model writes. */
type Expr = { py: string; tex: string };

/** Seeded uniform [0, 1) draws (the project's Rng): the generated cases are the same on every run. */
function rng(seed: number): () => number {
  const g = new Rng(seed);
  return () => g.next();
}

const int = (r: () => number, n: number) => Math.floor(r() * n);

function gen(r: () => number, depth: number): Expr {
  const k = int(r, depth <= 0 ? 4 : 10);
  const a = () => gen(r, depth - 1);
  switch (k) {
    case 0: {
      const n = String(1 + int(r, 12));
      return { py: n, tex: n };
    }
    case 1:
      return { py: "x", tex: "x" };
    case 2:
      return { py: "y", tex: "y" };
    case 3: {
      const d = ["0.5", "1.25", "2.5", "0.2"][int(r, 4)]!;
      return { py: d, tex: d };
    }
    case 4:
    case 5: {
      const [p, q] = [a(), a()];
      return { py: `(${p.py})+(${q.py})`, tex: `${p.tex}+${q.tex}` };
    }
    case 6: {
      const [p, q] = [a(), a()];
      return { py: `(${p.py})-(${q.py})`, tex: `${p.tex}-(${q.tex})` };
    }
    case 7: {
      const [p, q] = [a(), a()];
      return { py: `(${p.py})*(${q.py})`, tex: `(${p.tex})*(${q.tex})` };
    }
    case 8: {
      const p = a();
      const d = 2 + int(r, 4);
      return { py: `(${p.py})/${d}`, tex: `\\frac{${p.tex}}{${d}}` };
    }
    default: {
      const p = a();
      const e = 2 + int(r, 2);
      return { py: `(${p.py})**${e}`, tex: `(${p.tex})^${e}` };
    }
  }
}

/** Equivalent rewrites (SymPy decides whether they really are) and near-miss mutations. */
function partner(r: () => number, e: Expr): Expr {
  switch (int(r, 8)) {
    case 0:
      return { py: `0+(${e.py})`, tex: `0+${e.tex}` };
    case 1:
      return { py: `2*(${e.py})/2`, tex: `\\frac{2(${e.tex})}{2}` };
    case 2:
      return { py: `(${e.py})+1`, tex: `${e.tex}+1` };
    case 3:
      return { py: `(${e.py})*x`, tex: `(${e.tex})x` };
    case 4:
      return { py: e.py.replaceAll("x", "(y)"), tex: e.tex.replaceAll("x", "(y)") };
    case 5:
      return { py: `(${e.py})**2`, tex: `(${e.tex})^2` };
    case 6: {
      const n = 1 + int(r, 3);
      return { py: `(${e.py})+sqrt(${n * n})-${n}`, tex: `${e.tex}+\\sqrt{${n * n}}-${n}` };
    }
    default:
      return gen(r, 2);
  }
}

describeNeeding(SYMPY, "SymPy cross-check", () => {
  test("≥ 500 plain-notation pairs: verifyAnswer agrees with SymPy on every one", async () => {
    const r = rng(31337);
    const pairs: [Expr, Expr][] = [];
    for (let k = 0; k < 520; k++) {
      const e = gen(r, 3);
      pairs.push([e, partner(r, e)]);
    }
    const dir = mkdtempSync(join(tmpdir(), "thinkrl-sympy-"));
    let verdicts: boolean[];
    try {
      const file = join(dir, "pairs.json");
      writeFileSync(file, JSON.stringify(pairs.map(([a, b]) => [a.py, b.py])));
      const out = spawnSync(PYTHON, ["scripts/sympy-crosscheck.py", file], { encoding: "utf8", timeout: 120_000 });
      expect(out.status, out.stderr).toBe(0);
      verdicts = JSON.parse(out.stdout) as boolean[];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(verdicts).toHaveLength(pairs.length);
    const trues = verdicts.filter(Boolean).length;
    // Both verdicts must be well represented for the check to mean anything.
    expect(trues).toBeGreaterThan(100);
    expect(pairs.length - trues).toBeGreaterThan(100);
    const disagree: string[] = [];
    for (let i = 0; i < pairs.length; i++) {
      const [a, b] = pairs[i]!;
      const ours = await verifyAnswer(a.tex, b.tex);
      if (ours !== verdicts[i]) disagree.push(`${a.tex}  vs  ${b.tex}: sympy ${verdicts[i]}, ours ${ours}`);
    }
    expect(disagree).toEqual([]);
  });
});
