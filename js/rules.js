// The update rules of optbook.optimizers on a 2-D point, one small function per rule form.
//
// A rule's state lives in one Float64Array `s` shared with the runner: s[0], s[1] the point,
// then three rows of state, two coordinates each (s[2..3] = a, s[4..5] = b, s[6..7] = c, the
// rows of the form's record in the registry, in order). `step(s, g0, g1, k)` moves it one step
// with the gradient (g0, g1); `k` holds the step's constants, which `constants(h, counters, k,
// t)` works out from the hyper-parameters `h` (by the library's names), the running products in
// `counters` and the step counter `t` (1 on the first step). Every operation is the library's
// element function's, in its order, in float64, so the iterates are the library's bit for bit;
// powers such as beta1^t are running products, never Math.pow.
//
// Coupled weight decay (the record's `decay`) is the runner's: it adds lambda times the point
// where the gradient was taken to the gradient, as the library's kernels do, only where lambda
// is not 0.
//
// Adding a rule: a step function (and, if it has per-step constants, a constants function) and
// one entry in RULES.

export const NADAM_DECAY_BASE = 0.96;

function gd(s, g0, g1, k) {
  s[0] = s[0] - k[0] * g0;
  s[1] = s[1] - k[0] * g1;
}

function momentum(s, g0, g1, k) {
  // v = gamma v + lr g, x = x - v
  s[2] = k[1] * s[2] + k[0] * g0;
  s[3] = k[1] * s[3] + k[0] * g1;
  s[0] = s[0] - s[2];
  s[1] = s[1] - s[3];
}

function momentumPytorch(s, g0, g1, k) {
  // b = mu b + (1 - tau) g, x = x - lr b; k[2] = 1 - tau (1 on the first step)
  s[2] = k[1] * s[2] + k[2] * g0;
  s[3] = k[1] * s[3] + k[2] * g1;
  s[0] = s[0] - k[0] * s[2];
  s[1] = s[1] - k[0] * s[3];
}

function nesterovReformulated(s, g0, g1, k) {
  // v = gamma v + lr g, y = y - (gamma v + lr g)
  const step0 = k[0] * g0;
  const step1 = k[0] * g1;
  s[2] = k[1] * s[2] + step0;
  s[3] = k[1] * s[3] + step1;
  s[0] = s[0] - (k[1] * s[2] + step0);
  s[1] = s[1] - (k[1] * s[3] + step1);
}

function nesterovPytorch(s, g0, g1, k) {
  // b = mu b + g, x = x - lr (g + mu b)
  s[2] = k[1] * s[2] + g0;
  s[3] = k[1] * s[3] + g1;
  s[0] = s[0] - k[0] * (g0 + k[1] * s[2]);
  s[1] = s[1] - k[0] * (g1 + k[1] * s[3]);
}

function deltaBarDeltaElement(s, i, g, k) {
  // k: kappa, 1 - phi, 1 - theta, theta, scale; rates in row a, averaged gradient in row b
  const agreement = s[4 + i] * g;
  if (agreement > 0.0) s[2 + i] += k[0];
  else if (agreement < 0.0) s[2 + i] *= k[1];
  s[i] = s[i] - k[4] * s[2 + i] * g;
  s[4 + i] = k[2] * g + k[3] * s[4 + i];
}

function deltaBarDelta(s, g0, g1, k) {
  deltaBarDeltaElement(s, 0, g0, k);
  deltaBarDeltaElement(s, 1, g1, k);
}

function adagrad(s, g0, g1, k) {
  s[2] = s[2] + g0 * g0;
  s[3] = s[3] + g1 * g1;
  s[0] = s[0] - k[0] * g0 / (Math.sqrt(s[2]) + k[1]);
  s[1] = s[1] - k[0] * g1 / (Math.sqrt(s[3]) + k[1]);
}

function rmspropElement(s, i, g, k) {
  // k: lr, 1 - rho, rho, eps, centred (1 or 0), mu; rows: mean square, mean gradient, buffer
  s[2 + i] = k[2] * s[2 + i] + k[1] * (g * g);
  let denom;
  if (k[4] !== 0.0) {
    s[4 + i] = k[2] * s[4 + i] + k[1] * g;
    denom = Math.sqrt(s[2 + i] - s[4 + i] * s[4 + i]) + k[3];
  } else {
    denom = Math.sqrt(s[2 + i]) + k[3];
  }
  if (k[5] !== 0.0) {
    s[6 + i] = k[5] * s[6 + i] + g / denom;
    s[i] = s[i] - k[0] * s[6 + i];
  } else {
    s[i] = s[i] - k[0] * g / denom;
  }
}

