// The static view of optbook.widgets.OptimizerRace: one adaptive rule against gradient descent
// at the same learning rate on one of four landscapes. Left, the level sets (the landscape's
// image, from the build) and both paths; right, f(x_t) - f* of both runs on the fixed log axis,
// with the length of the rule's first step against its closed form (optbook.adaptive.first_step).

import { Axes, figureLine, frame, markers, note, star } from "./figure.js";
import { fixed, general, spoken } from "./format.js";
import { landscape } from "./landscapes.js";
import { fma } from "./libm.js";
import { rule } from "./rules.js";
import { trajectory } from "./trajectory.js";

const BLACK = "#000000";
const GD_LABEL = "GD";
const TINY = 2.2250738585072014e-308; // numpy.finfo(float64).tiny: plotting.loss_values' floor

/**
 * The length of a 2-vector as numpy.linalg.norm gives it here: sqrt of the dot product, which
 * OpenBLAS's ddot computes with a fused multiply-add (d1 d1 + d0 d0 rounded once); measured on
 * 100,000 random vectors, the plain sum differs in the last bit for 6 % of them.
 */
export function norm(d0, d1) {
  return Math.sqrt(fma(d1, d1, d0 * d0));
}

/** The hyper-parameters the race gives `method` (the document's entry) at the controls' values. */
export function hyperParameters(method, values) {
  const h = { ...method.hyper, lr: values.lr, eps: values.eps };
  if (method.reads.includes("beta2")) h[method.beta2] = values.beta2;
  if (method.reads.includes("beta1")) h.beta1 = values.beta1;
  return h;
}

/**
 * optbook.adaptive.first_step for the race's rules: the first step x_1 - x_0 for the gradient
 * (g0, g1), in closed form, with the library's operations in its order (numpy element-wise).
 */
export function firstStep(name, method, h, g0, g1) {
  const lr = h.lr;
  const step = (g) => {
    const a = Math.abs(g);
    if (name === "adagrad") return (-lr * g) / (Math.sqrt(h.initial_accumulator + g * g) + h.eps);
    if (name === "rmsprop") {
      const spread = h.centered ? h.rho * (1.0 - h.rho) : 1.0 - h.rho;
      return (-lr * g) / (Math.sqrt(spread) * a + h.eps);
    }
    if (name === "adadelta") return (-lr * g) * Math.sqrt(h.eps / ((1.0 - h.rho) * g * g + h.eps));
    const base = (-lr * g) / (a + h.eps);
    if (name === "nadam") {
      const [p1, p2] = method.decayPowers;
      const mu1 = h.beta1 * (1.0 - 0.5 * p1);
      const mu2 = h.beta1 * (1.0 - 0.5 * p2);
      return base * (1.0 + ((1.0 - h.beta1) * mu2) / (1.0 - mu1 * mu2));
    }
    return base;
  };
  return [step(g0), step(g1)];
}

/** Everything the race computes at `values` (the controls' values), as the library does. */
export function compute(doc, values) {
  const land = doc.landscapes[values.landscape];
  const method = doc.methods[values.method];
  const f = landscape(land.code, land.params);
  const h = hyperParameters(method, values);
  const x0 = land.start;
  const race = trajectory(f, rule(values.method, method.form), h, x0, doc.steps);
  const gd = trajectory(f, rule("gd"), { lr: values.lr }, x0, doc.steps);
  const measured = race.count >= 2
    ? norm(race.positions[2] - x0[0], race.positions[3] - x0[1]) : NaN;
  const out = new Float64Array(3);
  f(x0[0], x0[1], out);
  const theory = norm(...firstStep(values.method, method, h, out[1], out[2]));
  const gap = (run) => (run.divergedAt === null ? run.losses[run.count - 1] - land.minValue : null);
  return { land, method, race, gd, measured, theory, raceGap: gap(race), gdGap: gap(gd) };
}

/** OptimizerRace._fate: a run's end, as the notes on the path axes say it. */
function fate(label, run, gap) {
  return run.divergedAt !== null ? `${label}: diverged at step ${run.divergedAt}`
    : `${label}: f - f* = ${general(gap, 2)}`;
}

/** OptimizerRace.alt_text: what the figure shows at `values`, in words. */
export function altText(doc, values, { land, method, race, gd, measured, theory, raceGap, gdGap }) {
  const used = method.reads;
  const ignored = ["beta1", "beta2", "eps"].filter((k) => !used.includes(k));
  const lr = spoken(values.lr);
  const parts = [`Left: level sets of the ${values.landscape} landscape, its minimisers as `
    + `stars, the start at (${spoken(land.start[0])}, ${spoken(land.start[1])}) and two `
    + `${doc.steps}-step paths.`];
  for (const [label, run, gap] of [[method.label, race, raceGap], ["Gradient descent", gd, gdGap]]) {
    if (run.divergedAt !== null) {
      parts.push(`${label} with learning rate ${lr} diverges at step ${run.divergedAt}.`);
    } else {
      const end = 2 * (run.count - 1);
      parts.push(`${label} with learning rate ${lr} ends at (${spoken(run.positions[end])}, `
        + `${spoken(run.positions[end + 1])}), where f minus its minimum is ${spoken(gap)}.`);
    }
  }
  const settings = used.filter((k) => k !== "lr").map((k) => `${k} ${spoken(values[k])}`);
  parts.push(`${method.label} uses ${settings.join(", ")}`
    + (ignored.length > 0 ? ` and ignores ${ignored.join(" and ")}.` : "."));
  parts.push(`Its first step is ${spoken(measured)} long; the closed form gives `
    + `${spoken(theory)}.`);
  parts.push("Right: f minus its minimum for both runs against the step, on a log scale from "
    + "10 to the minus 10 to 1000.");
  return parts.join(" ");
}

