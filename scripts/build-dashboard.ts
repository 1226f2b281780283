/**
 * Builds the dashboard page's assets (run by `npm run build`): `src/dashboard/client/main.ts` bundled with uPlot by
 * esbuild into one script, and uPlot's stylesheet followed by the page's own into one stylesheet — so the page needs
 * no network (no CDN) and an exported report can inline both.
 *
 *   npx tsx scripts/build-dashboard.ts [out dir, default dist/dashboard]
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";

const ROOT = resolve(import.meta.dirname, "..");

/**
 * Writes `app.js` and `app.css` (the dashboard), `web.js` and `verify-worker.js` (`thinkrl web`) into `outDir`.
 * @returns their sizes in bytes
 */
export async function buildDashboardAssets(outDir: string): Promise<{ js: number; css: number; web: number }> {
  const r = await build({
    entryPoints: [join(ROOT, "src/dashboard/client/main.ts")],
    bundle: true,
    write: false,
    format: "iife",
    platform: "browser",
    target: "es2020",
    minify: true,
    legalComments: "inline",
    logLevel: "silent",
  });
  const js = r.outputFiles[0]!.text;
  const uplotCss = await readFile(createRequire(import.meta.url).resolve("uplot/dist/uPlot.min.css"), "utf8");
  const css = `${uplotCss}\n${await readFile(join(ROOT, "src/dashboard/client/style.css"), "utf8")}`;
  // `thinkrl web`: the browser entry (jax-js included) with the in-tab trainer page, one ES module.
  const w = await build({
    entryPoints: [join(ROOT, "src/web/client/main.ts")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    legalComments: "inline",
    logLevel: "silent",
  });
  const web = w.outputFiles[0]!.text;
  // Its maths verifier's Web Worker (symbolic checks off the page's thread, terminated at the time limit).
  const v = await build({
    entryPoints: [join(ROOT, "src/reward/math/web-worker.ts")],
    bundle: true,
    write: false,
    format: "iife",
    platform: "browser",
    target: "es2022",
    minify: true,
    legalComments: "inline",
    logLevel: "silent",
  });
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, "web.js"), web);
  await writeFile(join(outDir, "verify-worker.js"), v.outputFiles[0]!.text);
  await writeFile(join(outDir, "app.js"), js);
  await writeFile(join(outDir, "app.css"), css);
  return { js: js.length, css: css.length, web: web.length };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const out = resolve(process.argv[2] ?? join(ROOT, "dist/dashboard"));
  const s = await buildDashboardAssets(out);
  console.log(`dashboard assets: ${out} (app.js ${(s.js / 1024).toFixed(0)} KiB, app.css ${(s.css / 1024).toFixed(0)} KiB, web.js ${(s.web / 1024).toFixed(0)} KiB)`);
}
