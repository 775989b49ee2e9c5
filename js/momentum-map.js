// The static view of optbook.widgets.MomentumRateMap: heavy ball on the quadratic with
// eigenvalues lam_min and kappa lam_min. Left, the measured rate of every cell of the (eta
// lam_max, gamma) grid (js/sweep.js, swept again when kappa changes), the stability boundary,
// Polyak's optimum and the point; right, the point's run on the level sets.

import { Axes, FONT, frame, line, note, starPath } from "./figure.js";
import { fixed, general, spoken } from "./format.js";
import { conditionedQuadratic, landscape } from "./landscapes.js";
import { errorNorms, fittedRate } from "./rates.js";
import { rule } from "./rules.js";
import { FAST_RATE_BOUND, heavyBallSweep, rateMapGrid } from "./sweep.js";
import * as theory from "./theory.js";
import { trajectory } from "./trajectory.js";

const POINT = 100 / 72; // CSS pixels per point at plotting.DPI
const VERMILLION = "#D55E00";
const ORANGE = "#E69F00";
const MINUS = "\u2212"; // matplotlib's tick labels use the Unicode minus
const TICK = { length: 3.5, width: 0.8, pad: 3.5, size: 9 }; // matplotlib's defaults, points
const LABEL_SIZE = 10; // plotting.FONT["label"], points
const LABEL_PAD = 4; // axes.labelpad, points
const MAPS_KEPT = 8;
const greek = (text) => ({ text, italic: true });
const plain = (text) => ({ text, italic: false });

function decodeColours(base64) {
  return Uint8Array.from(globalThis.atob(base64), (c) => c.charCodeAt(0));
}

/** The colour-table index of a rate, as matplotlib's rate_norm and colour map give it; -1
 * for no convergence (NaN, or above the scale's top). */
export function rateColourIndex(rate, { slack, low, high }) {
  const x = ((-Math.log10(1.0 + slack - rate)) - low) / (high - low);
  if (Number.isNaN(x)) return -1;
  let xa = x * 256;
  if (xa === 256) xa = 255;
  if (xa >= 256) return -1;
  return xa < 0 ? 0 : Math.trunc(xa);
}

/** engine.set_symmetric_limits' tick: 0.8 half rounded down to 1, 2, 5 or 10 times a decade. */
export function symmetricTick(half) {
  const top = 0.8 * half;
  const decade = 10 ** Math.floor(Math.log10(top));
  return [1.0, 2.0, 5.0, 10.0].filter((m) => m * decade <= top).pop() * decade;
}

/** The decimals matplotlib's ScalarFormatter gives the ticks -t, 0, t. */
export function tickDecimals(t) {
  const oom = Math.floor(Math.log10(2 * t));
  const thresh = 1e-3 * 10 ** oom;
  let sigfigs = Math.max(0, 3 - oom);
  while (sigfigs >= 0) {
    const f = 10 ** sigfigs;
    if (Math.abs(t - Math.round(t * f) / f) < thresh) sigfigs -= 1;
    else break;
  }
  return sigfigs + 1;
}

function tickLabel(value, decimals) {
  const text = Math.abs(value).toFixed(decimals);
  return value < 0 ? MINUS + text : text;
}

/** Everything the explorer prints and draws at one setting, but the map. */
export function compute({ kappa, lr, gamma }, lamMin, steps) {
  const land = conditionedQuadratic(kappa, lamMin);
  const f = landscape(land.code, land.params);
  const run = trajectory(f, rule("momentum"), { lr, gamma }, land.start, steps);
  const errors = errorNorms(run.positions, run.count, land.minimizer);
  const [lo, hi] = land.eigenvalues;
  const out = new Float64Array(3);
  f(land.start[0], land.start[1], out);
  const excess = out[0] - land.minValue;
  return {
    land, f, run,
    measuredRate: fittedRate(errors),
    theoryRate: theory.heavyBallRate(lr, gamma, land.eigenvalues),
    optimum: theory.heavyBallOptimal(lo, hi),
    // MomentumRateMap._half_widths
    halfWidths: land.eigenvalues.map((lam) => 1.25 * Math.sqrt(2.0 * excess / lam)),
  };
}

/** MomentumRateMap._fit_path: the path axes' vertical half-height. */
export function pathHalfHeight(run, [halfX, halfY]) {
  let swing = 0;
  for (let t = 0; t < run.count; t++) swing = Math.max(swing, Math.abs(run.positions[2 * t + 1]));
  const doublings = Math.ceil(Math.log2(Math.max(swing / halfY, 1.0)));
  return Math.min(halfY * 2.0 ** doublings, halfX);
}

