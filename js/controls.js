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
 * Returns { element, values, reset } where `values` holds the current value of each key and
 * `reset()` returns every control to its start value (without calling `onChange`).
 */
export function buildControls(specs, onChange) {
  const element = document.createElement("div");
  element.className = "optbook-controls";
  const values = {};
  const resets = [];
  for (const spec of specs) {
    values[spec.key] = spec.value;
    const label = document.createElement("label");
    Object.assign(label.style, { display: "inline-flex", alignItems: "center", gap: "0.4em",
      marginRight: "1.5em" });
    const name = document.createElement("span");
    name.className = "optbook-symbol";
    name.textContent = spec.symbol || spec.label;
    name.title = spec.label;
    name.style.fontStyle = "italic";
    const readout = document.createElement("output");
    Object.assign(readout.style, { minWidth: "3.5em", fontVariantNumeric: "tabular-nums" });
    const show = (value) => (spec.kind === "int" ? String(value) : general(value, 3));
    readout.textContent = show(spec.value);
    const update = (key, value, event) => {
      values[key] = value;
      readout.textContent = show(value);
      onChange(key, value, event);
    };
    const widget = spec.kind === "choice" ? choice(spec, update) : rangeSlider(spec, update);
    label.append(name, widget, readout);
    element.append(label);
    resets.push(() => {
      values[spec.key] = spec.value;
      readout.textContent = show(spec.value);
      widget.dataset.value = String(spec.value);
      if (spec.kind === "choice") widget.selectedIndex = spec.options.indexOf(spec.value);
      else widget.value = String(SCALES[spec.kind].position(spec, spec.value));
    });
  }
  const reset = () => resets.forEach((back) => back());
  return { element, values, reset };
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
