// The 2-D landscapes of optbook.landscapes, each as a function writing f and its gradient.
//
// A landscape is the library's (code, params) pair: `params` is the library's float64 array
// (quadratic: [f0, c1, c2, A11, A12, A21, A22]; Rosenbrock: [a, b]; two minima: [a1, c1, a2, c2,
// s]; plateau: [N, u_1..u_N, t_1..t_N]; plane: the slope). The formulas are those of
// `value_and_grad_2d`, operation by operation, so that they give the library's doubles; the
// exponentials go through ./libm.js (glibc's exp).

import { exp } from "./libm.js";

export const QUADRATIC = 0;
export const ROSENBROCK = 1;
export const TWO_MINIMA = 2;
export const SADDLE = 3;
export const PLATEAU = 4;
export const PLANE = 5;

/** Logistic function without overflow, as the library's `_sigmoid`. */
function sigmoid(z) {
  if (z >= 0.0) return 1.0 / (1.0 + exp(-z));
  const e = exp(z);
  return e / (1.0 + e);
}

function quadratic(p) {
  const [f0, c0, c1, a00, a01, a10, a11] = p;
  return (x0, x1, out) => {
    const d0 = x0 - c0;
    const d1 = x1 - c1;
    const g0 = a00 * d0 + a01 * d1;
    const g1 = a10 * d0 + a11 * d1;
    out[0] = f0 + 0.5 * (d0 * g0 + d1 * g1);
    out[1] = g0;
    out[2] = g1;
  };
}

function rosenbrock(p) {
  const [a, b] = p;
  return (x0, x1, out) => {
    const r = x1 - x0 * x0;
    out[0] = (a - x0) * (a - x0) + b * r * r;
    out[1] = -2.0 * (a - x0) - 4.0 * b * x0 * r;
    out[2] = 2.0 * b * r;
  };
}

function twoMinima(p) {
  const [a1, c1, a2, c2, s] = p;
  return (x0, x1, out) => {
    const d1 = x0 - c1;
    const d2 = x0 - c2;
    const e1 = a1 * exp(-(d1 * d1 + x1 * x1) / s);
    const e2 = a2 * exp(-(d2 * d2 + x1 * x1) / s);
    out[0] = -e1 - e2 + x0 * x0 + x1 * x1;
    out[1] = 2.0 * (e1 * d1 + e2 * d2) / s + 2.0 * x0;
    out[2] = 2.0 * (e1 + e2) * x1 / s + 2.0 * x1;
  };
}

function saddle() {
  return (x0, x1, out) => {
    out[0] = x0 * x0 - x1 * x1;
    out[1] = 2.0 * x0;
    out[2] = -2.0 * x1;
  };
}

function plane(p) {
  const [s0, s1] = p;
  return (x0, x1, out) => {
    out[0] = s0 * x0 + s1 * x1;
    out[1] = s0;
    out[2] = s1;
  };
}

function plateau(p) {
  const n = p[0];
  const inputs = p.slice(1, 1 + n);
  const targets = p.slice(1 + n, 1 + 2 * n);
  return (x0, x1, out) => {
    let f = 0.0;
    let gw = 0.0;
    let gb = 0.0;
    for (let i = 0; i < n; i++) {
      const u = inputs[i];
      const s = sigmoid(x0 * u + x1);
      const r = s - targets[i];
      const rd = r * s * (1.0 - s);
      f += r * r;
      gw += rd * u;
      gb += rd;
    }
    out[0] = 0.5 * f / n;
    out[1] = gw / n;
    out[2] = gb / n;
  };
}

const FORMULAS = [quadratic, rosenbrock, twoMinima, saddle, plateau, plane];

/**
 * The landscape with the library's `code` and `params` as a function `(x0, x1, out)` that writes
 * f(x) into out[0] and the gradient into out[1], out[2].
 */
export function landscape(code, params) {
  const formula = FORMULAS[code];
  if (formula === undefined) {
    throw new RangeError(`landscape code must be one of 0..${FORMULAS.length - 1}, got ${code}`);
  }
  return formula(Float64Array.from(params));
}

/**
 * The library's `conditioned_quadratic(kappa, lam_min)` (angle 0): eigenvalues lam_min and
 * kappa * lam_min along the axes, minimiser 0, start (4, 0.5). Returns its params, eigenvalues
 * (ascending) and start.
 */
export function conditionedQuadratic(kappa, lamMin = 1.0) {
  if (!(kappa >= 1 && Number.isFinite(kappa))) {
    throw new RangeError(`kappa must be >= 1, got ${kappa}`);
  }
  if (!(lamMin > 0 && Number.isFinite(lamMin))) {
    throw new RangeError(`lam_min must be > 0, got ${lamMin}`);
  }
  const lamMax = kappa * lamMin;
  return {
    code: QUADRATIC,
    params: [0.0, 0.0, 0.0, lamMin, 0.0, 0.0, lamMax],
    eigenvalues: [lamMin, lamMax],
    minimizer: [0.0, 0.0],
    minValue: 0.0,
    start: [4.0, 0.5],
  };
}
