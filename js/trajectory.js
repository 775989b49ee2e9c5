// One optimizer's run from one start, with the library's records and stopping rule
// (optbook.run.trajectory on a 2-D landscape, kernels2d's loop): iterate x_t, f(x_t) and
// |grad f(x_t)|^2 for t = 0..steps; the run stops at the first iterate with a coordinate beyond
// `bound` in absolute value or a non-finite loss or gradient, and that index is `divergedAt`.

import { nadamDecayFactor } from "./rules.js";

/**
 * Run `rule` (from ./rules.js) with hyper-parameters `h` (by the library's names) on the
 * landscape function `f` (./landscapes.js) from `x0` for `steps` steps.
 *
 * Returns { positions (Float64Array, x_t at [2t], [2t+1]), losses, gradSq, count (iterates
 * recorded), divergedAt (null when none) }.
 */
export function trajectory(f, rule, h, x0, steps, bound = 1e6) {
  if (!Number.isInteger(steps) || steps < 1) {
    throw new RangeError(`steps must be an integer >= 1, got ${steps}`);
  }
  const positions = new Float64Array(2 * (steps + 1));
  const losses = new Float64Array(steps + 1);
  const gradSq = new Float64Array(steps + 1);
  const s = new Float64Array(8);
  const k = new Float64Array(9);
  const counters = Float64Array.of(1.0, 1.0, 1.0);
  const out = new Float64Array(3);
  s[0] = x0[0];
  s[1] = x0[1];
  (rule.initial ?? []).forEach((name, row) => {
    s[2 + 2 * row] = h[name];
    s[3 + 2 * row] = h[name];
  });
  const hyper = "momentum_decay" in h ? { ...h, decay_factor: nadamDecayFactor(h) } : h;
  if (!rule.perStep) rule.constants(hyper, counters, k, 1.0);
  const gamma = h.gamma;
  const decay = rule.decay === undefined ? 0.0 : (h[rule.decay] ?? 0.0);
  for (let t = 0; t <= steps; t++) {
    const x0t = s[0];
    const x1t = s[1];
    f(x0t, x1t, out);
    let g0 = out[1];
    let g1 = out[2];
    const sq = g0 * g0 + g1 * g1;
    if (!(Math.abs(x0t) <= bound && Math.abs(x1t) <= bound && Number.isFinite(out[0])
          && Number.isFinite(sq))) {
      return { positions, losses, gradSq, count: t, divergedAt: t };
    }
    positions[2 * t] = x0t;
    positions[2 * t + 1] = x1t;
    losses[t] = out[0];
    gradSq[t] = sq;
    if (t === steps) break;
    if (rule.lookahead) {
      f(x0t - gamma * s[2], x1t - gamma * s[3], out);
      g0 = out[1];
      g1 = out[2];
    }
    if (decay !== 0.0) {
      // lambda times the point where the gradient was taken
      g0 = g0 + decay * (rule.lookahead ? x0t - gamma * s[2] : x0t);
      g1 = g1 + decay * (rule.lookahead ? x1t - gamma * s[3] : x1t);
    }
    if (rule.perStep) rule.constants(hyper, counters, k, t + 1.0);
    rule.step(s, g0, g1, k);
  }
  return { positions, losses, gradSq, count: steps + 1, divergedAt: null };
}