/**
 * The map of one kappa: every cell's rate and divergence, its fastest converging cell and the
 * number of converging cells, the library's (run.sweep) wherever the figure or the text could
 * tell them apart. The sweep measures the rates with the browser's logarithm (fastRates, within
 * FAST_RATE_BOUND of the library's); a cell whose colour or convergence could change within
 * that bound, or that could be the fastest, is swept again with the library's operations.
 */
export function sweepMap(kappa, lamMin, n, steps, norm) {
  const land = conditionedQuadratic(kappa, lamMin);
  const { lrs, gammas } = rateMapGrid(kappa, n, lamMin);
  const params = { lam0: land.eigenvalues[0], lam1: land.eigenvalues[1],
    u0: land.start[0] - land.minimizer[0], u1: land.start[1] - land.minimizer[1], steps };
  const rate = new Float64Array(n * n);
  const diverged = new Uint8Array(n * n);
  heavyBallSweep({ ...params, lrs, gammas, fastRates: true }, rate, new Float64Array(n * n),
    diverged);
  const low = (r) => r * (1 - FAST_RATE_BOUND);
  const high = (r) => r * (1 + FAST_RATE_BOUND);
  let fastest = Infinity;
  for (const r of rate) if (r < fastest) fastest = r;
  const again = [];
  for (let i = 0; i < rate.length; i++) {
    const r = rate[i];
    if (Number.isNaN(r)) continue;
    if (rateColourIndex(low(r), norm) !== rateColourIndex(high(r), norm)
        || (low(r) < 1.0) !== (high(r) < 1.0) || low(r) <= high(fastest)) again.push(i);
  }
  if (again.length > 0) {
    const exact = new Float64Array(again.length);
    heavyBallSweep({ ...params, lrs: Float64Array.from(again, (i) => lrs[i]),
      gammas: Float64Array.from(again, (i) => gammas[i]) }, exact,
    new Float64Array(again.length), new Uint8Array(again.length));
    again.forEach((cell, k) => { rate[cell] = exact[k]; });
  }
  let best = NaN;
  let converging = 0;
  for (const r of rate) {
    if (r < 1.0) {
      converging += 1;
      if (!(r >= best)) best = r;
    }
  }
  return { kappa, rate, diverged, best, converging, exactCells: again.length };
}

/** MomentumRateMap.alt_text. */
export function altText({ lr, gamma }, lrSpan, map, { land, run, measuredRate, theoryRate,
  optimum }) {
  const [lamMin, lamMax] = land.eigenvalues;
  const verdict = run.divergedAt !== null ? `diverges at step ${run.divergedAt}`
    : `measures ${spoken(measuredRate, 4)}`;
  const end = 2 * (run.count - 1);
  return "Left: a heat map of heavy ball's measured rate on a quadratic with eigenvalues "
    + `${spoken(lamMin)} and ${spoken(lamMax)}, over the learning rate times lambda max `
    + `from 0 to ${spoken(lrSpan)} and the momentum from 0 to 1; grey cells do not `
    + "converge, right of the stability boundary, eta lambda max equals 2 plus 2 gamma. "
    + `The fastest cell measures ${spoken(map.best, 4)}; Polyak's optimum, a star at learning `
    + `rate ${spoken(optimum.lr)} and momentum ${spoken(optimum.gamma)}, has `
    + `rate ${spoken(optimum.rate, 4)}. The white dot at learning rate `
    + `${spoken(lr)} and momentum ${spoken(gamma)}: theory `
    + `${spoken(theoryRate, 4)}, the run ${verdict}. Right: that run's path from `
    + `(${spoken(land.start[0])}, ${spoken(land.start[1])}) over the level sets, ending `
    + `at (${spoken(run.positions[end])}, ${spoken(run.positions[end + 1])}).`;
}

/** matplotlib's "*" marker (a regular 5-point star, inner radius 0.381966) of `size` points. */
function star(ctx, px, py, { size, color, edgeColor, edgeWidth }) {
  const r = (size * POINT) / 2;
  ctx.beginPath();
  starPath(ctx, px, py, r);
  ctx.fillStyle = color;
  ctx.fill();
  ctx.lineJoin = "bevel";
  ctx.lineWidth = edgeWidth * POINT;
  ctx.strokeStyle = edgeColor;
  ctx.setLineDash([]);
  ctx.stroke();
}

