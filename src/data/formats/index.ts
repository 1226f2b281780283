/** Dataset file readers (JSONL, Parquet) and record → example mappings. */
export { fileFormat, isDatasetFile, parseJsonlRecords, readParquetRecords, readRecords, type FileFormat, type LocatedRecord } from "./records.js";
export { chatToExample, parseMessages, SFT_FIELD_DEFAULTS, toSftExample, type SftExample, type SftFieldMapping } from "./sft.js";
export { loadSftExamples } from "./load.js";
