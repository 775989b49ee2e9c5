// The heavy-ball rate map: optbook.run.sweep's fast path (heavy ball over (lr, gamma) on a 2-D
// quadratic, in the Hessian's eigenbasis), cell by cell. Each cell's arithmetic is the
// library's (_heavy_ball_advance, _window_rate), so the cells' rates are its rates; only the
// order in which cells run differs, which changes no value.

import { RATE_FLOOR, windowRate } from "./rates.js";

/**
 * Heavy ball from the eigen-coordinates (u0, u1) = V^T (x0 - x*) of the start on the quadratic
 * with eigenvalues lam0, lam1, for every cell (lrs[i], gammas[i]).
 *
 * `pytorchForm` selects b = mu b + g, x -= lr b instead of the velocity form; `f0` is the
 * minimum value. Writes rate[i] (NaN where diverged), finalLoss[i] and diverged[i] (1 or 0).
 */
export function heavyBallSweep({
  lam0, lam1, u0, u1, lrs, gammas, pytorchForm = false, steps, burnIn = Math.floor(steps / 2),
  bound = 1e6, f0 = 0.0,
}, rate, finalLoss, diverged) {
  const e0Sq = u0 * u0 + u1 * u1;
  const floorSq = RATE_FLOOR * RATE_FLOOR * e0Sq;
  const boundSq = bound * bound;
  const history = new Float64Array(steps + 1);
  history[0] = e0Sq;
  for (let cell = 0; cell < lrs.length; cell++) {
    const lr = lrs[cell];
    const gamma = gammas[cell];
    const ca0 = pytorchForm ? lr : lr * lam0;
    const ca1 = pytorchForm ? lr : lr * lam1;
    let x0 = u0;
    let x1 = u1;
    let v0 = 0.0;
    let v1 = 0.0;
    let e = e0Sq;
    let stop = steps;
    for (let k = 1; k <= steps; k++) {
      let w0;
      let w1;
      if (pytorchForm) {
        w0 = gamma * v0 + lam0 * x0;
        w1 = gamma * v1 + lam1 * x1;
        x0 = x0 - ca0 * w0;
        x1 = x1 - ca1 * w1;
      } else {
        w0 = gamma * v0 + ca0 * x0;
        w1 = gamma * v1 + ca1 * x1;
        x0 = x0 - w0;
        x1 = x1 - w1;
      }
      v0 = w0;
      v1 = w1;
      e = x0 * x0 + x1 * x1;
      history[k] = e;
      if (!(e > floorSq && e <= boundSq)) {
        stop = k;
        break;
      }
    }
    if (!(e <= boundSq)) {
      diverged[cell] = 1;
      finalLoss[cell] = NaN;
      rate[cell] = NaN;
      continue;
    }
    diverged[cell] = 0;
    finalLoss[cell] = f0 + 0.5 * (lam0 * x0 * x0 + lam1 * x1 * x1);
    const b = Math.min(burnIn, Math.floor(stop / 2));
    rate[cell] = windowRate(Math.sqrt(history[b]), Math.sqrt(e), stop - b);
  }
}

/** The map's span of eta lam_max (MomentumRateMap.LR_SPAN). */
export const LR_SPAN = 4.5;

/**
 * The (lr, gamma) cells of MomentumRateMap's n x n map for condition number kappa (eigenvalues
 * 1 and kappa): cell iy * n + ix has lr = (ix + 1/2) lr_max / n, lr_max = LR_SPAN / kappa, and
 * gamma = (iy + 1/2) / n, the centres of equal slices.
 */
export function rateMapGrid(kappa, n) {
  const lrMax = LR_SPAN / kappa;
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
