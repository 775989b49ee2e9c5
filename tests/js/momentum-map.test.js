// The rate map view's own computations (js/momentum-map.js, js/controls.js): the path axes'
// ticks and labels and the lr slider's range that follows kappa. Expected values are
// matplotlib's and the library's, read from them (optbook.widgets.engine.set_symmetric_limits
// and ScalarFormatter; MomentumRateMap.control_specs).

import assert from "node:assert/strict";
import { test } from "node:test";

import { followingRange, followingValue } from "../../js/controls.js";
import { symmetricTick, tickDecimals } from "../../js/momentum-map.js";

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
