// Drawing the moving parts of an explorer over its matplotlib scenery, in the book's style
// (optbook.plotting): axes map data to CSS pixels with the transform the build wrote, lines,
// markers and notes use matplotlib's sizes in points (at the book's 100 dots per inch).

const POINT = 100 / 72; // CSS pixels per point at plotting.DPI

/** matplotlib's dash patterns (lines.*_pattern, in units of the line width). */
const DASHES = { "-": [], "--": [3.7, 1.6], ":": [1, 1.65], "-.": [6.4, 1.6, 1, 1.6] };

export const FONT = "'DejaVu Sans', 'Bitstream Vera Sans', Verdana, sans-serif";

/** Data-to-pixel transform of one axes: { box: [left, top, width, height], x, y }. */
export class Axes {
  constructor(geometry) {
    this.box = geometry.box;
    this.x = { ...geometry.x };
    this.y = { ...geometry.y };
  }

  setYLimits(limits) {
    this.y = { ...this.y, limits };
  }

  static fraction(axis, value) {
    const [lo, hi] = axis.limits;
    if (axis.scale === "log") {
      return (Math.log10(value) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo));
    }
    return (value - lo) / (hi - lo);
  }

  px(value) {
    return this.box[0] + Axes.fraction(this.x, value) * this.box[2];
  }

  py(value) {
    return this.box[1] + (1 - Axes.fraction(this.y, value)) * this.box[3];
  }

  clip(ctx) {
    ctx.beginPath();
    ctx.rect(...this.box);
    ctx.clip();
  }
}

function stroke(ctx, { color, width = 1.5, style = "-", alpha = 1 }) {
  const lineWidth = width * POINT;
  ctx.strokeStyle = color;
  ctx.globalAlpha = alpha;
  ctx.lineWidth = lineWidth;
  ctx.setLineDash(DASHES[style].map((d) => d * lineWidth));
  ctx.lineCap = style === "-" ? "square" : "butt";
  ctx.lineJoin = "round";
  ctx.stroke();
  ctx.globalAlpha = 1;
}

/**
 * A line through (xs[i], ys[i]) in `axes`, clipped to it; points whose coordinate is not
 * finite (NaN, or not positive on a log axis) break the line, as in matplotlib.
 */
export function line(ctx, axes, xs, ys, style) {
  ctx.save();
  axes.clip(ctx);
  ctx.beginPath();
  let drawing = false;
  for (let i = 0; i < xs.length; i++) {
    const px = axes.px(xs[i]);
    const py = axes.py(ys[i]);
    if (!Number.isFinite(px) || !Number.isFinite(py)) {
      drawing = false;
      continue;
    }
    if (drawing) ctx.lineTo(px, py);
    else ctx.moveTo(px, py);
    drawing = true;
  }
  stroke(ctx, style);
  ctx.restore();
}

/** A vertical line across the axes at data x (matplotlib's axvline). */
export function verticalLine(ctx, axes, x, style) {
  const px = axes.px(x);
  if (!Number.isFinite(px)) return;
  ctx.save();
  axes.clip(ctx);
  ctx.beginPath();
  ctx.moveTo(px, axes.box[1]);
  ctx.lineTo(px, axes.box[1] + axes.box[3]);
  stroke(ctx, style);
  ctx.restore();
}

/** A round marker ("o") of `size` points at data (x, y), filled, with an edge. */
export function marker(ctx, axes, x, y, { size, color, edgeColor, edgeWidth = 1 }) {
  const px = axes.px(x);
  const py = axes.py(y);
  if (!Number.isFinite(px) || !Number.isFinite(py)) return;
  ctx.beginPath();
  ctx.arc(px, py, (size * POINT) / 2, 0, 2 * Math.PI);
  ctx.fillStyle = color;
  ctx.fill();
  ctx.lineWidth = edgeWidth * POINT;
  ctx.strokeStyle = edgeColor;
  ctx.stroke();
}

/**
 * The axes' frame (matplotlib's spines, 0.8 pt), drawn over the curves as the kernel does. With
 * `snap`, on pixel centres as Agg snaps a line one pixel wide (its PathSnapper): a sharp black
 * frame rather than a grey one two pixels wide.
 */
