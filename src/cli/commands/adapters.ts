/** `thinkrl export --merge`, `thinkrl svf list`, `thinkrl svf inspect`: adapter files from the command line. */
import type { RunLog } from "../../core/log.js";
import { openModel } from "./shared.js";

/** Writes the base model with the adapter merged in, as a Hugging Face checkpoint (`exportMerged`). */
export async function runExport(o: Record<string, unknown>, log: RunLog): Promise<void> {
  const { ConfigError } = await import("../../core/errors.js");
  if (o.merge !== true) throw new ConfigError("export writes merged checkpoints only: pass --merge", { hint: "inference engines cannot load SVF vectors; a merged checkpoint loads anywhere" });
  if (o.expert === undefined && o.adapterPath === undefined) throw new ConfigError("export --merge needs --expert <file> or --adapter-path <dir>");
  const { checkExportTarget, exportMerged } = await import("../../pipeline/adapters.js");
  const out = String(o.out);
  await checkExportTarget(out, o.force === true); // before the model loads
  const { model, generationConfig } = await openModel(o.model);
  const spec = { expert: o.expert as string[] | undefined, expertWeights: o.expertWeights as number[] | undefined, adapterPath: o.adapterPath as string | undefined };
  const description = await exportMerged(model, spec, out, { force: o.force === true, generationConfig, log: (m) => log.progress(m) });
  log.info(`wrote ${out}: ${description} merged`);
}

/** SVF expert files under `dir` (recursively), one line each (`listSvfExperts`). */
export async function runSvfList(dir: string): Promise<void> {
  const { listSvfExperts } = await import("../../pipeline/adapters.js");
  const rows = (await listSvfExperts(dir)).map((e) => {
    const score = e.validationScore === null ? "-" : `${(100 * e.validationScore).toFixed(1)}%`;
    return `${e.path}  task ${e.task ?? "-"}  ${e.paramCount} values  ${e.parameterization}  validation ${score}  step ${e.step ?? "-"}  base ${e.baseHash.slice(0, 12)}`;
  });
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
