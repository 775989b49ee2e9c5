// The static view of optbook.widgets.QuadraticRateExplorer: gradient descent on the quadratic
// with eigenvalues 1 and kappa. Left, the contraction |1 - eta lam_i| per direction and the rate
// against eta, with 2/lam_max, eta* and eta marked and the rate measured on a run; right, the
// run's error and its eigen-components with the theoretical ||x_0 - x*|| rho^t.

import { Axes, frame, line, marker, note, runs, verticalLine } from "./figure.js";
import { fixed, general, spoken } from "./format.js";
import { conditionedQuadratic, landscape } from "./landscapes.js";
import { errorNorms, fittedRate } from "./rates.js";
import { rule } from "./rules.js";
import * as theory from "./theory.js";
import { trajectory } from "./trajectory.js";

const PALETTE = {
  blue: "#0072B2", skyBlue: "#56B4E9", orange: "#E69F00", vermillion: "#D55E00",
  bluishGreen: "#009E73",
};
const TINY = 2.2250738585072014e-308; // numpy.finfo(float64).tiny: the curves' floor

/** plotting.decade_limits: whole decades around the positive finite values, above `floor`. */
export function decadeLimits(values, floor) {
  let low = Infinity;
  let high = -Infinity;
  for (const v of values) {
    if (Number.isFinite(v) && v > 0) {
      low = Math.min(low, v);
      high = Math.max(high, v);
    }
  }
  if (low === Infinity) return [Math.floor(Math.log10(floor)), Math.floor(Math.log10(floor)) + 1];
  low = Math.max(low, floor);
  high = Math.max(high, low);
  return [Math.floor(Math.log10(low)), Math.floor(Math.log10(high)) + 1];
}

const greek = (text) => ({ text, italic: true });
const plain = (text) => ({ text, italic: false });

/** The numbers the explorer prints and draws at (kappa, lr): the library's computation. */
export function compute(kappa, lr, steps) {
  const land = conditionedQuadratic(kappa);
  const f = landscape(land.code, land.params);
  const run = trajectory(f, rule("gd"), { lr }, land.start, steps);
  const errors = errorNorms(run.positions, run.count, land.minimizer);
  return {
    land, run, errors,
    measuredRate: fittedRate(errors),
    theoryRate: theory.gdRate(lr, land.eigenvalues),
  };
}

/** QuadraticRateExplorer.alt_text: what the figure shows at (kappa, lr), in words. */
export function altText(kappa, lr, { land, run, measuredRate, theoryRate }) {
  const [lamMin, lamMax] = land.eigenvalues;
  const verdict = run.divergedAt !== null ? `diverges at step ${run.divergedAt}`
    : `measures a rate of ${spoken(measuredRate, 4)}`;
  return "Left: the contraction per step of gradient descent along each eigen-direction of "
    + `a quadratic with condition number ${spoken(kappa)} (eigenvalues ${spoken(lamMin)} `
    + `and ${spoken(lamMax)}), and their maximum, the rate, against the learning rate on `
    + "a log axis, with the stability bound 2 over lambda max at "
    + `${spoken(2 / lamMax)} and the optimal learning rate at `
    + `${spoken(2 / (lamMin + lamMax))}. At the learning rate ${spoken(lr)} theory gives `
    + `${spoken(theoryRate, 4)} and the run ${verdict}. Right: the run's distance to the `
    + "minimiser and its two components against the step on a log axis, under the bound "
    + "from theory.";
}

export class QuadraticRateView {
  /**
   * `addImage(src, box)` puts an image under the canvas at `box` (CSS pixels) and returns it:
   * here the error axis' tick strip, swapped as the axis' limits change.
   */
  constructor(document_, canvas, addImage) {
    this.doc = document_;
    this.canvas = canvas;
    const strips = document_.strips;
    this.strip = addImage(Object.values(strips.images)[0], strips.box);
    this.rate = new Axes(document_.axes.rate);
    this.error = new Axes(document_.axes.error);
    const { start, stop, count } = document_.lr_grid;
    const a = Math.log10(start);
    const b = Math.log10(stop);
    this.grid = Array.from({ length: count }, (_, i) => 10 ** (a + (i * (b - a)) / (count - 1)));
    this.steps = document_.steps;
    this.stepAxis = Array.from({ length: this.steps + 1 }, (_, t) => t);
  }