/** Round markers ("o") of `size` points at the pixels (xs[i], ys[i]), one path. */
function dots(ctx, xs, ys, { size, color, edgeColor, edgeWidth = 1 }) {
  const r = (size * POINT) / 2;
  ctx.beginPath();
  for (let i = 0; i < xs.length; i++) {
    if (!Number.isFinite(xs[i]) || !Number.isFinite(ys[i])) continue;
    ctx.moveTo(xs[i] + r, ys[i]);
    ctx.arc(xs[i], ys[i], r, 0, 2 * Math.PI);
  }
  ctx.fillStyle = color;
  ctx.fill();
  ctx.lineWidth = edgeWidth * POINT;
  ctx.strokeStyle = edgeColor;
  ctx.setLineDash([]);
  ctx.stroke();
}

/** Mathtext-like text: runs { text, italic, sup } (a superscript at 70 %, raised), centred
 * on x with its baseline at y. */
function centredText(ctx, parts, x, y, fontSize) {
  const size = fontSize * POINT;
  const font = (part) => `${part.italic ? "italic " : ""}${part.sup ? 0.7 * size : size}px ${FONT}`;
  const width = parts.reduce((sum, part) => {
    ctx.font = font(part);
    return sum + ctx.measureText(part.text).width;
  }, 0);
  let left = x - width / 2;
  ctx.textBaseline = "alphabetic";
  ctx.fillStyle = "black";
  for (const part of parts) {
    ctx.font = font(part);
    ctx.fillText(part.text, left, part.sup ? y - 0.45 * size : y);
    left += ctx.measureText(part.text).width;
  }
}

/** Tick marks and labels at -t, 0, t of both axes of `ax` (direction out, as matplotlib). */
function symmetricTicks(ctx, ax, tickX, tickY) {
  const [left, top, , height] = ax.box;
  const length = TICK.length * POINT;
  ctx.lineWidth = TICK.width * POINT;
  ctx.strokeStyle = "black";
  ctx.setLineDash([]);
  ctx.fillStyle = "black";
  ctx.font = `${TICK.size * POINT}px ${FONT}`;
  const bottom = top + height;
  const gap = (TICK.length + TICK.pad) * POINT;
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  const dx = tickDecimals(tickX);
  for (const value of [-tickX, 0.0, tickX]) {
    const px = ax.px(value);
    ctx.beginPath();
    ctx.moveTo(px, bottom);
    ctx.lineTo(px, bottom + length);
    ctx.stroke();
    ctx.fillText(tickLabel(value, dx), px, bottom + gap);
  }
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  const dy = tickDecimals(tickY);
  let widest = 0;
  for (const value of [-tickY, 0.0, tickY]) {
    const py = ax.py(value);
    ctx.beginPath();
    ctx.moveTo(left, py);
    ctx.lineTo(left - length, py);
    ctx.stroke();
    const text = tickLabel(value, dy);
    ctx.fillText(text, left - gap, py);
    widest = Math.max(widest, ctx.measureText(text).width);
  }
  ctx.textAlign = "left";
  return left - gap - widest;
}

/** The vertical axis' label x_2, turned a quarter, its foot LABEL_PAD left of `right`, as
 * matplotlib places it beside the tick labels. */
function verticalLabel(ctx, ax, right) {
  const size = LABEL_SIZE * POINT;
  ctx.save();
  ctx.translate(right - LABEL_PAD * POINT, ax.box[1] + ax.box[3] / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillStyle = "black";
  ctx.textBaseline = "alphabetic";
  ctx.font = `italic ${size}px ${FONT}`;
  const x = ctx.measureText("x").width;
  ctx.font = `${0.7 * size}px ${FONT}`;
  const sub = ctx.measureText("2").width;
  const left = -(x + sub) / 2;
  const baseline = -0.3 * size; // the subscript's foot on the anchor
  ctx.font = `italic ${size}px ${FONT}`;
  ctx.fillText("x", left, baseline);
  ctx.font = `${0.7 * size}px ${FONT}`;
  ctx.fillText("2", left + x, baseline + 0.2 * size);
  ctx.restore();
}

/** plotting._levels on the 64 x 64 grid of the window [-half, half]^2 of `f` (minimum 0). */
export function levels(f, half, count = 14) {
  const n = 64;
  const out = new Float64Array(3);
  const values = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      f(-half + (2 * half * j) / (n - 1), -half + (2 * half * i) / (n - 1), out);
      if (out[0] > 0) values.push(out[0]);
    }
  }
  values.sort((a, b) => a - b);
  const top = values[values.length - 1];
  const position = 0.005 * (values.length - 1);
  const k = Math.floor(position);
  const percentile = values[k] + (position - k) * ((values[Math.min(k + 1, values.length - 1)])
    - values[k]);
  const bottom = Math.max(percentile, top * 1e-6);
  const ratio = Math.log(top / bottom) / count;
  return Array.from({ length: count }, (_, i) => bottom * Math.exp(i * ratio));
}

