// The page prints numbers as Python's format() does (the reference strings come from Python,
// written into the vectors by tools/write_test_vectors.py).

import assert from "node:assert/strict";
import { test } from "node:test";

import { fixed, general } from "../../js/format.js";
import { loadVectors } from "./vectors.js";

const { formats } = loadVectors();

test("fixed and general formats print Python's strings", () => {
  assert.ok(formats.length > 3000);
  for (const [x, spec, expected] of formats) {
    const digits = Number(spec.slice(1, -1));
    const actual = spec.endsWith("f") ? fixed(x, digits) : general(x, digits);
    assert.equal(actual, expected, `format(${x}, "${spec}")`);
  }
});

test("ties of the fixed format go to the even digit, as in Python", () => {
  assert.equal(fixed(0.125, 2), "0.12");
  assert.equal(fixed(0.375, 2), "0.38");
  assert.equal(fixed(2.5, 0), "2");
  assert.equal(fixed(-0.125, 2), "-0.12");
});
