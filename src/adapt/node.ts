/** Expert and adapter files on disk (Node). */
import { readFile, writeFile } from "node:fs/promises";
import { CheckpointError } from "../core/errors.js";
import { decodeSvfExpert, encodeSvfExpert } from "./expert-file.js";
import type { SvfExpert } from "./svf.js";

/** Reads an SVF expert file. @throws CheckpointError when missing or not an expert */
export async function readSvfExpert(path: string): Promise<SvfExpert> {
  const buf = await readFile(path).catch((e: Error) => {
    throw new CheckpointError(`cannot read expert ${path}: ${e.message}`);
  });
  return decodeSvfExpert(buf, path);
}

/** Writes an SVF expert file. */
export async function writeSvfExpert(path: string, e: SvfExpert): Promise<void> {
  await writeFile(path, Buffer.concat(encodeSvfExpert(e)));
}