export function frame(ctx, axes, { snap = false } = {}) {
  ctx.lineWidth = 0.8 * POINT;
  ctx.strokeStyle = "black";
  ctx.setLineDash([]);
  if (!snap) {
    ctx.strokeRect(...axes.box);
    return;
  }
  const [left, top, width, height] = axes.box;
  const at = (v) => Math.floor(v + 0.5) + 0.5;
  ctx.strokeRect(at(left), at(top), at(left + width) - at(left), at(top + height) - at(top));
}

/**
 * Text made of runs [{ text, italic }] at (x, y) in CSS pixels, `fontSize` points, aligned
 * "left" or "right" and at its "top" or "bottom". Greek symbols are italic runs, as mathtext
 * sets them.
 */
export function runs(ctx, parts, x, y,
  { fontSize, align = "left", baseline = "top", color = "black" }) {
  const size = fontSize * POINT;
  const width = parts.reduce((sum, part) => {
    ctx.font = `${part.italic ? "italic " : ""}${size}px ${FONT}`;
    return sum + ctx.measureText(part.text).width;
  }, 0);
  let left = align === "right" ? x - width : x;
  ctx.textBaseline = baseline;
  ctx.fillStyle = color;
  for (const part of parts) {
    ctx.font = `${part.italic ? "italic " : ""}${size}px ${FONT}`;
    ctx.fillText(part.text, left, y);
    left += ctx.measureText(part.text).width;
  }
  return width;
}

/**
 * A note in axes coordinates (plotting.note): lines of runs in `color` on a rounded white box
 * (alpha 0.85, padding a quarter of the font size), its top-left corner at (fx, fy) of the axes,
 * or its top-right corner with `align` "right" (each line then ends at fx); `lineStep` CSS
 * pixels from one line to the next (1.2 times the font size unless given).
 */
export function note(ctx, axes, fx, fy, lines, fontSize = 9,
  { align = "left", color = "black", lineStep } = {}) {
  if (lines.length === 0) return;
  const size = fontSize * POINT;
  const lineHeight = lineStep ?? 1.2 * size;
  const widths = lines.map((parts) => parts.reduce((sum, part) => {
    ctx.font = `${part.italic ? "italic " : ""}${size}px ${FONT}`;
    return sum + ctx.measureText(part.text).width;
  }, 0));
  const pad = 0.25 * size;
  const anchor = axes.box[0] + fx * axes.box[2];
  const left = align === "right" ? anchor - Math.max(...widths) : anchor;
  const top = axes.box[1] + (1 - fy) * axes.box[3];
  ctx.beginPath();
  ctx.roundRect(left - pad, top - pad, Math.max(...widths) + 2 * pad,
    lines.length * lineHeight - (lineHeight - size) + 2 * pad, pad);
  ctx.fillStyle = "rgba(255, 255, 255, 0.85)";
  ctx.fill();
  lines.forEach((parts, i) => runs(ctx, parts, align === "right" ? anchor : left,
    top + i * lineHeight, { fontSize, align, color }));
}

/** A marker's pixel as Agg places it: on the nearest pixel corner. */
const snapped = (p) => Math.floor(p + 0.5);

/**
 * Round markers ("o", `size` points, filled with `color`, an edge of `edgeWidth` points) at
 * every (xs[i], ys[i]) whose pixel is finite, clipped to the axes, as a line's markers (on
 * pixel corners, as Agg draws them).
 */
export function markers(ctx, axes, xs, ys, { size, color, edgeColor = color, edgeWidth = 1 }) {
  ctx.save();
  axes.clip(ctx);
  ctx.beginPath();
  const radius = (size * POINT) / 2;
  for (let i = 0; i < xs.length; i++) {
    const px = snapped(axes.px(xs[i]));
    const py = snapped(axes.py(ys[i]));
    if (!Number.isFinite(px) || !Number.isFinite(py)) continue;
    ctx.moveTo(px + radius, py);
    ctx.arc(px, py, radius, 0, 2 * Math.PI);
  }
  ctx.fillStyle = color;
  ctx.fill();
  ctx.setLineDash([]);
  ctx.lineWidth = edgeWidth * POINT;
  ctx.strokeStyle = edgeColor;
  ctx.stroke();
  ctx.restore();
}

