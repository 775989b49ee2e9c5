// Measured linear rates of a run, as optbook.run measures them.

/** Relative error e_t/e_0 at which rate measurements stop (run.RATE_FLOOR). */
export const RATE_FLOOR = 1e-12;

/** |x_t - x*| for the `count` iterates of `positions` (x_t at [2t], [2t+1]). */
export function errorNorms(positions, count, minimizer) {
  const errors = new Float64Array(count);
  for (let t = 0; t < count; t++) {
    const d0 = positions[2 * t] - minimizer[0];
    const d1 = positions[2 * t + 1] - minimizer[1];
    errors[t] = Math.sqrt(d0 * d0 + d1 * d1);
  }
  return errors;
}

function checked(errors, minimum) {
  if (errors.length < minimum) {
    throw new RangeError(`errors must hold at least ${minimum} values, got ${errors.length}`);
  }
  if (!errors.every(Number.isFinite)) return null;
  if (!(errors[0] > 0)) throw new RangeError(`errors[0] must be > 0, got ${errors[0]}`);
  return errors;
}

/** The first step whose error falls to RATE_FLOOR of the first, else the last step. */
function measuredEnd(errors) {
  for (let t = 1; t < errors.length; t++) {
    if (errors[t] <= RATE_FLOOR * errors[0]) return t;
  }
  return errors.length - 1;
}

/**
 * run.empirical_rate: the geometric-mean contraction (e_m/e_b)^(1/(m-b)), b = min(burn-in,
 * floor(m/2)), m the measured end; 0 when the error vanished, NaN for a diverged run. The power
 * is Math.pow, which can differ from the C library's pow in the last bit (tests/js bounds it).
 */
export function empiricalRate(errors, burnIn = Math.floor((errors.length - 1) / 2)) {
  if (checked(errors, 2) === null) return NaN;
  const m = measuredEnd(errors);
  const b = Math.min(burnIn, Math.floor(m / 2));
  return windowRate(errors[b], errors[m], m - b);
}

/** (e_m/e_b)^(1/span), 0 when e_m is 0 (run._window_rate). */
export function windowRate(errorAtB, errorAtM, span) {
  if (errorAtM === 0.0) return 0.0;
  return (errorAtM / errorAtB) ** (1.0 / span);
}

/**
 * run.fitted_rate: exp of the slope of the least-squares line through log e_t over the second
 * half of the measured run. The library fits with numpy.polyfit (an SVD); here the slope is the
 * centred sum of the normal equations, so the two agree to rounding (tests/js bounds it).
 */
export function fittedRate(errors) {
  if (checked(errors, 3) === null) return NaN;
  const stop = measuredEnd(errors);
  const first = Math.floor(stop / 2);
  const n = stop - first + 1;
  if (n < 2) throw new RangeError("errors must reach the floor after at least 2 steps to fit");
  const meanT = (first + stop) / 2;
  let meanY = 0.0;
  for (let t = first; t <= stop; t++) {
    if (!(errors[t] > 0)) {
      throw new RangeError("errors must stay positive over the second half of the run");
    }
    meanY += Math.log(errors[t]);
  }
  meanY /= n;
  let covariance = 0.0;
  let variance = 0.0;
  for (let t = first; t <= stop; t++) {
    covariance += (t - meanT) * (Math.log(errors[t]) - meanY);
    variance += (t - meanT) * (t - meanT);
  }
  return Math.exp(covariance / variance);
}
