/**
 * Names of the objectives an RL run can use (`objective` config key) — apart from the registry (`index.ts`) so that
 * configs and the CLI can validate a name without loading jax-js.
 */
export const RL_OBJECTIVES = ["grpo", "reinforce", "omd"] as const;
export type RlObjectiveName = (typeof RL_OBJECTIVES)[number];
