#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm ci` (the `prepare` script runs tsc).
import("../dist/src/cli/main.js").catch((err) => {
  if (err && err.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes("dist/src/cli/main.js")) {
    console.error("error: thinkrl is not built; run `npm ci` (or `npm run build`) in the package directory");
    process.exit(1);
  }
  throw err;
});