export class MomentumMapView {
  constructor(document_, canvas) {
    this.doc = document_;
    this.canvas = canvas;
    this.mapAxes = new Axes(document_.axes.map);
    this.pathAxes = new Axes(document_.axes.path);
    this.n = document_.resolution;
    this.rateColours = decodeColours(document_.rate_colours);
    this.contourColours = decodeColours(document_.contour_colours);
    this.cells = document.createElement("canvas");
    this.cells.width = this.n;
    this.cells.height = this.n;
    this.map = null;
    this.maps = new Map();
    this.ellipses = null;
    this.circle = Array.from({ length: 160 }, (_, i) => {
      const t = (2 * Math.PI * i) / 159;
      return [Math.cos(t), Math.sin(t)];
    });
  }

  /** The values of a button's action: snap to Polyak's optimum. */
  act(action, { kappa }) {
    if (action !== "snap_to_optimum") throw new Error(`unknown action ${action}`);
    const land = conditionedQuadratic(kappa, this.doc.lam_min);
    const { lr, gamma } = theory.heavyBallOptimal(...land.eigenvalues);
    return { lr, gamma };
  }

  /** The map of `kappa` with its cells painted: swept once per kappa, the last MAPS_KEPT
   * maps kept (a reader going back to a kappa gets its map at once). */
  mapOf(kappa) {
    if (this.map !== null && this.map.kappa === kappa) return this.map;
    let map = this.maps.get(kappa);
    if (map === undefined) {
      map = this.sweep(kappa);
      if (this.maps.size >= MAPS_KEPT) this.maps.delete(this.maps.keys().next().value);
    } else {
      this.maps.delete(kappa);
    }
    this.maps.set(kappa, map);
    this.cells.getContext("2d").putImageData(map.image, 0, 0);
    this.map = map;
    return map;
  }

  /** sweepMap at `kappa`, and its cells' colours as an image (the first row at the bottom). */
  sweep(kappa) {
    const { n, doc } = this;
    const map = sweepMap(kappa, doc.lam_min, n, doc.steps, doc.rate_norm);
    const image = this.cells.getContext("2d").createImageData(n, n);
    const grey = doc.no_convergence;
    for (let iy = 0; iy < n; iy++) {
      for (let ix = 0; ix < n; ix++) {
        const index = rateColourIndex(map.rate[iy * n + ix], doc.rate_norm);
        const o = 4 * ((n - 1 - iy) * n + ix); // origin at the bottom, as imshow's "lower"
        for (let c = 0; c < 3; c++) {
          image.data[o + c] = index < 0 ? grey[c] : this.rateColours[3 * index + c];
        }
        image.data[o + 3] = 255;
      }
    }
    return { kappa, best: map.best, converging: map.converging, image };
  }

  /** Recompute at the controls' values and draw; returns the alternative text and what was
   * printed. */
  draw(values) {
    const result = compute(values, this.doc.lam_min, this.doc.steps);
    const map = this.mapOf(values.kappa);
    const ctx = this.canvas.getContext("2d");
    const scale = this.canvas.width / this.doc.size[0];
    ctx.setTransform(scale, 0, 0, scale, 0, 0);
    ctx.clearRect(0, 0, this.doc.size[0], this.doc.size[1]);
    this.drawMap(ctx, values, result);
    this.drawPath(ctx, values, result);
    const { run, optimum } = result;
    return {
      altText: altText(values, this.doc.lr_span, map, result),
      printed: {
        measuredRate: result.measuredRate, theoryRate: result.theoryRate,
        divergedAt: run.divergedAt, optimumLr: optimum.lr, optimumGamma: optimum.gamma,
        optimumRate: optimum.rate, fastestCell: map.best, convergingCells: map.converging,
      },
    };
  }

