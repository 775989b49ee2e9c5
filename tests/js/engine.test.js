// The JavaScript engine (js/) against the library's test vectors: the same doubles, run for run.

import assert from "node:assert/strict";
import { test } from "node:test";

import { exp } from "../../js/libm.js";
import { conditionedQuadratic, landscape } from "../../js/landscapes.js";
import { empiricalRate, errorNorms, fittedRate } from "../../js/rates.js";
import { RULES, rule } from "../../js/rules.js";
import { heavyBallSweep, rateMapGrid } from "../../js/sweep.js";
import * as theory from "../../js/theory.js";
import { trajectory } from "../../js/trajectory.js";
import { decode, firstDifference, loadVectors, number, relativeDifference, same } from "./vectors.js";

const vectors = loadVectors();

/** The documented bound where an operation cannot be matched (Math.pow, Math.log). */
const LIBM_BOUND = 1e-15;

/**
 * numpy.polyfit's slope (an SVD) is itself up to 2.7e-15 away from the exact least-squares
 * slope of its data on the first few steps of a diverged run (a line through 2 to 7 points;
 * measured on these vectors with exact fractions), where the JavaScript's centred sums are
 * within 1e-16 of it. Explorers print no rate for a diverged run.
 */
const FIT_BOUND_DIVERGED = 4e-15;

function runCase(c) {
  const land = vectors.landscapes[c.landscape];
  const f = landscape(land.code, land.params);
  return trajectory(f, rule(c.rule, c.form), c.hyper, c.x0, c.steps, c.bound);
}

test("exp gives glibc's doubles", () => {
  const x = decode(vectors.exp.x);
  const expected = decode(vectors.exp.exp);
  const actual = x.map(exp);
  const i = firstDifference(actual, expected);
  assert.equal(i, -1, i < 0 ? "" : `exp(${x[i]}) = ${actual[i]}, glibc ${expected[i]}`);
  assert.ok(x.length > 200000);
});

test("the cases cover every rule, form and landscape, 1,000 runs of 500 steps at least", () => {
  const long = vectors.cases.filter((c) => c.steps >= 500);
  assert.ok(long.length >= 1000, `${long.length} cases of 500 steps`);
  const forms = new Set(vectors.cases.map((c) => (c.form ? `${c.rule}/${c.form}` : c.rule)));
  assert.deepEqual([...forms].sort(), Object.keys(RULES).sort());
  const codes = new Set(vectors.cases.map((c) => vectors.landscapes[c.landscape].code));
  assert.deepEqual([...codes].sort(), [0, 1, 2, 3, 4, 5]);
  const diverged = vectors.cases.filter((c) => c.diverged_at !== null);
  assert.ok(diverged.length >= 50, `${diverged.length} diverging runs`);
  assert.ok(diverged.some((c) => c.diverged_at > 200), "a run diverges late");
  assert.ok(vectors.cases.some((c) => c.tag.startsWith("default")), "explorer defaults");
});

for (const key of Object.keys(RULES)) {
  test(`${key}: every iterate, loss and gradient norm is the library's`, () => {
    const cases = vectors.cases.filter((c) => (c.form ? `${c.rule}/${c.form}` : c.rule) === key);
    assert.ok(cases.length >= 60, `${cases.length} cases`);
    for (const c of cases) {
      const run = runCase(c);
      const where = `${c.landscape} ${JSON.stringify(c.hyper)} from ${c.x0}`;
      assert.equal(run.count, c.count, `iterates recorded, ${where}`);
      assert.equal(run.divergedAt, c.diverged_at, `diverged_at, ${where}`);
      const positions = decode(c.positions);
      let i = firstDifference(run.positions, positions, 2 * c.count);
      assert.equal(i, -1, `x differs at step ${i >> 1}: ${run.positions[i]} vs ${positions[i]}, ${where}`);
      i = firstDifference(run.losses, decode(c.losses), c.count);
      assert.equal(i, -1, `loss differs at step ${i}, ${where}`);
      const norms = run.gradSq.subarray(0, c.count).map(Math.sqrt);
      i = firstDifference(norms, decode(c.grad_norms), c.count);
      assert.equal(i, -1, `gradient norm differs at step ${i}, ${where}`);
    }
  });
}

