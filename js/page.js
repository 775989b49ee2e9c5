// The page's entry point: every <div class="optbook-static-explorer"> written by
// optbook.widgets.static becomes an explorer: a live one (controls, the matplotlib scenery, a
// canvas for the moving parts) or a precomputed one (controls stepping through figures drawn
// when the book was built).
// Bundled into one classic script for the book, since browsers refuse ES modules from file://.

import { buildControls, groupControls } from "./controls.js";
import { mountPrecomputed } from "./precomputed.js";
import { MomentumMapView } from "./momentum-map.js";
import { OptimizerRaceView } from "./optimizer-race.js";
import { QuadraticRateView } from "./quadratic-rate.js";
import { TrajectoryView } from "./trajectory-explorer.js";

const VIEWS = { "quadratic-rate": QuadraticRateView, "trajectory": TrajectoryView,
  "momentum-map": MomentumMapView, "optimizer-race": OptimizerRaceView };

function image(src, box, className) {
  const img = document.createElement("img");
  img.src = src;
  img.alt = "";
  img.className = className;
  if (box) {
    Object.assign(img.style, { position: "absolute", left: `${box[0]}px`, top: `${box[1]}px`,
      width: `${box[2]}px`, height: `${box[3]}px` });
  }
  return img;
}

/**
 * Wrap `figure` (drawn at its natural `width` x `height` CSS pixels, as matplotlib laid it out)
 * so that it shrinks to the width of the column it sits in, as the book's images do: a CSS
 * scale keeps every pixel coordinate the views draw at valid.
 */
function fitToColumn(figure, width, height) {
  const holder = document.createElement("div");
  holder.className = "optbook-figure-holder";
  Object.assign(holder.style, { width: "100%", maxWidth: `${width}px`, overflow: "hidden" });
  figure.style.transformOrigin = "0 0";
  holder.append(figure);
  const fit = () => {
    const scale = Math.min(1, holder.clientWidth / width) || 1;
    figure.style.transform = scale < 1 ? `scale(${scale})` : "";
    holder.style.height = `${height * scale}px`;
  };
  new ResizeObserver(fit).observe(holder);
  return { holder, fit };
}

/**
 * A button of the document's "buttons" ({ label, action }): a click asks the view for the
 * control values of its action (`view.act(action, values)`), sets them and redraws.
 */
function actionButton({ label, action }, view, controls, redraw) {
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = label;
  button.addEventListener("click", (event) => {
    for (const [key, value] of Object.entries(view.act(action, { ...controls.values }))) {
      controls.set(key, value);
    }
    redraw(event);
  });
  return button;
}

/** Turn one container into a live explorer; returns its redraw function. */
export function mount(container) {
  const doc = JSON.parse(container.querySelector("script[type='application/json']").textContent);
  if (doc.kind === "precomputed") return mountPrecomputed(container, doc);
  const View = VIEWS[doc.kind];
  if (View === undefined) throw new Error(`no static view for explorer kind ${doc.kind}`);
  const [width, height] = doc.size;
  const figure = document.createElement("div");
  figure.className = "optbook-figure";
  Object.assign(figure.style, { position: "relative", width: `${width}px`,
    height: `${height}px` });
  // The figure is one image to assistive technology, named by what it shows now.
  figure.setAttribute("role", "img");
  const scenery = image(doc.scenery, [0, 0, width, height], "optbook-scenery");
  const canvas = document.createElement("canvas");
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  Object.assign(canvas.style, { position: "absolute", left: "0", top: "0",
    width: `${width}px`, height: `${height}px` });
  figure.append(scenery, canvas);
  // A view may put images of its own (tick strips) between the scenery and the canvas.
  const view = new View(doc, canvas, (src, box) => {
    const img = image(src, box, "optbook-strip");
    figure.insertBefore(img, canvas);
    return img;
  });
  const redraw = (event) => {
    const result = view.draw(controls.values);
    // What the view printed, for the page's tests: the library's numbers at these values.
    for (const [key, value] of Object.entries(result.printed)) {
      container.dataset[key] = String(value);
    }
    figure.setAttribute("aria-label", result.altText);
    if (event) {
      container.dataset.redrawMs = String(performance.now() - event.timeStamp);
    }
  };
  const controls = buildControls(doc.controls, (key, value, event) => redraw(event));
  // Groups of controls (a document's `groups`), the reset button in the last one.
  const fieldsets = doc.groups ? Object.values(groupControls(controls.element, doc.groups)) : [];
  if (doc.reset) {
    // A reset button (its text from the document) returns every control to its start value.
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = doc.reset;
    button.addEventListener("click", (event) => {
      controls.reset();
      redraw(event);
    });
    (fieldsets.at(-1) ?? controls.element).append(button);
  }
  for (const button of doc.buttons ?? []) {
    controls.element.append(actionButton(button, view, controls, redraw));
  }
  const { holder, fit } = fitToColumn(figure, width, height);
  container.append(controls.element, holder);
  fit();
  redraw(null);
  return redraw;
}

function mountAll() {
  for (const container of document.querySelectorAll(".optbook-static-explorer")) {
    if (!container.dataset.mounted) {
      container.dataset.mounted = "true";
      mount(container);
    }
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mountAll);
else mountAll();