export class OptimizerRaceView {
  /**
   * `addImage(src, box)` puts an image under the canvas: here the path axes' column of the
   * landscape shown and the legend of the method shown, swapped as those controls move.
   */
  constructor(document_, canvas, addImage) {
    this.doc = document_;
    this.canvas = canvas;
    this.column = addImage(Object.values(document_.landscapes)[0].scenery, document_.column);
    this.legend = addImage(Object.values(document_.legend.images)[0], document_.legend.box);
    this.loss = new Axes(document_.loss);
    this.paths = Object.fromEntries(Object.entries(document_.landscapes)
      .map(([name, land]) => [name, new Axes(land.axes)]));
    this.stepAxis = Array.from({ length: document_.steps + 1 }, (_, t) => t);
    // Every image decoded once, now, so that a swap shows in the frame that redraws the paths.
    this.decoded = [...Object.values(document_.landscapes).map((land) => land.scenery),
      ...Object.values(document_.legend.images)].map((src) => {
      const img = document.createElement("img");
      img.src = src;
      img.decode().catch(() => {});
      return img;
    });
  }

  /** Recompute at `values` and draw; returns the alternative text and the printed numbers. */
  draw(values) {
    const result = compute(this.doc, values);
    const landImage = result.land.scenery;
    if (this.column.getAttribute("src") !== landImage) this.column.src = landImage;
    const legendImage = this.doc.legend.images[values.method];
    if (this.legend.getAttribute("src") !== legendImage) this.legend.src = legendImage;
    const ctx = this.canvas.getContext("2d");
    const scale = this.canvas.width / this.doc.size[0];
    ctx.setTransform(scale, 0, 0, scale, 0, 0);
    ctx.clearRect(0, 0, this.doc.size[0], this.doc.size[1]);
    this.drawPaths(ctx, this.paths[values.landscape], result);
    this.drawLosses(ctx, result);
    const ratio = result.measured / result.theory;
    return {
      altText: altText(this.doc, values, result),
      printed: {
        firstStep: result.measured, firstStepTheory: result.theory, firstStepRatio: ratio,
        raceDivergedAt: result.race.divergedAt, raceGap: result.raceGap,
        gdDivergedAt: result.gd.divergedAt, gdGap: result.gdGap,
      },
    };
  }

  /** The level sets' axes, in the explorer's z-order: frame, paths, minimisers, start, notes. */
  drawPaths(ctx, ax, { land, method, race, gd, raceGap, gdGap }) {
    frame(ctx, ax, { snap: true });
    for (const [run, color, style] of [[race, method.color, method.dash],
      [gd, this.doc.gd.color, "--"]]) {
      const xs = new Float64Array(run.count);
      const ys = new Float64Array(run.count);
      for (let t = 0; t < run.count; t++) {
        xs[t] = run.positions[2 * t];
        ys[t] = run.positions[2 * t + 1];
      }
      figureLine(ctx, ax, xs, ys, { color, width: 1.4, style }, this.doc.size);
      markers(ctx, ax, xs, ys, { size: 2.5, color });
    }
    for (const [x, y] of land.minimizers) {
      star(ctx, ax, x, y, { size: 11, color: BLACK, edgeColor: "white", edgeWidth: 0.6 });
    }
    markers(ctx, ax, [land.start[0]], [land.start[1]], { size: 6, color: "white",
      edgeColor: BLACK });
    note(ctx, ax, 0.03, 0.97, [[{ text: fate(GD_LABEL, gd, gdGap), italic: false }]], 9,
      { color: this.doc.gd.text });
    note(ctx, ax, 0.03, 0.86, [[{ text: fate(method.label, race, raceGap), italic: false }]], 9,
      { color: method.text });
  }

  /** The loss axes: both curves (floored as the explorer floors them), frame, first-step note. */
  drawLosses(ctx, { land, method, race, gd, measured, theory }) {
    const ax = this.loss;
    const floor = land.minValue + this.doc.lossFloor;
    for (const [run, color, style] of [[race, method.color, method.dash],
      [gd, this.doc.gd.color, "--"]]) {
      const values = Array.from(run.losses.subarray(0, run.count),
        (loss) => Math.max(Math.max(loss, floor) - land.minValue, TINY));
      figureLine(ctx, ax, this.stepAxis.slice(0, run.count), values, { color, width: 1.4, style },
        this.doc.size);
    }
    frame(ctx, ax, { snap: true });
    const plain = (text) => [{ text, italic: false }];
    note(ctx, ax, 0.97, 0.97, [plain(`first step ${general(measured, 3)}`),
      plain(`closed form ${general(theory, 3)}`), plain(`ratio ${fixed(measured / theory, 4)}`)],
    9, { align: "right", lineStep: this.doc.noteLineStep });
  }
}
