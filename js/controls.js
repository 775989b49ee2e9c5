// Sliders built from an explorer's control specification (the same specification the
// ipywidgets explorer is built from): native <input type="range">, keyboard operable, named by
// their label for assistive technology, with a readout of the value.

import { general } from "./format.js";

/** The slider's position for a value, and the value at a position, for each kind. */
const SCALES = {
  log: {
    position: (spec, value) => Math.log10(value),
    value: (spec, position) => 10 ** position,
    range: (spec) => [Math.log10(spec.min), Math.log10(spec.max)],
  },
  linear: {
    position: (spec, value) => value,
    value: (spec, position) => position,
    range: (spec) => [spec.min, spec.max],
  },
  int: {
    position: (spec, value) => value,
    value: (spec, position) => Math.round(position),
    range: (spec) => [spec.min, spec.max],
  },
};

function rangeSlider(spec, onChange) {
  const scale = SCALES[spec.kind];
  const [lo, hi] = scale.range(spec);
  const input = document.createElement("input");
  input.type = "range";
  input.min = String(lo);
  input.max = String(hi);
  input.step = String(spec.step);
  input.value = String(scale.position(spec, spec.value));
  input.setAttribute("aria-label", spec.label);
  input.dataset.key = spec.key;
  // The start value need not lie on the slider's steps: it is kept until the slider moves.
  input.dataset.value = String(spec.value);
  input.addEventListener("input", (event) => {
    const value = scale.value(spec, input.valueAsNumber);
    input.dataset.value = String(value);
    onChange(spec.key, value, event);
  });
  return input;
}

function choice(spec, onChange) {
  const select = document.createElement("select");
  select.setAttribute("aria-label", spec.label);
  select.dataset.key = spec.key;
  for (const option of spec.options) {
    const item = document.createElement("option");
    item.value = String(option);
    item.textContent = String(option);
    item.selected = option === spec.value;
    select.append(item);
  }
  select.dataset.value = String(spec.value);
  select.addEventListener("change", (event) => {
    const value = spec.options[select.selectedIndex];
    select.dataset.value = String(value);
    onChange(spec.key, value, event);
  });
  return select;
}

/**
 * A row of controls for `specs`; `onChange(key, value, event)` is called on every move.
 * Returns { element, values } where `values` holds the current value of each key.
 */
export function buildControls(specs, onChange) {
  const element = document.createElement("div");
  element.className = "optbook-controls";
  const values = {};
  for (const spec of specs) {
    values[spec.key] = spec.value;
    const label = document.createElement("label");
    Object.assign(label.style, { display: "inline-flex", alignItems: "center", gap: "0.4em",
      marginRight: "1.5em" });
    // A control without a symbol (a choice of rule or landscape) is named by its label; a
    // select shows its value itself, without a readout (as the precomputed view's controls).
    const name = document.createElement("span");
    name.className = "optbook-symbol";
    name.textContent = spec.symbol || spec.label;
    name.title = spec.label;
    if (spec.symbol) name.style.fontStyle = "italic";
    const readout = document.createElement("output");
    Object.assign(readout.style, { minWidth: "3.5em", fontVariantNumeric: "tabular-nums" });
    readout.textContent = general(spec.value, 3);
    const update = (key, value, event) => {
      values[key] = value;
      readout.textContent = general(value, 3);
      onChange(key, value, event);
    };
    const widget = spec.kind === "choice" ? choice(spec, update) : rangeSlider(spec, update);
    label.append(name, widget);
    if (spec.kind !== "choice") label.append(readout);
    element.append(label);
  }
  return { element, values };
}
