// The static view of optbook.widgets.TrajectoryExplorer: up to three optimizers on one 2-D
// landscape from one start. Left, over the level sets of the scenery, each run's path in its
// colour and marker, the minimisers (stars), the start and the "diverged at step k" notes;
// right, f(x_t) - f* of each run against the step on a log axis, with the theory curve
// (f(x_0) - f*) rho^(2t) on a quadratic. Every slider moves the loss axis' limits, so its
// ticks and labels are chosen here as matplotlib chooses them (./ticks.js) and drawn in the
// book's fonts, and the y label (an image) sits beside the widest tick label, as matplotlib
// puts it.

import { decadeLimits } from "./quadratic-rate.js";
import { Axes, FONT, frame, line, note, starPath } from "./figure.js";
import { fixed, general, spoken } from "./format.js";
import { landscape } from "./landscapes.js";
import { rule } from "./rules.js";
import { theoryRate } from "./theory.js";
import {
  labelledCoefficients, logLabel, logLocator, maxNLocator, pow10, scalarDecimals, shown,
} from "./ticks.js";
import { trajectory } from "./trajectory.js";

const POINT = 100 / 72; // CSS pixels per point at the book's 100 dots per inch
const TINY = 2.2250738585072014e-308; // numpy.finfo(float64).tiny: the curves' floor
const HUGE = Number.MAX_VALUE;
// DejaVu Sans' heights in em: the ink of "l" (matplotlib's line top), of "x" (mathtext's x
// height) and of the digits
const ASCENT = 1556 / 2048;
const X_HEIGHT = 1120 / 2048;
const DIGIT = 1493 / 2048;
const SCRIPT = 0.7; // mathtext's superscript scale
const SUPERSCRIPT_RAISE = 0.7; // mathtext's sup1, in x heights
const MINUS = "\u2212";

/** The step axis' ticks 0..steps as matplotlib draws them: [{ value, label }]. */
export function stepAxisTicks(steps, bins) {
  const locs = maxNLocator(0, steps, bins);
  const decimals = scalarDecimals(locs, [0, steps]);
  return shown(locs, [0, steps], "linear").map((value) => (
    { value, label: fixed(Math.abs(value) < 1e-8 ? 0 : value, decimals) }));
}

/**
 * The loss axis' ticks for the limits 10^low..10^high as matplotlib draws them:
 * { major: [{ value, label }], minor: [{ value, label }] }, a label { coefficient, exponent }
 * or null.
 */
export function lossAxisTicks(low, high, requested) {
  const limits = [pow10(low), pow10(high)];
  const { major, minor } = logLocator(limits[0], limits[1], requested);
  const coefficients = labelledCoefficients(limits);
  const labelled = (value) => ({ value, label: logLabel(value, coefficients) });
  return { major: shown(major, limits, "log").map(labelled),
    minor: shown(minor, limits, "log").map(labelled) };
}

/**
 * Draw the marker `kind` ("o", "s", "^", "*") of `size` points at every (xs[i], ys[i]), as one
 * path. A marker on the pixel position of the one before it (within 0.01 pixel: a run that
 * has converged) is drawn once, which keeps 2,000-step runs within a frame.
 */
function markers(ctx, axes, xs, ys, count, { kind, size, face, edge, edgeWidth = 1.0 }) {
  const r = (size * POINT) / 2;
  ctx.save();
  axes.clip(ctx);
  ctx.beginPath();
  let lastX = NaN;
  let lastY = NaN;
  for (let i = 0; i < count; i++) {
    const x = axes.px(xs(i));
    const y = axes.py(ys(i));
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    if (Math.abs(x - lastX) < 0.01 && Math.abs(y - lastY) < 0.01) continue;
    lastX = x;
    lastY = y;
    if (kind === "o") {
      ctx.moveTo(x + r, y);
      ctx.arc(x, y, r, 0, 2 * Math.PI);
    } else if (kind === "s") {
      ctx.rect(x - r, y - r, 2 * r, 2 * r);
    } else if (kind === "^") {
      ctx.moveTo(x, y - r);
      ctx.lineTo(x - r, y + r);
      ctx.lineTo(x + r, y + r);
      ctx.closePath();
    } else {
      starPath(ctx, x, y, r);
    }
  }
  ctx.fillStyle = face;
  ctx.fill();
  ctx.setLineDash([]);
  ctx.lineWidth = edgeWidth * POINT;
  ctx.lineJoin = kind === "o" ? "round" : "miter";
  ctx.strokeStyle = edge;
  ctx.stroke();
  ctx.restore();
}