  /**
   * Recompute at (kappa, lr) and draw; returns the alternative text and what was printed
   * (`printed`: measured and theoretical rates, the step of divergence or null).
   */
  draw({ kappa, lr }) {
    const result = compute(kappa, lr, this.steps);
    const ctx = this.canvas.getContext("2d");
    const scale = this.canvas.width / this.doc.size[0];
    ctx.setTransform(scale, 0, 0, scale, 0, 0);
    ctx.clearRect(0, 0, this.doc.size[0], this.doc.size[1]);
    this.drawRates(ctx, kappa, lr, result);
    this.drawErrors(ctx, result);
    result.altText = altText(kappa, lr, result);
    result.printed = { measuredRate: result.measuredRate, theoryRate: result.theoryRate,
      divergedAt: result.run.divergedAt };
    return result;
  }

  drawRates(ctx, kappa, lr, { land, run, measuredRate, theoryRate }) {
    const ax = this.rate;
    const [lamMin, lamMax] = land.eigenvalues;
    runs(ctx, [plain("no convergence")], ax.box[0] + 0.97 * ax.box[2], ax.py(1.03),
      { fontSize: 9, align: "right", baseline: "bottom" });
    for (const [lam, color] of [[lamMin, PALETTE.skyBlue], [lamMax, PALETTE.orange]]) {
      line(ctx, ax, this.grid, this.grid.map((x) => Math.abs(1.0 - x * lam)), { color, width: 1.3 });
    }
    line(ctx, ax, this.grid, this.grid.map((x) => theory.gdRate(x, land.eigenvalues)),
      { color: "black", width: 2.2, alpha: 0.55 });
    verticalLine(ctx, ax, theory.gdStabilityBound(lamMax),
      { color: PALETTE.vermillion, width: 1.5, style: ":" });
    verticalLine(ctx, ax, theory.gdOptimalLr(lamMin, lamMax),
      { color: PALETTE.bluishGreen, width: 1.5, style: "-." });
    verticalLine(ctx, ax, lr, { color: PALETTE.blue, width: 1.0 });
    frame(ctx, ax);
    marker(ctx, ax, lr, measuredRate,
      { size: 7, color: PALETTE.blue, edgeColor: "white" });
    const last = run.divergedAt === null
      ? [plain(`measured = ${fixed(measuredRate, 4)}`)]
      : [plain(`diverged at step ${run.divergedAt}`)];
    note(ctx, ax, 0.03, 0.97, [
      [greek("κ"), plain(` = ${general(kappa, 3)}, `), greek("η"), plain(` = ${general(lr, 3)}`)],
      [plain("theory "), greek("ρ"), plain(` = ${fixed(theoryRate, 4)}`)],
      last,
    ]);
  }

  drawErrors(ctx, { run, errors, theoryRate }) {
    const ax = this.error;
    const [lo, hi] = decadeLimits(errors, errors[0] * 1e-13);
    ax.setYLimits([10 ** lo, 10 ** hi]);
    const image = this.doc.strips.images[`${lo} ${hi}`];
    if (image !== undefined && this.strip.getAttribute("src") !== image) this.strip.src = image;
    const steps = this.stepAxis.slice(0, run.count);
    for (const [i, color] of [[0, PALETTE.skyBlue], [1, PALETTE.orange]]) {
      const component = steps.map((t) => Math.max(Math.abs(run.positions[2 * t + i]), TINY));
      line(ctx, ax, steps, component, { color, width: 1.0 });
    }
    line(ctx, ax, steps, Array.from(errors, (e) => Math.max(e, TINY)),
      { color: PALETTE.blue, width: 1.8 });
    if (Number.isFinite(theoryRate)) {
      line(ctx, ax, this.stepAxis, this.stepAxis.map((t) => Math.min(Math.max(
        errors[0] * theoryRate ** t, TINY), Number.MAX_VALUE)),
      { color: "black", width: 1.1, style: ":" });
    }
    frame(ctx, ax);
  }
}
