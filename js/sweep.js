// The heavy-ball rate map: optbook.run.sweep's fast path (sweep_heavy_ball: heavy ball over
// (lr, gamma) on a 2-D quadratic, in the Hessian's eigenbasis), cell by cell. Each cell's
// arithmetic is the library's (_move, its window, the blocks' largest squared errors, their
// logarithm log_positive, the running sums, exp), so the cells' rates are its rates; the
// library's blocks of cells, snapshots and re-runs change the order of the work, not a value.

import { exp } from "./libm.js";
import { BLOCK_STEPS, RATE_FLOOR, SETTLE, firstBlock, fitSlope } from "./rates.js";

const BITS = new Float64Array(1);
const WORDS = new Uint32Array(BITS.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LN2 = 0.6931471805599453;
// Block arithmetic in the stepping loops by shifts and masks (an integer division there slows
// the whole sweep by a third): BLOCK_STEPS is a power of two.
const BLOCK_SHIFT = Math.log2(BLOCK_STEPS);
const BLOCK_MASK = BLOCK_STEPS - 1;
if (!Number.isInteger(BLOCK_SHIFT)) throw new Error("BLOCK_STEPS must be a power of two");

/**
 * sweep_heavy_ball.log_positive: the natural logarithm of a positive normal double with its
 * operations (x = 2^e m, m in [sqrt(1/2), sqrt 2), log x = e ln 2 + 2 artanh s, s =
 * (m - 1)/(m + 1), the series to s^11): within 1.8e-11 of log x, and the library's double.
 */
export function logPositive(x) {
  BITS[0] = x;
  let exponent = (WORDS[HI] >>> 20) - 1023;
  WORDS[HI] = (WORDS[HI] & 0x000FFFFF) | 0x3FF00000;
  let mantissa = BITS[0];
  if (mantissa > 1.4142135623730951) {
    mantissa = 0.5 * mantissa;
    exponent += 1;
  }
  const s = (mantissa - 1.0) / (mantissa + 1.0);
  const z = s * s;
  const series = 1.0 + z * (1.0 / 3.0 + z * (1.0 / 5.0 + z * (1.0 / 7.0 + z * (1.0 / 9.0
    + z * (1.0 / 11.0)))));
  return exponent * LN2 + 2.0 * s * series;
}

/**
 * The running maximum of a block's squared errors after step k's error e: the block's
 * maximum is stored in blockHigh when step k ends it (the running maximum starts again at 0),
 * else the running maximum goes on.
 */
function keepHigh(blockHigh, k, high, e) {
  const top = e > high ? e : high;
  if ((k & BLOCK_MASK) !== 0) return top;
  blockHigh[(k >> BLOCK_SHIFT) - 1] = top;
  return 0.0;
}

/**
 * Heavy ball from the eigen-coordinates (u0, u1) = V^T (x0 - x*) of the start on the quadratic
 * with eigenvalues lam0, lam1, for every cell (lrs[i], gammas[i]).
 *
 * `pytorchForm` selects b = mu b + g, x -= lr b instead of the velocity form; `f0` is the
 * minimum value. Writes rate[i] (NaN where diverged), finalLoss[i] (at the end of the cell's
 * window) and diverged[i] (1 or 0).
 *
 * With `fastRates` the fit takes the browser's Math.log and Math.exp instead of the library's
 * own logarithm (log_positive, within 1.8e-11 of log) and glibc's exp: the sweep is about a
 * fifth faster, every other value is the same, and each rate lies within FAST_RATE_BOUND
 * (relative) of the library's: the fit's slope is a sum of the logarithms weighted by at most
 * 1/4 in all, so it moves by at most 1/4 of 1.8e-11 plus rounding, the rate by half that
 * (tests/js finds at most 1e-11 on the vectors' maps; the bound leaves a hundredfold margin).
 */
export function heavyBallSweep({
  lam0, lam1, u0, u1, lrs, gammas, pytorchForm = false, steps, burnIn = Math.floor(steps / 2),
  bound = 1e6, f0 = 0.0, fastRates = false,
}, rate, finalLoss, diverged) {
  const e0Sq = u0 * u0 + u1 * u1;
  const floorSq = RATE_FLOOR * RATE_FLOOR * e0Sq;
  const boundSq = bound * bound;
  // The fit reads each block's largest squared error: kept while stepping (a running maximum,
  // stored when a block ends), not gathered from every step's error afterwards. A block that
  // reaches past the window's end (a run settled on the floor) also holds errors after it,
  // all at or below the floor, so its maximum counts (is above the floor) exactly when the
  // library's does, and is then the same number.
  const blockHigh = new Float64Array(Math.ceil(steps / BLOCK_STEPS) + 1);
  for (let cell = 0; cell < lrs.length; cell++) {
    const lr = lrs[cell];
    const gamma = gammas[cell];
    const a0 = pytorchForm ? lr : lr * lam0;
    const a1 = pytorchForm ? lr : lr * lam1;
    let x0 = u0;
    let x1 = u1;
    let v0 = 0.0;
    let v1 = 0.0;
    let since = -1;
    let settled0 = 0.0;
    let settled1 = 0.0;
    let beyond = false;
    let k = 0;
    let high = 0.0; // the largest squared error of the current block so far
    let settledSq = 0.0;
    let e = 0.0; // the squared error at step k
    while (k < steps) {
      // the common stretch, above the floor and within the bound: one test a step
      e = 0.0;
      if (pytorchForm) {
        while (k < steps) {
          k += 1;
          const w0 = gamma * v0 + lam0 * x0;
          const w1 = gamma * v1 + lam1 * x1;
          x0 = x0 - a0 * w0;
          x1 = x1 - a1 * w1;
          v0 = w0;
          v1 = w1;
          e = x0 * x0 + x1 * x1;
          high = keepHigh(blockHigh, k, high, e);
          if (!(e > floorSq && e <= boundSq)) break;
        }
      } else {
        while (k < steps) {
          k += 1;
          const w0 = gamma * v0 + a0 * x0;
          const w1 = gamma * v1 + a1 * x1;
          x0 = x0 - w0;
          x1 = x1 - w1;
          v0 = w0;
          v1 = w1;
          e = x0 * x0 + x1 * x1;
          high = keepHigh(blockHigh, k, high, e);
          if (!(e > floorSq && e <= boundSq)) break;
        }
      }
      if (e > floorSq && e <= boundSq) {
        since = -1;
        continue;
      }
      if (!(e <= boundSq)) {
        beyond = true;
        break;
      }
      // at or below the floor at step k: settled if it stays there SETTLE steps (or to the end)
      if (since < 0) {
        since = k;
        settled0 = x0;
        settled1 = x1;
        settledSq = e;
      }
      if (k - since + 1 >= SETTLE) break;
      // step on one at a time while below the floor
      while (k < steps) {
        k += 1;
        let w0;
        let w1;
        if (pytorchForm) {
          w0 = gamma * v0 + lam0 * x0;
          w1 = gamma * v1 + lam1 * x1;
          x0 = x0 - a0 * w0;
          x1 = x1 - a1 * w1;
        } else {
          w0 = gamma * v0 + a0 * x0;
          w1 = gamma * v1 + a1 * x1;
          x0 = x0 - w0;
          x1 = x1 - w1;
        }
        v0 = w0;
        v1 = w1;
        e = x0 * x0 + x1 * x1;
        high = keepHigh(blockHigh, k, high, e);
        if (!(e <= floorSq)) break;
        if (k - since + 1 >= SETTLE) break;
      }
      if (e <= floorSq) break; // settled, or at the floor at the end of the run
      if (!(e <= boundSq)) {
        beyond = true;
        break;
      }
      since = -1; // left the floor again: back to the common stretch
    }
    if (beyond) {
      diverged[cell] = 1;
      finalLoss[cell] = NaN;
      rate[cell] = NaN;
      continue;
    }
    diverged[cell] = 0;
    if ((k & BLOCK_MASK) !== 0) blockHigh[k >> BLOCK_SHIFT] = high; // the last block, cut short
    const m = since >= 0 ? since : steps;
    const lastSq = since >= 0 ? settledSq : e;
    const end = since >= 0 ? m : steps + 1;
    if (since >= 0) {
      x0 = settled0;
      x1 = settled1;
    }
    finalLoss[cell] = f0 + 0.5 * (lam0 * x0 * x0 + lam1 * x1 * x1);
    rate[cell] = cellRate(blockHigh, Math.min(burnIn, Math.floor(m / 2)), end, m, lastSq,
      floorSq, e0Sq, fastRates);
  }
}

/** Bound on the relative difference of a rate measured with `fastRates` from the library's. */
export const FAST_RATE_BOUND = 1e-9;

/** A cell's rate from its blocks' largest squared errors: the fit over the window's blocks
 * (those from firstBlock(b) that begin before `end`), or with fewer than two points
 * sqrt(e_m^2/e_0^2)^(1/m), e_m^2 = `lastSq` (Math.pow: the last bit may differ); `fast`: the
 * fit with Math.log and Math.exp. */
function cellRate(blockHigh, b, end, m, lastSq, floorSq, e0Sq, fast) {
  let count = 0.0;
  let sumT = 0.0;
  let sumTT = 0.0;
  let sumY = 0.0;
  let sumTY = 0.0;
  for (let block = firstBlock(b); block < end; block += BLOCK_STEPS) {
    const highest = blockHigh[(block - 1) / BLOCK_STEPS];
    if (highest > floorSq) {
      const t = block + 0.5 * (BLOCK_STEPS - 1);
      const y = fast ? Math.log(highest) : logPositive(highest);
      count += 1.0;
      sumT += t;
      sumTT += t * t;
      sumY += y;
      sumTY += t * y;
    }
  }
  if (count < 2.0) return Math.sqrt(lastSq / e0Sq) ** (1.0 / m);
  const halfSlope = 0.5 * fitSlope(count, sumT, sumTT, sumY, sumTY);
  return fast ? Math.exp(halfSlope) : exp(halfSlope);
}

/** The map's span of eta lam_max (MomentumRateMap.LR_SPAN). */
export const LR_SPAN = 4.5;

/**
 * The (lr, gamma) cells of MomentumRateMap's n x n map for lam_max = kappa lam_min: cell
 * iy * n + ix has lr = (ix + 1/2) lr_max / n, lr_max = LR_SPAN / lam_max, and gamma =
 * (iy + 1/2) / n, the centres of equal slices.
 */
export function rateMapGrid(kappa, n, lamMin = 1.0) {
  const lrMax = LR_SPAN / (kappa * lamMin);
  const lrs = new Float64Array(n * n);
  const gammas = new Float64Array(n * n);
  for (let iy = 0; iy < n; iy++) {
    for (let ix = 0; ix < n; ix++) {
      lrs[iy * n + ix] = (ix + 0.5) * lrMax / n;
      gammas[iy * n + ix] = (iy + 0.5) / n;
    }
  }
  return { lrs, gammas };
}
