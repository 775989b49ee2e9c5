// The optimizer race's page computation (js/optimizer-race.js) against the library's: for every
// rule on every landscape the race offers, where each run diverged, the final gaps and the
// first step, measured and in closed form, are the library's doubles.

import assert from "node:assert/strict";
import { test } from "node:test";

import { RULES } from "../../js/rules.js";
import { compute, firstStep, hyperParameters, norm } from "../../js/optimizer-race.js";
import { landscape } from "../../js/landscapes.js";
import { decode, loadVectors, number, same } from "./vectors.js";

const race = loadVectors().race;
const doc = { ...race, lossFloor: 1e-11 };

function valuesOf(c) {
  return { method: c.method, landscape: c.landscape, lr: c.lr, beta1: c.beta1, beta2: c.beta2,
    eps: c.eps };
}

test("the cases cover every rule and landscape of the race, diverging runs among them", () => {
  const methods = new Set(race.cases.map((c) => c.method));
  assert.deepEqual([...methods].sort(), Object.keys(race.methods).sort());
  for (const method of methods) assert.ok(method in RULES, method);
  const lands = new Set(race.cases.map((c) => c.landscape));
  assert.deepEqual([...lands].sort(), Object.keys(race.landscapes).sort());
  assert.ok(race.cases.some((c) => c.diverged_at[0] !== null), "an adaptive run diverges");
  assert.ok(race.cases.some((c) => c.diverged_at[1] !== null), "gradient descent diverges");
  assert.ok(race.cases.some((c) => c.diverged_at[1] === null), "gradient descent converges");
});

test("the first step's closed form is the library's, coordinate by coordinate", () => {
  for (const c of race.cases) {
    const method = race.methods[c.method];
    const land = race.landscapes[c.landscape];
    const h = hyperParameters(method, valuesOf(c));
    const out = new Float64Array(3);
    landscape(land.code, land.params)(land.start[0], land.start[1], out);
    const step = firstStep(c.method, method, h, out[1], out[2]);
    assert.ok(same(step[0], c.first_step[0]) && same(step[1], c.first_step[1]),
      `${c.method} on ${c.landscape} from ${land.start}: ${step}, library ${c.first_step}`);
  }
});

test("the race's printed numbers are the library's doubles", () => {
  for (const c of race.cases) {
    const r = compute(doc, valuesOf(c));
    const where = `${c.method} on ${c.landscape} at ${JSON.stringify(valuesOf(c))}`;
    assert.deepEqual([r.race.divergedAt, r.gd.divergedAt], c.diverged_at, where);
    assert.deepEqual([r.raceGap, r.gdGap], c.gaps, where);
    assert.ok(same(r.measured, number(c.measured)), `${where}: measured ${r.measured}`);
    assert.ok(same(r.theory, c.theory), `${where}: theory ${r.theory}`);
  }
});

test("a length is numpy.linalg.norm's double", () => {
  const pairs = decode(race.norms.pairs);
  const expected = decode(race.norms.norm);
  assert.equal(expected.length, 2000);
  for (let i = 0; i < expected.length; i++) {
    const [x, y] = [pairs[2 * i], pairs[2 * i + 1]];
    assert.ok(same(norm(x, y), expected[i]), `|(${x}, ${y})| = ${norm(x, y)}, ${expected[i]}`);
  }
});
