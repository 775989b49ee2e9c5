// Reading the library's test vectors (tools/write_test_vectors.py) for node --test.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const DEFAULT = fileURLToPath(new URL("../../_build/js-vectors/vectors.json", import.meta.url));

/** The vectors file: OPTBOOK_VECTORS, else the path `make js-test` writes. */
export function loadVectors() {
  const path = process.env.OPTBOOK_VECTORS || DEFAULT;
  return JSON.parse(readFileSync(path, "utf8"));
}

/** A base64 array of little-endian doubles (or bytes, with Uint8Array) as a typed array. */
export function decode(text, Type = Float64Array) {
  const bytes = Buffer.from(text, "base64");
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Type(copy.buffer);
}

/** A number the writer stored, where "nan", "inf" and "-inf" stand for the non-finite. */
export function number(value) {
  if (typeof value !== "string") return value;
  return { nan: NaN, inf: Infinity, "-inf": -Infinity }[value];
}

/** Whether two doubles are the same double (NaN equal to NaN, +0 and -0 told apart). */
export function same(a, b) {
  return Object.is(a, b);
}

/** |a - b| / |b|, 0 when both are the same double. */
export function relativeDifference(a, b) {
  if (same(a, b)) return 0;
  return Math.abs(a - b) / Math.abs(b);
}

/** The index of the first element where two arrays differ as doubles, -1 if none. */
export function firstDifference(actual, expected, length = expected.length) {
  for (let i = 0; i < length; i++) {
    if (!same(actual[i], expected[i])) return i;
  }
  return -1;
}
