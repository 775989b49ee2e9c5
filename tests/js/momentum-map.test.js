// The rate map view's own computations (js/momentum-map.js, js/controls.js): its map against
// the library's sweeps (tools/write_test_vectors.py), the path axes' ticks and labels and the
// lr slider's range that follows kappa (expected values read from matplotlib and the library:
// optbook.widgets.engine.set_symmetric_limits and ScalarFormatter, MomentumRateMap's
// control_specs).

import assert from "node:assert/strict";
import { test } from "node:test";

import { followingRange, followingValue } from "../../js/controls.js";
import { rateColourIndex, sweepMap, symmetricTick, tickDecimals } from "../../js/momentum-map.js";
import { FAST_RATE_BOUND, heavyBallSweep, rateMapGrid } from "../../js/sweep.js";
import { decode, loadVectors, relativeDifference } from "./vectors.js";

const vectors = loadVectors();

/** plotting.rate_norm's ends as the document carries them, from its forward function. */
const NORM = { slack: 1e-3, low: -Math.log10(1.0 + 1e-3 - 0.0), high: -Math.log10(1.0 + 1e-3 - 1.0) };

test("the page's map has the library's colours, convergence and fastest cell", () => {
  let checked = 0;
  for (const s of vectors.sweeps.filter((v) => !v.pytorch_form)) {
    const expected = decode(s.rate);
    const map = sweepMap(s.kappa, s.lam[0], s.n, s.steps, NORM);
    assert.deepEqual(map.diverged, decode(s.diverged, Uint8Array), `kappa ${s.kappa}`);
    let best = NaN;
    let converging = 0;
    for (let i = 0; i < expected.length; i++) {
      const r = expected[i];
      assert.equal(rateColourIndex(map.rate[i], NORM), rateColourIndex(r, NORM),
        `kappa ${s.kappa} cell ${i}: ${map.rate[i]} vs ${r}`);
      assert.equal(map.rate[i] < 1.0, r < 1.0, `kappa ${s.kappa} cell ${i}`);
      if (r < 1.0) {
        converging += 1;
        if (!(r >= best)) best = r;
      }
      checked += 1;
    }
    assert.equal(map.converging, converging, `kappa ${s.kappa}`);
    // the exact sweep's rates are the library's to 1e-15 (Math.pow on two-point windows)
    assert.ok(relativeDifference(map.best, best) <= 1e-15, `kappa ${s.kappa}: ${map.best}`);
    assert.ok(map.exactCells < 0.01 * expected.length, `kappa ${s.kappa}: ${map.exactCells}`);
  }
  assert.ok(checked > 65536);
});

test("rates measured with the browser's logarithm stay within their bound", () => {
  let largest = 0;
  for (const s of vectors.sweeps.filter((v) => !v.pytorch_form)) {
    const { lrs, gammas } = rateMapGrid(s.kappa, s.n, s.lam[0]);
    const cells = s.n * s.n;
    const rate = new Float64Array(cells);
    heavyBallSweep({ lam0: s.lam[0], lam1: s.lam[1], u0: s.u_start[0], u1: s.u_start[1], lrs,
      gammas, steps: s.steps, fastRates: true }, rate, new Float64Array(cells),
    new Uint8Array(cells));
    const expected = decode(s.rate);
    for (let i = 0; i < cells; i++) {
      assert.equal(Number.isNaN(rate[i]), Number.isNaN(expected[i]));
      if (!Number.isNaN(rate[i])) largest = Math.max(largest, relativeDifference(rate[i], expected[i]));
    }
  }
  assert.ok(largest <= FAST_RATE_BOUND / 100, `largest relative difference ${largest}`);
  assert.ok(largest > 0); // the two logarithms do differ
});

test("the path axes' ticks and their decimals are matplotlib's", () => {
  // half-width -> (tick, labels) as matplotlib draws them
  const cases = [
    [6.673173907519569, 5, ["−5", "0", "5"]],
    [0.9437293044088436, 0.5, ["−0.5", "0.0", "0.5"]],
    [0.3, 0.2, ["−0.2", "0.0", "0.2"]],
    [2.6, 2, ["−2", "0", "2"]],
    [30.0, 20, ["−20", "0", "20"]],
    [0.07, 0.05, ["−0.05", "0.00", "0.05"]],
  ];
  for (const [half, tick, labels] of cases) {
    assert.equal(symmetricTick(half), tick, `half ${half}`);
    const decimals = tickDecimals(tick);
    assert.deepEqual([-tick, 0, tick].map((v) => (v < 0 ? "−" : "") + Math.abs(v)
      .toFixed(decimals)), labels);
  }
});

test("the lr slider follows kappa as the library's", () => {
  // MomentumRateMap(kappa=50, lam_min=2).control_specs()'s lr range
  const follows = { key: "kappa", span: 4.5, scale: 2.0, ratio: 1000.0 };
  assert.deepEqual(followingRange(follows, 50.0),
    { min: 4.4999999999999996e-05, max: 0.045, step: 4.4999999999999996e-05 });
  // a kappa change keeps lr kappa: 0.01 * 50 / 57.543993733715695 (Python's float arithmetic)
  const range = followingRange(follows, 57.543993733715695);
  assert.equal(followingValue(0.01, 50.0, 57.543993733715695, range), 0.008689004143746877);
  // clipped to the new range's ends
  assert.equal(followingValue(0.045, 50.0, 1.0, followingRange(follows, 1.0)), 2.25);
});
