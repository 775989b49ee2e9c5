// matplotlib's choice of ticks and tick labels (matplotlib.ticker, 3.11) for an axis whose
// limits follow the sliders, so that the page draws the ticks the kernel's figure would show:
// MaxNLocator with 'auto' bins and the steps of AutoLocator and ScalarFormatter's fixed-point
// labels on a linear axis; LogLocator (major and 'auto' minor ticks) and
// LogFormatterSciNotation's whole-decade labels on a log axis. Every operation is matplotlib's,
// in float64 and in its order; tests/js/ticks.test.js checks the ticks and labels against
// matplotlib's own on the trajectory explorer's loss axes.

/** AutoLocator's steps (MaxNLocator's tick multiples). */
const AUTO_STEPS = [1, 2, 2.5, 5, 10];
const MIN_N_TICKS = 2;

/** 10^k for an integer k, correctly rounded (the C library's pow(10, k)). */
export function pow10(k) {
  return Number(`1e${k}`);
}

/** Python's float divmod(x, y): [floor quotient, remainder with the sign of y]. */
function pyDivmod(x, y) {
  let mod = x % y;
  let div = (x - mod) / y;
  if (mod) {
    if ((y < 0) !== (mod < 0)) {
      mod += y;
      div -= 1.0;
    }
  } else {
    mod = Math.sign(y) * 0;
  }
  let floordiv;
  if (div) {
    floordiv = Math.floor(div);
    if (div - floordiv > 0.5) floordiv += 1.0;
  } else {
    floordiv = (x / y < 0 ? -1 : 1) * 0;
  }
  return [floordiv, mod];
}

