// The precomputed view (optbook.widgets.static.precomputed_document): an explorer whose every
// state was drawn when the book was built. Each control takes finitely many settings; the page
// shows the figure and the alternative text of the combination the controls are at, and swaps
// them on every move. Controls are native: a range input over the settings' indices (its
// aria-valuetext and readout say the value) or a select over the options.

import { general } from "./format.js";

/** How a setting of a control reads: Python's .3g for reals, as the widget's readout. */
export function settingText(spec, value) {
  if (spec.kind === "choice") {
    if (value === true) return "on";
    if (value === false) return "off";
    return String(value);
  }
  return spec.kind === "int" ? String(value) : general(value, 3);
}

function control(spec, values, start, onChange) {
  const label = document.createElement("label");
  label.className = "optbook-control";
  Object.assign(label.style, { display: "inline-flex", alignItems: "center", gap: "0.4em",
    marginRight: "1.5em" });
  const name = document.createElement("span");
  name.textContent = spec.symbol || spec.label;
  name.title = spec.label;
  if (spec.symbol) name.style.fontStyle = "italic";
  let input;
  const readout = document.createElement("output");
  Object.assign(readout.style, { minWidth: "3.5em", fontVariantNumeric: "tabular-nums" });
  if (spec.kind === "choice") {
    input = document.createElement("select");
    values.forEach((value, i) => {
      const option = document.createElement("option");
      option.value = String(i);
      option.textContent = settingText(spec, value);
      option.selected = i === start;
      input.append(option);
    });
    input.addEventListener("change", () => onChange(input.selectedIndex));
  } else {
    input = document.createElement("input");
    input.type = "range";
    input.min = "0";
    input.max = String(values.length - 1);
    input.step = "1";
    input.value = String(start);
    const show = (i) => {
      const text = settingText(spec, values[i]);
      input.setAttribute("aria-valuetext", text);
      readout.textContent = text;
    };
    show(start);
    input.addEventListener("input", () => {
      show(input.valueAsNumber);
      onChange(input.valueAsNumber);
    });
  }
  input.setAttribute("aria-label", spec.label);
  input.dataset.key = spec.key;
  label.append(name, input);
  if (spec.kind !== "choice") label.append(readout);
  return label;
}

/** Fill `container` with the precomputed view of `doc`; returns the function showing a state
 * from the controls' indices. */
export function mountPrecomputed(container, doc) {
  const index = [...doc.start];
  const strides = [];
  let stride = 1;
  for (let i = doc.settings.length - 1; i >= 0; i--) {
    strides[i] = stride;
    stride *= doc.settings[i].length;
  }
  const [width, height] = doc.size;
  const image = document.createElement("img");
  image.className = "optbook-figure";
  image.width = width;
  image.height = height;
  Object.assign(image.style, { maxWidth: "100%", height: "auto" });
  const show = () => {
    const state = index.reduce((sum, k, i) => sum + k * strides[i], 0);
    image.src = doc.images[state];
    image.alt = doc.alt[state];
    container.dataset.state = String(state);
  };
  const controls = document.createElement("div");
  controls.className = "optbook-controls";
  doc.controls.forEach((spec, i) => {
    controls.append(control(spec, doc.settings[i], doc.start[i], (k) => {
      index[i] = k;
      show();
    }));
  });
  const note = document.createElement("p");
  note.className = "optbook-precomputed-note";
  note.textContent = "Every state of this explorer was computed when the book was built; "
    + "the controls step through them. Open the notebook to run it live.";
  Object.assign(note.style, { fontSize: "0.85em", margin: "0.3em 0" });
  container.append(controls, note, image);
  show();
  return show;
}