function rmsprop(s, g0, g1, k) {
  rmspropElement(s, 0, g0, k);
  rmspropElement(s, 1, g1, k);
}

function adadeltaElement(s, i, g, k) {
  s[2 + i] = k[2] * s[2 + i] + k[1] * (g * g);
  const delta = Math.sqrt(s[4 + i] + k[3]) / Math.sqrt(s[2 + i] + k[3]) * g;
  s[4 + i] = k[2] * s[4 + i] + k[1] * (delta * delta);
  s[i] = s[i] - k[0] * delta;
}

function adadelta(s, g0, g1, k) {
  adadeltaElement(s, 0, g0, k);
  adadeltaElement(s, 1, g1, k);
}

function adamMoments(s, i, g, k) {
  // k: step size, root correction, beta1, 1 - beta1, beta2, 1 - beta2, eps
  s[2 + i] = k[2] * s[2 + i] + k[3] * g;
  s[4 + i] = k[4] * s[4 + i] + k[5] * (g * g);
}

function adam(s, g0, g1, k) {
  for (let i = 0; i < 2; i++) {
    adamMoments(s, i, i === 0 ? g0 : g1, k);
    s[i] = s[i] - k[0] * s[2 + i] / (Math.sqrt(s[4 + i]) / k[1] + k[6]);
  }
}

function amsgrad(s, g0, g1, k) {
  for (let i = 0; i < 2; i++) {
    adamMoments(s, i, i === 0 ? g0 : g1, k);
    s[6 + i] = Math.max(s[6 + i], s[4 + i]);
    s[i] = s[i] - k[0] * s[2 + i] / (Math.sqrt(s[6 + i]) / k[1] + k[6]);
  }
}

function adamw(s, g0, g1, k) {
  // decoupled decay first: x = (1 - lr wd) x, k[7] = 1 - lr wd; k[8] = 1 for AMSGrad's step
  s[0] = s[0] * k[7];
  s[1] = s[1] * k[7];
  if (k[8] !== 0.0) amsgrad(s, g0, g1, k);
  else adam(s, g0, g1, k);
}

function adamax(s, g0, g1, k) {
  // m = beta1 m + (1 - beta1) g, u = max(beta2 u, |g| + eps), x = x - step m / u
  for (let i = 0; i < 2; i++) {
    const g = i === 0 ? g0 : g1;
    s[2 + i] = k[2] * s[2 + i] + k[3] * g;
    s[4 + i] = Math.max(k[4] * s[4 + i], Math.abs(g) + k[6]);
    s[i] = s[i] - k[0] * s[2 + i] / s[4 + i];
  }
}

function nadam(s, g0, g1, k) {
  // k[0], k[1]: the coefficients of g and m; k[7]: 1 - beta2^t
  for (let i = 0; i < 2; i++) {
    const g = i === 0 ? g0 : g1;
    adamMoments(s, i, g, k);
    const denom = Math.sqrt(s[4 + i] / k[7]) + k[6];
    s[i] = s[i] - (k[0] * g / denom + k[1] * s[2 + i] / denom);
  }
}

// --- per-step constants (the library's _rate_and_factor, _rms_constants, _adam_betas, ...)

function rateAndFactor(factor) {
  return (h, counters, k) => {
    k[0] = h.lr;
    k[1] = h[factor];
  };
}

function dampenedRate(h, counters, k, t) {
  // PyTorch starts the buffer at the first gradient, undampened
  k[0] = h.lr;
  k[1] = h.gamma;
  k[2] = t === 1.0 ? 1.0 : 1.0 - (h.dampening ?? 0.0);
}

function deltaBarDeltaConstants(h, counters, k) {
  k[0] = h.kappa;
  k[1] = 1.0 - h.phi;
  k[2] = 1.0 - h.theta;
  k[3] = h.theta;
  k[4] = 1.0; // the schedule's scale: the explorers run without a schedule
}

function rmsConstants(h, counters, k) {
  k[0] = h.lr;
  k[1] = 1.0 - h.rho;
  k[2] = h.rho;
  k[3] = h.eps;
  k[4] = h.centered ? 1.0 : 0.0;
  k[5] = h.momentum ?? 0.0;
}

function adamBetas(h, k) {
  k[2] = h.beta1;
  k[3] = 1.0 - h.beta1;
  k[4] = h.beta2;
  k[5] = 1.0 - h.beta2;
  k[6] = h.eps;
}

