/** Loading a whole SFT dataset file. */
import { readRecords } from "./records.js";
import { SFT_FIELD_DEFAULTS, toSftExample, type SftExample, type SftFieldMapping } from "./sft.js";

/**
 * Reads a `.jsonl` / `.parquet` file of prompt/completion or `messages` rows.
 * @throws DatasetError naming `file:row` for the first bad row
 */
export async function loadSftExamples(path: string, fields: Partial<SftFieldMapping> = {}): Promise<SftExample[]> {
  const f = { ...SFT_FIELD_DEFAULTS, ...fields };
  return (await readRecords(path)).map((r) => toSftExample(r, f));
}
