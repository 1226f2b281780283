/** `thinkrl export --merge`, `thinkrl svf list`, `thinkrl svf inspect`: adapter files from the command line. */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { RunLog } from "../../core/log.js";
import { openModel } from "./shared.js";

/** Writes the base model with the adapter merged in, as a Hugging Face checkpoint. */
export async function runExport(o: Record<string, unknown>, log: RunLog): Promise<void> {
  const { ConfigError } = await import("../../core/errors.js");
  if (o.merge !== true) throw new ConfigError("export writes merged checkpoints only: pass --merge", { hint: "inference engines cannot load SVF vectors; a merged checkpoint loads anywhere" });
  if (o.expert === undefined && o.adapterPath === undefined) throw new ConfigError("export --merge needs --expert <file> or --adapter-path <dir>");
  const { model, generationConfig } = await openModel(o.model);
  const { applyAdapter } = await import("../../pipeline/adapters.js");
  const a = await applyAdapter(model, { expert: o.expert as string[] | undefined, expertWeights: o.expertWeights as number[] | undefined, adapterPath: o.adapterPath as string | undefined }, (m) => log.progress(m));
  const { saveModel } = await import("../../train/state.js");
  await saveModel(String(o.out), a.model, generationConfig ?? undefined);
  log.info(`wrote ${String(o.out)}: ${a.description} merged`);
}

/** SVF expert files under `dir` (recursively), one line each. */
export async function runSvfList(dir: string): Promise<void> {
  const { parseSafetensorsMetadata } = await import("../../model/safetensors.js");
  const found: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.endsWith(".safetensors") && !e.name.startsWith("model")) found.push(p);
    }
  };
  await walk(dir);
  const rows: string[] = [];
  for (const f of found.sort()) {
    const buf = await readFile(f);
    let meta: Record<string, string>;
    try {
      meta = parseSafetensorsMetadata(buf, f);
    } catch {
      continue;
    }
    if (meta.thinkrl_adapter !== "svf") continue;
    const score = meta.validation_score ? `${(100 * Number(meta.validation_score)).toFixed(1)}%` : "-";
    rows.push(`${f}  task ${meta.task || "-"}  ${meta.param_count} values  ${meta.parameterization}  validation ${score}  step ${meta.step ?? "-"}  base ${meta.base_hash!.slice(0, 12)}`);
  }
  console.log(rows.length > 0 ? rows.join("\n") : `no SVF expert files under ${dir}`);
}

/** An expert's metadata and per-matrix applied-mask statistics. */
export async function runSvfInspect(file: string): Promise<void> {
  const { readSvfExpert } = await import("../../adapt/node.js");
  const { appliedMask, svfParamCount } = await import("../../adapt/svf.js");
  const e = await readSvfExpert(file);
  const m = e.meta;
  console.log(`${file}\n  parameterization ${e.parameterization}${e.parameterization === "sigmoid" ? ` (max_mult ${e.maxMult})` : ""}  ${svfParamCount(e)} values over ${e.vectors.size} matrices`);
  console.log(`  task ${m.task ?? "-"}  targets ${m.targets.join(",") || "-"}  validation ${m.validationScore ?? "-"}  base ${m.baseHash}`);
  for (const [k, v] of Object.entries(m.extra ?? {})) console.log(`  ${k} ${v}`);
  for (const [name, v] of e.vectors) {
    const a = appliedMask(e, v);
    let lo = Infinity, hi = -Infinity, sum = 0;
    for (const x of a) (lo = Math.min(lo, x)), (hi = Math.max(hi, x)), (sum += x);
    console.log(`  ${name}  k ${v.length}  mask min ${lo.toFixed(4)} mean ${(sum / a.length).toFixed(4)} max ${hi.toFixed(4)}`);
  }
}
