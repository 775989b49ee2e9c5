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
 * Returns { element, values, set, reset } where `values` holds the current value of each key,
 * `set(key, value)` moves one control and `reset()` returns every control to its start value
 * (neither calls `onChange`). A slider whose spec has "follows"
 * (optbook.widgets.static.momentum_map_document) takes a new range and value whenever the
 * control it follows moves, before `onChange` is called.
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
    // A control without a symbol (a choice of rule or landscape) is named by its label; a
    // select shows its value itself, without a readout (as the precomputed view's controls).
    const name = document.createElement("span");
    name.className = "optbook-symbol";
    name.textContent = spec.symbol || spec.label;
    name.title = spec.label;
    if (spec.symbol) name.style.fontStyle = "italic";
    const readout = document.createElement("output");
    Object.assign(readout.style, { minWidth: "3.5em", fontVariantNumeric: "tabular-nums" });
    const show = (value) => {
      readout.textContent = spec.kind === "int" ? String(value) : general(value, 3);
    };
    show(spec.value);
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
    label.append(name, widget);
    if (spec.kind !== "choice") label.append(readout);
    element.append(label);
  }
  /** Set control `key` to `value` as the library would be given it (no onChange call). */
  const set = (key, value) => setters[key](value);
  const reset = () => specs.forEach((spec) => setters[spec.key](spec.value));
  return { element, values, set, reset };
}

/**
 * Put the controls of `element` (made by buildControls) into groups, as the kernel explorer
 * lays them out in columns: `groups` is [{ title, colour, keys }], each a <fieldset> whose
 * <legend> (the title, after a swatch of `colour` when there is one) names the group to
 * assistive technology too. Returns the fieldsets by title.
 */
export function groupControls(element, groups) {
  const fieldsets = {};
  Object.assign(element.style, { display: "flex", flexWrap: "wrap", gap: "0.5em 1.5em" });
  for (const { title, colour, keys } of groups) {
    const fieldset = document.createElement("fieldset");
    Object.assign(fieldset.style, { border: "none", margin: "0", padding: "0",
      display: "flex", flexDirection: "column", alignItems: "flex-start" });
    const legend = document.createElement("legend");
    // the text's own size: page themes enlarge legends as headings
    Object.assign(legend.style, { fontWeight: "bold", fontSize: "inherit", float: "none",
      width: "auto", margin: "0 0 0.2em", padding: "0" });
    if (colour) {
      const swatch = document.createElement("span");
      swatch.setAttribute("aria-hidden", "true");
      Object.assign(swatch.style, { display: "inline-block", width: "0.8em", height: "0.8em",
        marginRight: "0.3em", background: colour });
      legend.append(swatch);
    }
    legend.append(title);
    fieldset.append(legend);
    for (const key of keys) {
      const control = element.querySelector(`[data-key='${key}']`);
      if (control) fieldset.append(control.closest("label"));
    }
    element.append(fieldset);
    fieldsets[title] = fieldset;
  }
  return fieldsets;
}