/** Text "mantissa" with the superscript "exponent", as mathtext sets 10^{k}; returns its width. */
function powerText(ctx, mantissa, exponent, x, baseline, size, align) {
  const small = size * SCRIPT;
  ctx.font = `${size}px ${FONT}`;
  const wide = ctx.measureText(mantissa).width;
  ctx.font = `${small}px ${FONT}`;
  const script = ctx.measureText(exponent).width;
  const width = wide + script;
  const left = align === "right" ? x - width : x;
  ctx.textBaseline = "alphabetic";
  ctx.fillStyle = "black";
  ctx.font = `${size}px ${FONT}`;
  ctx.fillText(mantissa, left, baseline);
  ctx.font = `${small}px ${FONT}`;
  ctx.fillText(exponent, left + wide, baseline - SUPERSCRIPT_RAISE * X_HEIGHT * size);
  return width;
}

/** The runs' numbers at the controls' `values`: the library's computation. */
export function compute(doc, values) {
  const land = doc.landscape;
  const f = landscape(land.code, land.params);
  const x0 = [values.x0_1, values.x0_2];
  return doc.runs.map((spec) => {
    const h = { ...spec.params };
    for (const name of spec.hypers) h[name] = values[`${spec.label}_${name}`];
    const run = trajectory(f, rule(spec.name, spec.form ?? undefined), h, x0, values.steps);
    const theory = land.eigenvalues === null ? NaN
      : theoryRate(spec.name, spec.form, h, land.eigenvalues);
    return { spec, h, run, theory };
  });
}

/** TrajectoryExplorer.alt_text: what the figure shows, in words. */
export function altText(doc, values, results) {
  const land = doc.landscape;
  const parts = [`Left: level sets of the ${land.name.replaceAll("_", " ")} landscape with `
    + `its minimisers as stars and the start at (${spoken(values.x0_1)}, `
    + `${spoken(values.x0_2)}).`];
  for (const { spec, h, run } of results) {
    const settings = spec.settings.map(([name, label]) => `${label} ${spoken(h[name])}`)
      .join(", ");
    let fate;
    if (run.divergedAt !== null) {
      fate = `diverges at step ${run.divergedAt}`;
    } else {
      const last = run.count - 1;
      const gap = run.losses[last] - land.min_value;
      const loss = Number.isFinite(gap) ? `f minus its minimum is ${spoken(gap)}`
        : `f is ${spoken(run.losses[last])}`;
      fate = `ends at (${spoken(run.positions[2 * last])}, ${spoken(run.positions[2 * last + 1])})`
        + ` after ${last} steps, where ${loss}`;
    }
    parts.push(`${spec.label} (${settings}) ${fate}.`);
  }
  parts.push("Right: the loss of each run against the step, on a log scale.");
  const drawn = results.filter((r) => Number.isFinite(r.theory)).map((r) => r.spec.label);
  if (drawn.length > 0) parts.push(`Theory curves for ${drawn.join(", ")}.`);
  return parts.join(" ");
}

export class TrajectoryView {
  /** `addImage(src, box)` puts an image under the canvas: here the loss axis' y label. */
  constructor(document_, canvas, addImage) {
    this.doc = document_;
    this.canvas = canvas;
    this.path = new Axes(document_.axes.path);
    this.loss = new Axes(document_.axes.loss);
    this.ylabel = addImage(document_.ylabel.image, document_.ylabel.box);
  }

  /**
   * Run every optimizer at `values` and draw; returns the alternative text and what the
   * figure shows of each run k (`printed`: stepsRun<k>, divergedAt<k>, finalLoss<k>,
   * theoryRate<k>).
   */
  draw(values) {
    const doc = this.doc;
    const results = compute(doc, values);
    const ctx = this.canvas.getContext("2d");
    const scale = this.canvas.width / doc.size[0];
    ctx.setTransform(scale, 0, 0, scale, 0, 0);
    ctx.clearRect(0, 0, doc.size[0], doc.size[1]);
    this.drawLoss(ctx, values.steps, results);
    this.drawPaths(ctx, values, results);
    const printed = {};
    results.forEach(({ run, theory }, k) => {
      printed[`stepsRun${k}`] = run.count - 1;
      printed[`divergedAt${k}`] = run.divergedAt;
      printed[`finalLoss${k}`] = run.losses[run.count - 1];
      printed[`theoryRate${k}`] = theory;
    });
    return { altText: altText(doc, values, results), printed };
  }