function adamConstants(h, counters, k) {
  // counters: beta1^t, beta2^t
  counters[0] *= h.beta1;
  counters[1] *= h.beta2;
  k[0] = h.lr / (1.0 - counters[0]);
  k[1] = Math.sqrt(1.0 - counters[1]);
  adamBetas(h, k);
}

function adamwConstants(h, counters, k) {
  adamConstants(h, counters, k);
  k[7] = 1.0 - h.lr * h.weight_decay;
  k[8] = h.amsgrad ? 1.0 : 0.0;
}

function adamaxConstants(h, counters, k) {
  // counters: beta1^t
  counters[0] *= h.beta1;
  k[0] = h.lr / (1.0 - counters[0]);
  adamBetas(h, k);
}

/** NAdam's decay factor 0.96^psi: the library's value when given, else Math.pow's. */
export function nadamDecayFactor(h) {
  return h.decay_factor ?? NADAM_DECAY_BASE ** h.momentum_decay;
}

function nadamConstants(h, counters, k) {
  // counters: beta2^t, 0.96^(t psi), prod mu_s
  const decay = nadamDecayFactor(h);
  counters[0] *= h.beta2;
  counters[1] *= decay;
  const muT = h.beta1 * (1.0 - 0.5 * counters[1]);
  const muNext = h.beta1 * (1.0 - 0.5 * counters[1] * decay);
  counters[2] *= muT;
  k[0] = h.lr * (1.0 - muT) / (1.0 - counters[2]);
  k[1] = h.lr * muNext / (1.0 - counters[2] * muNext);
  adamBetas(h, k);
  k[7] = 1.0 - counters[0];
}

function adagradConstants(h, counters, k, t) {
  // PyTorch's learning-rate decay lr / (1 + (t - 1) delta), lr itself when delta is 0
  const decay = h.lr_decay ?? 0.0;
  k[0] = decay === 0.0 ? h.lr : h.lr / (1.0 + (t - 1.0) * decay);
  k[1] = h.eps;
}

/**
 * Each rule form by the library's name and form: its step, its per-step constants, whether the
 * gradient is taken at the look-ahead point x - gamma v, the hyper-parameter each row of state
 * starts at (`initial`, rows that start at 0 omitted), the hyper-parameter of its coupled weight
 * decay (`decay`). `perStep` marks forms whose constants change every step (running products,
 * the step counter).
 */
const WD = "weight_decay";
export const RULES = {
  "gd": { step: gd, constants: (h, c, k) => { k[0] = h.lr; }, decay: WD },
  "momentum/velocity": { step: momentum, constants: rateAndFactor("gamma"), decay: WD },
  "momentum/pytorch": {
    step: momentumPytorch, constants: dampenedRate, perStep: true, decay: WD,
  },
  "nesterov/lookahead": {
    step: momentum, constants: rateAndFactor("gamma"), lookahead: true, decay: WD,
  },
  "nesterov/reformulated": {
    step: nesterovReformulated, constants: rateAndFactor("gamma"), decay: WD,
  },
  "nesterov/pytorch": { step: nesterovPytorch, constants: rateAndFactor("gamma"), decay: WD },
  "delta_bar_delta": {
    step: deltaBarDelta, constants: deltaBarDeltaConstants, initial: ["lr"],
  },
  "adagrad": {
    step: adagrad, constants: adagradConstants, perStep: true, initial: ["initial_accumulator"],
    decay: WD,
  },
  "rmsprop": { step: rmsprop, constants: rmsConstants, decay: WD },
  "adadelta": { step: adadelta, constants: rmsConstants },
  "adam": { step: adam, constants: adamConstants, perStep: true, decay: WD },
  "adamw": { step: adamw, constants: adamwConstants, perStep: true },
  "amsgrad": { step: amsgrad, constants: adamConstants, perStep: true, decay: WD },
  "adamax": { step: adamax, constants: adamaxConstants, perStep: true, decay: WD },
  "nadam": { step: nadam, constants: nadamConstants, perStep: true },
};

/** The default form of the rules that have several, as the library's constructors. */
export const DEFAULT_FORM = { momentum: "velocity", nesterov: "lookahead" };

/** The rule called `name` (optbook.optimizers.NAMES) in `form` (default: the library's). */
export function rule(name, form = DEFAULT_FORM[name]) {
  const key = form === undefined || form === null ? name : `${name}/${form}`;
  const found = RULES[key];
  if (found === undefined) {
    throw new RangeError(`unknown rule ${key}; known: ${Object.keys(RULES).join(", ")}`);
  }
  return found;
}