  drawMap(ctx, { lr, gamma }, { land, optimum }) {
    const ax = this.mapAxes;
    const [lamMin, lamMax] = land.eigenvalues;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.cells, ...ax.box);
    const edge = [0.0, 1.0];
    line(ctx, ax, edge.map((e) => theory.gdStabilityBound(lamMax) * (1.0 + e) * lamMax), edge,
      { color: VERMILLION, width: 1.6, style: "--" });
    star(ctx, ax.px(optimum.lr * lamMax), ax.py(optimum.gamma),
      { size: 14, color: ORANGE, edgeColor: "black", edgeWidth: 0.6 });
    dots(ctx, [ax.px(lr * lamMax)], [ax.py(gamma)], { size: 7, color: "white",
      edgeColor: "black" });
    frame(ctx, ax);
    centredText(ctx, [greek("κ"), plain(` = ${general(lamMax / lamMin, 4)}: optimum `),
      greek("ρ"), { text: "*", italic: false, sup: true }, plain(` = ${fixed(optimum.rate, 3)}`)],
    ax.box[0] + ax.box[2] / 2, ax.box[1] - 6 * POINT, 11);
  }

  /** The level ellipses of the window [-half, half]^2 (plotting.level_ellipses), per kappa. */
  ellipsesOf(kappa, f, eigenvalues, half) {
    if (this.ellipses !== null && this.ellipses.kappa === kappa) return this.ellipses;
    const found = levels(f, half);
    const lo = Math.log(found[0]);
    const hi = Math.log(found[found.length - 1] * 4);
    this.ellipses = {
      kappa,
      curves: found.map((level) => {
        const x = Math.min(Math.max((Math.log(level) - lo) / (hi - lo), 0), 1) * 256;
        const index = Math.min(Math.trunc(x), 255);
        const c = this.contourColours.subarray(3 * index, 3 * index + 3);
        const radius = Math.sqrt(2.0 * level);
        return {
          color: `rgb(${c[0]}, ${c[1]}, ${c[2]})`,
          xs: this.circle.map(([cos]) => radius * cos / Math.sqrt(eigenvalues[0])),
          ys: this.circle.map(([, sin]) => radius * sin / Math.sqrt(eigenvalues[1])),
        };
      }),
    };
    return this.ellipses;
  }

  drawPath(ctx, { kappa, lr, gamma }, { land, f, run, measuredRate, theoryRate, halfWidths }) {
    const ax = this.pathAxes;
    const halfX = halfWidths[0];
    const halfY = pathHalfHeight(run, halfWidths);
    ax.x = { ...ax.x, limits: [-halfX, halfX] };
    ax.setYLimits([-halfY, halfY]);
    for (const curve of this.ellipsesOf(kappa, f, land.eigenvalues, halfX).curves) {
      line(ctx, ax, curve.xs, curve.ys, { color: curve.color, width: 0.8 });
    }
    frame(ctx, ax);
    verticalLabel(ctx, ax, symmetricTicks(ctx, ax, symmetricTick(halfX), symmetricTick(halfY)));
    const [color, style] = this.doc.path_style;
    const xs = [];
    const ys = [];
    for (let t = 0; t < run.count; t++) {
      xs.push(run.positions[2 * t]);
      ys.push(run.positions[2 * t + 1]);
    }
    line(ctx, ax, xs, ys, { color, width: 1.4, style });
    ctx.save();
    ax.clip(ctx);
    dots(ctx, xs.map((x) => ax.px(x)), ys.map((y) => ax.py(y)), { size: 2.5, color,
      edgeColor: color });
    star(ctx, ax.px(land.minimizer[0]), ax.py(land.minimizer[1]),
      { size: 13, color: "black", edgeColor: "white", edgeWidth: 0.6 });
    dots(ctx, [ax.px(land.start[0])], [ax.py(land.start[1])], { size: 6, color: "white",
      edgeColor: "black" });
    ctx.restore();
    const last = run.divergedAt !== null ? [plain(`diverged at step ${run.divergedAt}`)]
      : [plain(`measured = ${fixed(measuredRate, 4)}`)];
    note(ctx, ax, 0.03, 0.97, [
      [greek("η"), plain(` = ${general(lr, 4)}, `), greek("γ"), plain(` = ${fixed(gamma, 3)}`)],
      [plain("theory "), greek("ρ"), plain(` = ${fixed(theoryRate, 4)}`)],
      last,
    ]);
  }
}
