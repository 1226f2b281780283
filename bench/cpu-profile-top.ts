/**
 * Where a V8 CPU profile's time goes: self time and inclusive time by function, largest first.
 *
 *   node --cpu-prof --cpu-prof-dir=prof dist/bench/gpu-host.js     # (NODE_OPTIONS refuses --cpu-prof: pass it to node)
 *   npx tsx bench/cpu-profile-top.ts prof/*.cpuprofile [--top 30]
 *
 * Self time = samples whose top frame is the function; inclusive = samples with the function anywhere on the stack
 * (counted once per sample). Functions are keyed by name, file and line.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { parseArgs } from "node:util";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({ options: { top: { type: "string", default: "30" } }, allowPositionals: true });
if (positionals.length === 0) {
  console.error("usage: cpu-profile-top.ts FILE.cpuprofile… [--top N]");
  process.exit(1);
}
const self = new Map<string, number>();
const incl = new Map<string, number>();
let total = 0;
for (const file of positionals) {
  const p = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const key = (n: Node) => {
    const f = n.callFrame;
    return `${f.functionName || "(anonymous)"} ${f.url ? basename(f.url) : ""}:${f.lineNumber + 1}`;
  };
  for (let i = 0; i < p.samples.length; i++) {
    const dt = (p.timeDeltas[i] ?? 0) / 1000; // ms
    total += dt;
    let id: number | undefined = p.samples[i]!;
    const top = byId.get(id)!;
    self.set(key(top), (self.get(key(top)) ?? 0) + dt);
    const seen = new Set<string>();
    while (id !== undefined) {
      const k = key(byId.get(id)!);
      if (!seen.has(k)) {
        seen.add(k);
        incl.set(k, (incl.get(k) ?? 0) + dt);
      }
      id = parent.get(id);
    }
  }
}
const n = Number(values.top);
const show = (title: string, m: Map<string, number>) => {
  console.log(`\n${title} (of ${total.toFixed(0)} ms sampled)`);
  for (const [k, ms] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${ms.toFixed(0).padStart(8)} ms ${((100 * ms) / total).toFixed(1).padStart(5)}%  ${k}`);
};
show("self time", self);
show("inclusive time", incl);