/**
 * Add matplotlib's unit regular star (5 points, inner radius 0.381966 of the outer radius
 * `outer`, a point upwards) at pixel (px, py) to the current path, as a closed subpath.
 */
export function starPath(ctx, px, py, outer) {
  for (let k = 0; k < 10; k++) {
    const r = k % 2 === 0 ? outer : 0.381966 * outer;
    const theta = Math.PI / 2 + (k * Math.PI) / 5;
    if (k === 0) ctx.moveTo(px + r * Math.cos(theta), py - r * Math.sin(theta));
    else ctx.lineTo(px + r * Math.cos(theta), py - r * Math.sin(theta));
  }
  ctx.closePath();
}

/**
 * matplotlib's "*" marker: a five-pointed star of `size` points (inner radius 0.381966), on a
 * pixel corner as Agg draws it.
 */
export function star(ctx, axes, x, y, { size, color, edgeColor, edgeWidth = 1 }) {
  const px = snapped(axes.px(x));
  const py = snapped(axes.py(y));
  if (!Number.isFinite(px) || !Number.isFinite(py)) return;
  const outer = (size * POINT) / 2;
  ctx.save();
  axes.clip(ctx);
  ctx.beginPath();
  starPath(ctx, px, py, outer);
  ctx.fillStyle = color;
  ctx.fill();
  ctx.setLineDash([]);
  ctx.lineJoin = "bevel";
  ctx.lineWidth = edgeWidth * POINT;
  ctx.strokeStyle = edgeColor;
  ctx.stroke();
  ctx.restore();
}

/**
 * The part of the segment (x0, y0)-(x1, y1) inside the rectangle [left, top, right, bottom]
 * (Liang-Barsky): [x0, y0, x1, y1, whether the first end moved], or null if none is inside.
 */
function clipSegment(x0, y0, x1, y1, [left, top, right, bottom]) {
  const dx = x1 - x0;
  const dy = y1 - y0;
  let enter = 0;
  let leave = 1;
  for (const [p, q] of [[-dx, x0 - left], [dx, right - x0], [-dy, y0 - top], [dy, bottom - y0]]) {
    if (p === 0) {
      if (q < 0) return null;
    } else if (p < 0) {
      enter = Math.max(enter, q / p);
    } else {
      leave = Math.min(leave, q / p);
    }
  }
  if (enter > leave) return null;
  return [x0 + enter * dx, y0 + enter * dy, leave < 1 ? x0 + leave * dx : x1,
    leave < 1 ? y0 + leave * dy : y1, enter > 0];
}

/**
 * `line` for a line that may leave the figure (a diverging run), stroked as matplotlib's Agg
 * backend strokes it: each segment is first cut to the figure of `size` [width, height] CSS
 * pixels grown by a pixel (matplotlib's PathClipper), and where the line comes back in a new
 * piece starts, so the dash pattern restarts there as Agg's does. (Chromium strokes a dashed
 * segment millions of pixels long as a solid one.)
 */
export function figureLine(ctx, axes, xs, ys, style, size) {
  const bounds = [-1, -1, size[0] + 1, size[1] + 1];
  ctx.save();
  axes.clip(ctx);
  ctx.beginPath();
  let previous = null;
  let open = false;
  for (let i = 0; i < xs.length; i++) {
    const px = axes.px(xs[i]);
    const py = axes.py(ys[i]);
    if (!Number.isFinite(px) || !Number.isFinite(py)) {
      previous = null;
      continue;
    }
    if (previous === null) {
      open = false;
      if (px >= bounds[0] && px <= bounds[2] && py >= bounds[1] && py <= bounds[3]) {
        ctx.moveTo(px, py);
        open = true;
      }
    } else {
      const piece = clipSegment(previous[0], previous[1], px, py, bounds);
      if (piece === null) {
        open = false;
      } else {
        if (piece[4] || !open) ctx.moveTo(piece[0], piece[1]);
        ctx.lineTo(piece[2], piece[3]);
        open = piece[2] === px && piece[3] === py;
      }
    }
    previous = [px, py];
  }
  stroke(ctx, style);
  ctx.restore();
}