/** Python's round(x) and numpy's rint: to the nearest integer, ties to even. */
function roundHalfEven(x) {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Python's a % b for integers (the sign of b). */
function pyMod(a, b) {
  return ((a % b) + b) % b;
}

/** ticker.scale_range. */
function scaleRange(vmin, vmax, n) {
  const dv = Math.abs(vmax - vmin);
  const meanv = (vmax + vmin) / 2;
  const offset = Math.abs(meanv) / dv < 100 ? 0
    : Math.sign(meanv) * pow10(Math.floor(Math.log10(Math.abs(meanv))));
  return [pow10(Math.floor(Math.log10(dv / n))), offset];
}

/** ticker._Edge_integer (le, ge) for a step and offset. */
function edgeInteger(step, offset) {
  let tol = 1e-10;
  if (Math.abs(offset) > 0) {
    const digits = Math.log10(Math.abs(offset) / step);
    tol = Math.min(0.4999, Math.max(1e-10, 10 ** (digits - 12)));
  }
  const closeto = (ms, edge) => Math.abs(ms - edge) < tol;
  return {
    le(x) {
      const [d, m] = pyDivmod(x, step);
      return closeto(m / step, 1) ? d + 1 : d;
    },
    ge(x) {
      const [d, m] = pyDivmod(x, step);
      return closeto(m / step, 0) ? d : d + 1;
    },
  };
}

/**
 * MaxNLocator(nbins, steps=[1, 2, 2.5, 5, 10]).tick_values(vmin, vmax) for vmin < vmax:
 * `nbins` is the axis' clip(tick space, 1, 9) for 'auto'. The ticks may reach past the limits.
 */
export function maxNLocator(vmin, vmax, nbins) {
  const [scale, offset] = scaleRange(vmin, vmax, nbins);
  const low = vmin - offset;
  const high = vmax - offset;
  const extended = [...AUTO_STEPS.slice(0, -1).map((s) => 0.1 * s), ...AUTO_STEPS,
    10 * AUTO_STEPS[1]];
  const steps = extended.map((s) => s * scale);
  const rawStep = (high - low) / nbins;
  let istep = steps.findIndex((s) => s >= rawStep);
  if (istep < 0) istep = steps.length - 1;
  let ticks = [];
  for (let i = istep; i >= 0; i--) {
    const step = steps[i];
    const bestVmin = pyDivmod(low, step)[0] * step;
    const edge = edgeInteger(step, offset);
    const first = edge.le(low - bestVmin);
    const last = edge.ge(high - bestVmin);
    ticks = [];
    for (let n = first; n <= last; n += 1.0) ticks.push(n * step + bestVmin);
    const inside = ticks.filter((t) => t <= high && t >= low).length;
    if (inside >= MIN_N_TICKS) break;
  }
  return ticks.map((t) => t + offset);
}

/**
 * LogLocator(base 10).tick_values(vmin, vmax) for 0 < vmin < vmax, with 'auto' numticks
 * `requested` (the axis' clip(tick space, 2, 9)): the major ticks (subs (1,)) and the minor
 * ones (subs 'auto').
 */
export function logLocator(vmin, vmax, requested) {
  const efmin = Math.log10(vmin);
  const efmax = Math.log10(vmax);
  const emin = Math.ceil(efmin);
  const emax = Math.floor(efmax);
  const nAvail = emax - emin + 1;
  let nRequest = requested;
  let stride = Math.floor(nAvail / (nRequest + 1)) + 1;
  const nr = Math.ceil(nAvail / stride);
  if (nr <= nRequest) nRequest = nr;
  let decades;
  if (nRequest === 0) {
    decades = [emin - 1, emax + 1];
    stride = decades[1] - decades[0];
  } else if (nRequest === 1) {
    const mid = roundHalfEven((efmin + efmax) / 2);
    stride = Math.max(mid - (emin - 1), emax + 1 - mid);
    decades = [mid - stride, mid, mid + stride];
  } else {
    stride = Math.floor((nAvail - 1) / (nRequest - 1));
    if (stride < nAvail / nRequest) stride = Math.floor(nAvail / nRequest);
    const olo = Math.max(nAvail - stride * nRequest, 0);
    const ohi = Math.min(nAvail - stride * (nRequest - 1), stride);
    let offset = pyMod(-emin, stride);
    if (!(olo <= offset && offset < ohi)) offset = olo;
    decades = [];
    for (let d = emin + offset - stride; d < emax + stride + 1; d += stride) decades.push(d);
  }
  const major = decades.map(pow10);
  const minor = [];
  if (nAvail < 10 && (stride === 1 || nAvail <= 1)) {
    for (let decade = emin - 1; decade <= emax; decade++) {
      for (let sub = 2; sub < 10; sub++) minor.push(sub * pow10(decade));
    }
  }
  return { major, minor, decades };
}

/** Axis._update_ticks' test for a tick to draw: within the limits, to 1e-10 of their span. */
export function shown(ticks, limits, scale) {
  const f = scale === "log" ? Math.log10 : (v) => v;
  const a = f(limits[0]);
  const b = f(limits[1]);
  const tol = 1e-10 * (b - a);
  return ticks.filter((t) => a - tol <= f(t) && f(t) <= b + tol);
}

/** numpy.round(x, decimals) for decimals >= 0. */
function npRound(x, decimals) {
  const factor = pow10(decimals);
  return roundHalfEven(x * factor) / factor;
}

/**
 * ScalarFormatter's number of decimals for the ticks `locs` (all the locator gave) on an axis
 * with limits `limits`, without offset or order of magnitude (the step axis 0..steps has
 * neither).
 */
export function scalarDecimals(locs, limits) {
  const all = locs.length < 2 ? [...locs, ...limits] : locs;
  let range = Math.max(...all) - Math.min(...all);
  if (range === 0) range = Math.max(...all.map(Math.abs));
  if (range === 0) range = 1;
  const oom = Math.floor(Math.log10(range));
  let sigfigs = Math.max(0, 3 - oom);
  const thresh = 1e-3 * pow10(oom);
  while (sigfigs >= 0) {
    const worst = Math.max(...locs.map((v) => Math.abs(v - npRound(v, sigfigs))));
    if (worst < thresh) sigfigs -= 1;
    else break;
  }
  return sigfigs + 1;
}

/** The next double below x (math.nextafter(x, -inf)) for a finite x. */
function nextDown(x) {
  if (x === 0) return -Number.MIN_VALUE;
  const buffer = new Float64Array([x]);
  const bits = new BigInt64Array(buffer.buffer);
  bits[0] += x > 0 ? -1n : 1n;
  return buffer[0];
}

/** math.isclose(x, round(x)) (ticker._is_close_to_int). */
function closeToInt(x) {
  const r = roundHalfEven(x);
  return Math.abs(x - r) <= 1e-9 * Math.max(Math.abs(x), Math.abs(r));
}

/**
 * The coefficients LogFormatter labels on a log axis with these limits (set_locs): every
 * decade when the limits hold more than one, else also some or all of the multiples between.
 */
export function labelledCoefficients(limits) {
  const lmin = Math.log(limits[0]) / Math.log(10);
  const lmax = Math.log(limits[1]) / Math.log(10);
  const numticks = Math.floor(lmax) - Math.floor(nextDown(lmin));
  if (numticks > 1) return new Set([1]);
  if (Math.abs(lmax - lmin) > 0.4) return new Set([1, 2, 3, 4, 6, 10]);
  return new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
}

/**
 * LogFormatterSciNotation's label of the tick x > 0 as { coefficient, exponent }
 * (coefficient null for a decade, 10^exponent), or null for no label.
 */
export function logLabel(x, coefficients) {
  const fx = Math.log(x) / Math.log(10);
  const decade = closeToInt(fx);
  const exponent = decade ? roundHalfEven(fx) : Math.floor(fx);
  if (!coefficients.has(roundHalfEven(10 ** (fx - exponent)))) return null;
  if (decade) return { coefficient: null, exponent };
  const coefficient = 10 ** (fx - exponent);
  return { coefficient: closeToInt(coefficient) ? roundHalfEven(coefficient) : coefficient,
    exponent };
}
