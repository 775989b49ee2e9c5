// ESLint for the book's own JavaScript: the explorers' engine and page code (js/), its tests
// (tests/js/) and the static assets (assets/). ESLint's recommended rules, plus a few that keep
// the code plain.

import js from "@eslint/js";

const BROWSER = {
  window: "readonly", document: "readonly", performance: "readonly", console: "readonly",
  ResizeObserver: "readonly", URL: "readonly", globalThis: "readonly",
};
const NODE = { Buffer: "readonly", process: "readonly", console: "readonly", URL: "readonly" };
const PLAIN = {
  "no-var": "error",
  "prefer-const": "error",
  "eqeqeq": "error",
  "no-shadow": "error",
  "no-implicit-globals": "error",
};

export default [
  { ignores: ["_build/**", "_vendor/**", "node_modules/**", ".venv/**", "**/_static_js/**"] },
  js.configs.recommended,
  {
    files: ["js/**/*.js"],
    languageOptions: { sourceType: "module", globals: BROWSER },
    rules: PLAIN,
  },
  {
    files: ["benchmarks/**/*.js"],
    languageOptions: { sourceType: "module", globals: BROWSER },
    rules: PLAIN,
  },
  {
    files: ["tests/js/**/*.js", "eslint.config.js"],
    languageOptions: { sourceType: "module", globals: NODE },
    rules: PLAIN,
  },
  {
    files: ["assets/**/*.js"],
    languageOptions: {
      sourceType: "script",
      globals: { document: "readonly", window: "readonly", Element: "readonly", URL: "readonly" },
    },
    rules: { "no-var": "error" },
  },
];