test("measured rates: the library's to 1e-15 (Math.pow and Math.log against libm)", () => {
  let exact = 0;
  let compared = 0;
  for (const c of vectors.cases) {
    if (c.empirical_rate === null) continue;
    const land = vectors.landscapes[c.landscape];
    const errors = errorNorms(decode(c.positions), c.count, land.minimizers[0]);
    const empirical = empiricalRate(errors);
    const expected = number(c.empirical_rate);
    assert.ok(relativeDifference(empirical, expected) <= LIBM_BOUND,
      `empirical rate ${empirical} vs ${expected} (${c.landscape}, ${c.rule})`);
    exact += same(empirical, expected);
    compared += 1;
    if (c.fitted_rate === "error") {
      assert.throws(() => fittedRate(errors), RangeError);
    } else {
      const fitted = fittedRate(errors);
      const expectedFit = number(c.fitted_rate);
      const bound = c.diverged_at === null ? LIBM_BOUND : FIT_BOUND_DIVERGED;
      assert.ok(relativeDifference(fitted, expectedFit) <= bound,
        `fitted rate ${fitted} vs ${expectedFit} (${c.landscape}, ${c.rule}, ${c.count})`);
    }
  }
  assert.ok(compared > 500 && exact > 0.9 * compared, `${exact} of ${compared} exact`);
});

test("theoretical rates of the trajectory explorer are the library's doubles", () => {
  let compared = 0;
  for (const c of vectors.cases) {
    if (c.theory_rate === null) continue;
    const land = vectors.landscapes[c.landscape];
    assert.ok(same(theory.theoryRate(c.rule, c.form, c.hyper, land.eigenvalues), number(c.theory_rate)));
    compared += 1;
  }
  assert.ok(compared > 200);
});

test("closed forms are the library's doubles", () => {
  for (const row of vectors.closed_forms) {
    const [lo, hi] = row.lam;
    assert.ok(same(theory.gdRate(row.lr, row.lam), row.gd_rate));
    assert.ok(same(theory.heavyBallRate(row.lr, row.gamma, row.lam), row.heavy_ball_rate));
    assert.ok(same(theory.nesterovRate(row.lr, row.gamma, row.lam), row.nesterov_rate));
    assert.ok(same(theory.gdOptimalLr(lo, hi), row.gd_optimal_lr));
    assert.ok(same(theory.gdStabilityBound(hi), row.gd_stability_bound));
    // the library squares with ** (the C library's pow, within an ulp of x * x)
    const optimum = theory.heavyBallOptimal(lo, hi);
    const [lr, gamma, rate] = row.heavy_ball_optimal;
    assert.ok(relativeDifference(optimum.lr, lr) <= LIBM_BOUND, `${optimum.lr} vs ${lr}`);
    assert.ok(relativeDifference(optimum.gamma, gamma) <= LIBM_BOUND);
    assert.ok(same(optimum.rate, rate));
  }
});

test("conditioned quadratics are built as the library builds them", () => {
  for (const row of vectors.conditioned_quadratic) {
    const land = conditionedQuadratic(row.kappa);
    assert.deepEqual(land.params, row.params);
    assert.deepEqual(land.eigenvalues, row.eigenvalues);
    assert.deepEqual(land.start, row.start);
  }
});

test("heavy-ball rate maps: the library's grid, cells and rates (pow to 1e-15)", () => {
  let exact = 0;
  let total = 0;
  for (const s of vectors.sweeps) {
    const grid = rateMapGrid(s.kappa, s.n);
    const lrs = decode(s.lrs);
    const gammas = decode(s.gammas);
    assert.equal(firstDifference(grid.lrs.subarray(0, s.n), lrs), -1);
    assert.equal(firstDifference(grid.gammas.filter((_, i) => i % s.n === 0), gammas), -1);
    const cells = s.n * s.n;
    const rate = new Float64Array(cells);
    const finalLoss = new Float64Array(cells);
    const diverged = new Uint8Array(cells);
    const [u0, u1] = s.u_start;
    heavyBallSweep({ lam0: s.lam[0], lam1: s.lam[1], u0, u1, lrs: grid.lrs, gammas: grid.gammas,
      pytorchForm: s.pytorch_form, steps: s.steps, f0: s.f0 }, rate, finalLoss, diverged);
    assert.equal(firstDifference(diverged, decode(s.diverged, Uint8Array)), -1);
    assert.equal(firstDifference(finalLoss, decode(s.final_loss)), -1, `kappa ${s.kappa}`);
    const expected = decode(s.rate);
    for (let i = 0; i < cells; i++) {
      assert.ok(relativeDifference(rate[i], expected[i]) <= LIBM_BOUND,
        `kappa ${s.kappa} cell ${i}: ${rate[i]} vs ${expected[i]}`);
      exact += same(rate[i], expected[i]);
      total += 1;
    }
  }
  // only cells measured by the two-point power (a window of fewer than two blocks) may differ
  assert.ok(exact >= 0.999 * total, `${exact} of ${total} cells exact`);
});
