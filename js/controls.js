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

function rangeSlider(spec, onChange, onPreview) {
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
  const moved = (event) => {
    const value = scale.value(spec, input.valueAsNumber);
    input.dataset.value = String(value);
    onChange(spec.key, value, event);
  };
  // A slider marked "continuous": false (ipywidgets' continuous_update) reports its value on
  // release (the keyboard releases at once); while it is dragged only its readout follows.
  if (spec.continuous === false) {
    input.addEventListener("input", () => onPreview(scale.value(spec, input.valueAsNumber)));
    input.addEventListener("change", moved);
  } else {
    input.addEventListener("input", moved);
  }
  return input;
}

/**
 * The range a slider with "follows": { key, span, scale, ratio } has when control `key` is at
 * `value`: max = span / (value * scale), min and step max / ratio (the library's operations).
 */
export function followingRange(follows, value) {
  const max = follows.span / (value * follows.scale);
  const min = max / follows.ratio;
  return { min, max, step: min };
}

/** Where a following slider goes when its leader moves from `from` to `to`: it keeps
 * value * leader, clipped to its new range (the library's operations, in its order). */
export function followingValue(value, from, to, range) {
  return Math.min(Math.max(value * from / to, range.min), range.max);
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
 * Returns { element, values, set } where `values` holds the current value of each key. A
 * slider whose spec has "follows" (optbook.widgets.static.momentum_map_document) takes a new
 * range and value whenever the control it follows moves, before `onChange` is called.
 */
export function buildControls(specs, onChange) {
  const element = document.createElement("div");
  element.className = "optbook-controls";
  const values = {};
  const setters = {};
  const followers = {};
  for (const spec of specs) {
    values[spec.key] = spec.value;
    const label = document.createElement("label");
    Object.assign(label.style, { display: "inline-flex", alignItems: "center", gap: "0.4em",
      marginRight: "1.5em" });
    const name = document.createElement("span");
    name.className = "optbook-symbol";
    name.textContent = spec.symbol;
    name.title = spec.label;
    name.style.fontStyle = "italic";
    const readout = document.createElement("output");
    Object.assign(readout.style, { minWidth: "3.5em", fontVariantNumeric: "tabular-nums" });
    readout.textContent = general(spec.value, 3);
    const show = (value) => {
      readout.textContent = general(value, 3);
    };
    const update = (key, value, event) => {
      const from = values[key];
      values[key] = value;
      show(value);
      for (const follower of followers[key] ?? []) follower(from, value);
      onChange(key, value, event);
    };
    const widget = spec.kind === "choice" ? choice(spec, update)
      : rangeSlider(spec, update, show);
    setters[spec.key] = (value) => {
      values[spec.key] = value;
      widget.dataset.value = String(value);
      if (spec.kind === "choice") widget.selectedIndex = spec.options.indexOf(value);
      else widget.value = String(SCALES[spec.kind].position(spec, value));
      show(value);
    };
    if (spec.follows) {
      (followers[spec.follows.key] ??= []).push((from, to) => {
        const range = followingRange(spec.follows, to);
        Object.assign(spec, range);
        widget.min = String(range.min);
        widget.max = String(range.max);
        widget.step = String(range.step);
        setters[spec.key](followingValue(values[spec.key], from, to, range));
      });
    }
    label.append(name, widget, readout);
    element.append(label);
  }
  /** Set control `key` to `value` as the library would be given it (no onChange call). */
  const set = (key, value) => setters[key](value);
  return { element, values, set };
}
