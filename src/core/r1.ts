/** Constants from the DeepSeek-R1 paper that several layers use (no imports). */

/**
 * DeepSeek-R1's evaluation sampling (R1 §3.1 "Evaluation Setup": "a sampling temperature of 0.6 and a top-p value
 * of 0.95"), also its recommended setting for using the models.
 */
export const R1_EVAL_SAMPLING = Object.freeze({ temperature: 0.6, topP: 0.95 });
