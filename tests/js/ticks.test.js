// matplotlib's ticks and tick labels, chosen in the page (js/ticks.js), against matplotlib's
// own (tools/tick_vectors.py): the trajectory explorer's step and loss axes at many limits,
// and the locators alone for every number of bins.

import assert from "node:assert/strict";
import { test } from "node:test";

import { maxNLocator, logLocator } from "../../js/ticks.js";
import { lossAxisTicks, stepAxisTicks } from "../../js/trajectory-explorer.js";
import { loadVectors } from "./vectors.js";

const { ticks } = loadVectors();

/**
 * The same ticks: equal labels, and locations equal to 1e-15 relative (numpy's powers of ten,
 * 10.0 ** array, are not always the correctly rounded 10^k that the page computes; a tick a
 * few units in the last place away draws on the same pixel).
 */
function sameTicks(actual, expected, where) {
  assert.equal(actual.length, expected.length, `${where}: ${JSON.stringify(actual)}`);
  actual.forEach(([value, label], i) => {
    const [v, text] = expected[i];
    assert.equal(label, text, where);
    assert.ok(value === v || Math.abs(value / v - 1) <= 1e-15, `${where}: ${value} vs ${v}`);
  });
}

/** LogFormatterSciNotation's mathtext for a label { coefficient, exponent } ("" for none). */
function mathtext(label) {
  if (label === null) return "";
  const power = `10^{${label.exponent}}`;
  return `$\\mathdefault{${label.coefficient === null ? "" : `${label.coefficient}\\times`}${power}}$`;
}

test("the step axis shows matplotlib's ticks and labels for every step count", () => {
  assert.ok(ticks.steps_axis.length > 300);
  for (const [steps, expected] of ticks.steps_axis) {
    const actual = stepAxisTicks(steps, ticks.x_bins).map(({ value, label }) => [value, label]);
    assert.deepEqual(actual, expected, `steps ${steps}`);
  }
});

test("the loss axis shows matplotlib's decades, minor ticks and labels", () => {
  assert.ok(ticks.loss_axis.length > 2000);
  for (const [low, high, expected] of ticks.loss_axis) {
    const { major, minor } = lossAxisTicks(low, high, ticks.y_ticks);
    const actual = [...major, ...minor].map(({ value, label }) => [value, mathtext(label)]);
    sameTicks(actual, expected, `decades ${low} ${high}`);
  }
});

test("the locators give matplotlib's ticks for every number of bins", () => {
  assert.ok(ticks.locators.length > 5000);
  for (const [kind, n, low, high, expected] of ticks.locators) {
    let actual;
    if (kind === "max_n") actual = maxNLocator(low, high, n);
    else {
      const { major, minor } = logLocator(Number(`1e${low}`), Number(`1e${high}`), n);
      actual = kind === "log_major" ? major : minor;
    }
    sameTicks(actual.map((v) => [v, ""]), expected.map((v) => [v, ""]),
      `${kind} ${n} ${low} ${high}`);
  }
});
