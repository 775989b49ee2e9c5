// The closed forms of optbook.theory the explorers print, on a spectrum of eigenvalues, with the
// library's operations in its order (so the same doubles).

/** |1 - lr lam_i| per direction (theory.contraction_factors). */
export function contractionFactors(lr, eigenvalues) {
  return eigenvalues.map((lam) => Math.abs(1.0 - lr * lam));
}

/** GD's rate max_i |1 - lr lam_i| (theory.gd_rate). */
export function gdRate(lr, eigenvalues) {
  return Math.max(...contractionFactors(lr, eigenvalues));
}

/** 2/lam_max (theory.gd_stability_bound). */
export function gdStabilityBound(lamMax) {
  return 2.0 / lamMax;
}

/** 2/(lam_min + lam_max) (theory.gd_optimal_lr). */
export function gdOptimalLr(lamMin, lamMax) {
  return 2.0 / (lamMin + lamMax);
}

/** Spectral radius of a real 2x2 matrix from its trace and determinant (theory._radius_2x2). */
function radius2x2(trace, det) {
  const disc = trace * trace - 4.0 * det;
  if (disc >= 0) return (Math.abs(trace) + Math.sqrt(Math.max(disc, 0.0))) / 2.0;
  return Math.sqrt(Math.abs(det));
}

/** Heavy ball's rate over a spectrum (theory.heavy_ball_rate). */
export function heavyBallRate(lr, gamma, eigenvalues) {
  return Math.max(...eigenvalues.map((lam) => radius2x2(1.0 + gamma - lr * lam, gamma)));
}

/** Nesterov's rate over a spectrum (theory.nesterov_rate). */
export function nesterovRate(lr, gamma, eigenvalues) {
  return Math.max(...eigenvalues.map((lam) => {
    const a = lr * lam;
    return radius2x2((1.0 + gamma) * (1.0 - a), gamma * (1.0 - a));
  }));
}

/** Polyak's optimal heavy-ball (lr, gamma) and its rate (theory.heavy_ball_optimal). */
export function heavyBallOptimal(lamMin, lamMax) {
  const sLo = Math.sqrt(lamMin);
  const sHi = Math.sqrt(lamMax);
  const rate = (sHi - sLo) / (sHi + sLo);
  const root = 2.0 / (sHi + sLo);
  return { lr: root * root, gamma: rate * rate, rate };
}

/**
 * The rate the registry's theory gives a rule on a quadratic (Optimizer.theory_rate, as the
 * trajectory explorer draws it), or NaN: none for a rate <= 0, for coupled weight decay (the
 * run then converges elsewhere) or for a rule theory has no rate for. PyTorch-form heavy ball
 * runs at the effective rate lr (1 - dampening).
 */
export function theoryRate(name, form, h, eigenvalues) {
  if (!(h.lr > 0) || (h.weight_decay ?? 0.0) !== 0.0) return NaN;
  if (name === "gd") return gdRate(h.lr, eigenvalues);
  if (name === "momentum") {
    const damping = form === "pytorch" ? 1.0 - (h.dampening ?? 0.0) : 1.0;
    return heavyBallRate(h.lr * damping, h.gamma, eigenvalues);
  }
  if (name === "nesterov") return nesterovRate(h.lr, h.gamma, eigenvalues);
  return NaN;
}
