/**
 * Optimizer as an `init` / `update` pair of pure functions (the optax design; `@jax-js/optax` is not published,
 * so thinkrl keeps its own). State goes in and comes back out; nothing is mutated.
 */
import { numpy as np, tree } from "@jax-js/jax";

type Arr = np.Array;
import type { JsTree } from "@jax-js/jax";
export type Tree = JsTree<Arr>;
const zerosLike = (t: Tree): Tree => tree.map((x: Arr) => np.zerosLike(x.ref), t as never) as Tree;

/** Sum of squares of every leaf (borrows `t`). */
function sumSquares(t: Tree): Arr {
  const leaves = tree.leaves(t as never) as Arr[];
  return leaves.map((x) => x.ref.mul(x.ref).sum()).reduce((a, b) => a.add(b));
}

/**
 * AdamW (Loshchilov & Hutter 2019, Algorithm 2) with global-norm clipping in front:
 * θ ← θ − lr · ( m̂/(√v̂+ε) + λ·θ ).
 * Implemented as one function (not a chain of transforms) so the whole step is a single jit-compiled graph.
 */
export interface AdamWConfig {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Max global gradient norm; 0 or Infinity disables clipping. */
  maxGradNorm: number;
}

export type AdamWState = { mu: Tree; nu: Tree; count: Arr };

export function adamwInit(params: Tree): AdamWState {
  return { mu: zerosLike(params), nu: zerosLike(params), count: np.zeros([]) };
}

/**
 * One AdamW step. Consumes `params`, `grads`, `state` and `lr`; returns new ones plus `grad_norm`.
 * @param lr 0-d learning-rate array (the schedule is applied by the caller).
 */
export function adamwUpdate(
  params: Tree,
  grads: Tree,
  state: AdamWState,
  lr: Arr,
  c: AdamWConfig,
): { params: Tree; state: AdamWState; gradNorm: Arr } {
  const gradNorm = np.sqrt(sumSquares(grads));
  let g = grads;
  if (c.maxGradNorm > 0 && Number.isFinite(c.maxGradNorm)) {
    const scale = np.minimum(np.array(1), np.reciprocal(gradNorm.ref.add(1e-6)).mul(c.maxGradNorm));
    g = tree.map((x: Arr) => x.mul(scale.ref), g as never) as Tree;
    scale.dispose();
  }
  const count = state.count.add(1);
  const bc1 = np.array(1).sub(np.power(np.array(c.beta1), count.ref)); // 1 − β1^t
  const bc2 = np.array(1).sub(np.power(np.array(c.beta2), count.ref)); // 1 − β2^t
  const mu = tree.map((m: Arr, x: Arr) => m.mul(c.beta1).add(x.mul(1 - c.beta1)), state.mu as never, tree.ref(g as never)) as Tree;
  const nu = tree.map((v: Arr, x: Arr) => v.mul(c.beta2).add(x.ref.mul(x).mul(1 - c.beta2)), state.nu as never, g as never) as Tree;
  const newParams = tree.map(
    (p: Arr, m: Arr, v: Arr) => {
      const mhat = m.ref.div(bc1.ref);
      const vhat = v.ref.div(bc2.ref);
      const upd = mhat.div(np.sqrt(vhat).add(c.eps)).add(p.ref.mul(c.weightDecay));
      return p.sub(upd.mul(lr.ref));
    },
    params as never,
    tree.ref(mu as never),
    tree.ref(nu as never),
  ) as Tree;
  bc1.dispose();
  bc2.dispose();
  lr.dispose();
  return { params: newParams, state: { mu, nu, count }, gradNorm };
}
