// Benchmark entry (bundled by benchmarks/bench_static.py): the rate map's kappa event in the
// page, MomentumRateMap's 256 x 256 heavy-ball sweep of 500 steps a cell, timed in
// milliseconds on the page's thread.

import { heavyBallSweep, rateMapGrid } from "../js/sweep.js";

const N = 256;
const rate = new Float64Array(N * N);
const finalLoss = new Float64Array(N * N);
const diverged = new Uint8Array(N * N);

function params(kappa) {
  return { lam0: 1.0, lam1: kappa, u0: 4.0, u1: 0.5, steps: 500 };
}

window.optbookSweepBench = (kappa) => {
  const start = performance.now();
  const { lrs, gammas } = rateMapGrid(kappa, N);
  heavyBallSweep({ ...params(kappa), lrs, gammas }, rate, finalLoss, diverged);
  return performance.now() - start;
};
