/**
 * The first pass of Transformer²'s prompt strategy (§3.2): the classification prompt and its parser, pure and
 * browser-safe. Defined in `data/classify.ts` (the `t2-classify` task and the accuracy reward need it there);
 * re-exported here, where the adaptation code looks for it.
 */
export { OTHER_CATEGORY, classificationPrompt, parseCategory } from "../data/classify.js";