  drawLoss(ctx, steps, results) {
    const ax = this.loss;
    const minValue = this.doc.landscape.min_value;
    const curves = results.map(({ run }) => Array.from(run.losses.subarray(0, run.count),
      (v) => Math.max(v - minValue, TINY)));
    let top = -Infinity;
    for (const curve of curves) for (const v of curve) top = Math.max(top, v);
    const [low, high] = decadeLimits(curves.flat(), top * 1e-20);
    ax.x = { ...ax.x, limits: [0, steps] };
    ax.setYLimits([pow10(low), pow10(high)]);
    this.drawTicks(ctx, steps, low, high);
    const stepAxis = Array.from({ length: steps + 1 }, (_, t) => t);
    results.forEach(({ spec, run, theory }, k) => {
      line(ctx, ax, stepAxis.slice(0, run.count), curves[k],
        { color: spec.colour, width: 1.4, style: spec.style });
      if (Number.isFinite(theory)) {
        const start = run.losses[0] - minValue;
        line(ctx, ax, stepAxis, stepAxis.map((t) => Math.min(Math.max(
          start * theory ** (2 * t), TINY), HUGE)),
        { color: spec.colour, width: 1.1, style: spec.theory_style });
      }
    });
    frame(ctx, ax);
  }

  drawTicks(ctx, steps, low, high) {
    const ax = this.loss;
    const { ticks } = this.doc;
    const size = ticks.font_size * POINT;
    const [left, top, , height] = ax.box;
    const bottom = top + height;
    const gap = (ticks.major[0] + ticks.pad) * POINT;
    const mark = (x0, y0, x1, y1, [length, lineWidth]) => {
      ctx.beginPath();
      ctx.moveTo(x0, y0);
      ctx.lineTo(x0 - x1 * length * POINT, y0 + y1 * length * POINT);
      ctx.lineWidth = lineWidth * POINT;
      ctx.strokeStyle = "black";
      ctx.setLineDash([]);
      ctx.lineCap = "butt";
      ctx.stroke();
    };
    ctx.textAlign = "left";
    ctx.fillStyle = "black";
    for (const { value, label } of stepAxisTicks(steps, ticks.x_bins)) {
      const x = ax.px(value);
      mark(x, bottom, 0, 1, ticks.major);
      ctx.font = `${size}px ${FONT}`;
      const w = ctx.measureText(label).width;
      ctx.textBaseline = "alphabetic";
      ctx.fillText(label, x - w / 2, bottom + gap + ASCENT * size);
    }
    const { major, minor } = lossAxisTicks(low, high, ticks.y_ticks);
    let leftmost = left;
    for (const [list, style] of [[major, ticks.major], [minor, ticks.minor]]) {
      for (const { value, label } of list) {
        const y = ax.py(value);
        mark(left, y, 1, 0, style);
        if (label === null) continue;
        const exponent = String(label.exponent).replace("-", MINUS);
        const mantissa = label.coefficient === null ? "10" : `${general(label.coefficient, 6)}×10`;
        const above = SUPERSCRIPT_RAISE * X_HEIGHT * size + DIGIT * SCRIPT * size;
        const w = powerText(ctx, mantissa, exponent, left - gap, y + above / 2, size, "right");
        leftmost = Math.min(leftmost, left - gap - w);
      }
    }
    const { ylabel } = this.doc;
    const shift = leftmost - ylabel.pad - ylabel.right;
    this.ylabel.style.left = `${ylabel.box[0] + shift}px`;
  }

  drawPaths(ctx, values, results) {
    const ax = this.path;
    frame(ctx, ax);
    results.forEach(({ spec, run }) => {
      const p = run.positions;
      const xs = [];
      const ys = [];
      for (let t = 0; t < run.count; t++) {
        xs.push(p[2 * t]);
        ys.push(p[2 * t + 1]);
      }
      line(ctx, ax, xs, ys, { color: spec.colour, width: 1.4, style: spec.style });
      markers(ctx, ax, (i) => xs[i], (i) => ys[i], run.count,
        { kind: spec.marker, size: 3.0, face: spec.colour, edge: spec.colour });
    });
    for (const star of this.doc.stars) {
      markers(ctx, ax, () => star.x, () => star.y, 1, { kind: "*", size: star.size,
        face: "black", edge: "white", edgeWidth: star.edge_width });
    }
    markers(ctx, ax, () => values.x0_1, () => values.x0_2, 1,
      { kind: "o", size: 6, face: "white", edge: "black" });
    results.forEach(({ spec, run }, k) => {
      if (run.divergedAt === null) return;
      note(ctx, ax, 0.03, 0.97 - 0.09 * k,
        [[{ text: `${spec.label}: diverged at step ${run.divergedAt}`, italic: false }]], 9,
        { color: spec.text_colour });
    });
  }
}
