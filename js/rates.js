// Measured linear rates of a run, as optbook.run measures them (its module docstring): one
// window [b, m) of the errors e_t = |x_t - x*|, read only above the floor RATE_FLOOR e_0.

import { exp } from "./libm.js";

/** Relative error e_t/e_0 at which rate measurements stop (run.RATE_FLOOR). */
export const RATE_FLOOR = 1e-12;

/** Steps at or below the floor after which a run counts as settled there (run.SETTLE). */
export const SETTLE = 20;

/** The fit reads the largest error of each block of steps 8q+1 .. 8q+8 (run.BLOCK_STEPS). */
export const BLOCK_STEPS = 8;

/** |x_t - x*| for the `count` iterates of `positions` (x_t at [2t], [2t+1]). */
export function errorNorms(positions, count, minimizer) {
  const errors = new Float64Array(count);
  for (let t = 0; t < count; t++) {
    const d0 = positions[2 * t] - minimizer[0];
    const d1 = positions[2 * t + 1] - minimizer[1];
    errors[t] = Math.sqrt(d0 * d0 + d1 * d1);
  }
  return errors;
}

function checked(errors) {
  if (errors.length < 2) {
    throw new RangeError(`errors must hold at least 2 values, got ${errors.length}`);
  }
  if (!errors.every(Number.isFinite)) return null;
  if (errors.some((e) => e < 0)) throw new RangeError("errors must be norms, >= 0");
  if (!(errors[0] > 0)) throw new RangeError(`errors[0] must be > 0, got ${errors[0]}`);
  return errors;
}

/** The first step of the first block 8q+1 .. 8q+8 beginning at or after step b (and after
 * the start): sweep_heavy_ball.first_block. */
export function firstBlock(b) {
  return Math.floor((Math.max(b, 1) + BLOCK_STEPS - 2) / BLOCK_STEPS) * BLOCK_STEPS + 1;
}

/** run._window: { b, end, m }, the window range(b, end) and the step m it ends at. */
function measurementWindow(errors, burnIn) {
  const n = errors.length - 1;
  const floor = RATE_FLOOR * errors[0];
  let since = -1;
  for (let k = 1; k <= n; k++) {
    if (errors[k] <= floor) {
      if (since < 0) since = k;
      if (k - since + 1 >= SETTLE) break;
    } else {
      since = -1;
    }
  }
  const m = since >= 0 ? since : n;
  return { b: Math.min(burnIn, Math.floor(m / 2)), end: since >= 0 ? m : n + 1, m };
}

/** The slope of the least-squares line through `count` points from their sums
 * (sweep_heavy_ball.fit_slope). */
export function fitSlope(count, sumT, sumTT, sumY, sumTY) {
  return (count * sumTY - sumT * sumY) / (count * sumTT - sumT * sumT);
}

/**
 * run.fitted_rate: exp of the slope of the least-squares line through the log of the largest
 * error of each 8-step block of the window; (e_m/e_0)^(1/m) with fewer than two blocks. NaN
 * for a diverged run. Math.log and Math.pow may differ from the C library's in the last bit
 * (tests/js bounds the rate to 1e-15).
 */
export function fittedRate(errors, burnIn = Math.floor((errors.length - 1) / 2)) {
  if (checked(errors) === null) return NaN;
  const { b, end, m } = measurementWindow(errors, burnIn);
  const floor = RATE_FLOOR * errors[0];
  let count = 0.0;
  let sumT = 0.0;
  let sumTT = 0.0;
  let sumY = 0.0;
  let sumTY = 0.0;
  for (let block = firstBlock(b); block < end; block += BLOCK_STEPS) {
    let top = floor;
    for (let t = block; t < Math.min(block + BLOCK_STEPS, end); t++) {
      top = Math.max(top, errors[t]);
    }
    if (top > floor) {
      const t = block + 0.5 * (BLOCK_STEPS - 1);
      const y = Math.log(top);
      count += 1.0;
      sumT += t;
      sumTT += t * t;
      sumY += y;
      sumTY += t * y;
    }
  }
  if (count < 2.0) return (errors[m] / errors[0]) ** (1.0 / m);
  return exp(fitSlope(count, sumT, sumTT, sumY, sumTY));
}

/**
 * run.empirical_rate: (e_last/e_first)^(1/(last - first)) between the first and last errors
 * read in the window; (e_m/e_0)^(1/m) with fewer than two. NaN for a diverged run.
 */
export function empiricalRate(errors, burnIn = Math.floor((errors.length - 1) / 2)) {
  if (checked(errors) === null) return NaN;
  const { b, end, m } = measurementWindow(errors, burnIn);
  const floor = RATE_FLOOR * errors[0];
  let first = -1;
  let last = -1;
  for (let k = b; k < end; k++) {
    if (errors[k] > floor) {
      if (first < 0) first = k;
      last = k;
    }
  }
  if (last - first < 1) return (errors[m] / errors[0]) ** (1.0 / m);
  return (errors[last] / errors[first]) ** (1.0 / (last - first));
}
