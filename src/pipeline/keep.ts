/**
 * Keep policies of rejection sampling: which of a prompt's n scored samples become SFT rows. Samples that failed a
 * readability filter or whose reward is null (unscorable) are never kept.
 *
 * - `all-correct`: every sample whose correctness reward is ≥ 1 (DeepSeek-R1 §2.3.3: "retain only the correct
 *   ones").
 * - `best-of-n`: the one sample with the highest total (weighted) reward; ties → shorter, then lower index.
 * - `shortest-correct`: the shortest correct sample (Kimi k1.5 §2.4, "shortest rejection sampling"); ties → lower
 *   index.
 * - `all`: every sample, scored or not, readable or not (each row says which): the input of preference-pair
 *   building (`pairs.ts`, Kimi k1.5 §2.4's DPO data) and of any analysis that needs the failures too.
 *
 * Length is in tokens when every sample of the prompt reports them, else in characters (code points).
 */

export type KeepPolicy = "all-correct" | "best-of-n" | "shortest-correct" | "all";

export interface Candidate {
  /** Sample index within the prompt (0 … n−1). */
  index: number;
  text: string;
  tokens?: number;
  /** Score of the correctness reward (1 = correct); null = unscorable. */
  correct: number | null;
  /** Weighted total reward; null = unscorable. */
  total: number | null;
  /** Failed a readability filter. */
  rejected: boolean;
}

type KeepFn = (c: readonly Candidate[], length: (c: Candidate) => number) => Candidate[];

const isCorrect = (c: Candidate) => !c.rejected && c.correct !== null && c.correct >= 1;

const allCorrect: KeepFn = (cs) => cs.filter(isCorrect);

const bestOfN: KeepFn = (cs, len) => {
  const ok = cs.filter((c) => !c.rejected && c.total !== null);
  const best = ok.reduce<Candidate | null>((b, c) => {
    if (b === null) return c;
    if (c.total! !== b.total!) return c.total! > b.total! ? c : b;
    return len(c) < len(b) ? c : b; // earlier index wins a full tie (reduce keeps `b`)
  }, null);
  return best === null ? [] : [best];
};

const shortestCorrect: KeepFn = (cs, len) => {
  const ok = cs.filter(isCorrect);
  const best = ok.reduce<Candidate | null>((b, c) => (b === null || len(c) < len(b) ? c : b), null);
  return best === null ? [] : [best];
};

export const KEEP_POLICIES = {
  "all-correct": allCorrect,
  "best-of-n": bestOfN,
  "shortest-correct": shortestCorrect,
  all: (cs) => [...cs],
} satisfies Record<KeepPolicy, KeepFn>;

export const KEEP_POLICY_NAMES = Object.keys(KEEP_POLICIES) as KeepPolicy[];

/** Whether a policy needs a correctness reward. */
export function needsCorrectness(policy: KeepPolicy): boolean {
  return policy !== "best-of-n";
}

/** The samples of one prompt that `policy` keeps, in sample order. */
export function keepSamples(policy: KeepPolicy, candidates: readonly Candidate[]): Candidate[] {
  const byTokens = candidates.every((c) => c.tokens !== undefined);
  const length = (c: Candidate) => (byTokens ? c.tokens! : [...c.text].length);
  return KEEP_POLICIES[policy](candidates, length).sort((a, b) => a.index - b.index);
}
