// The widget manager is an AMD module that loads its icon fonts from beside its own module URL,
// which require.js resolves against the page: on a page in a sub-folder, or from the module
// name alone, that misses the copies in _static/. A global `require` object defined before
// require.js loads is its configuration: map the manager's folder to this page's _static/
// (Sphinx writes the page's relative root into data-content_root).
// eslint-disable-next-line no-unused-vars, no-var
var require = {
  paths: {
    "@jupyter-widgets/html-manager/dist": new URL(
      (document.documentElement.dataset.content_root || "./") + "_static",
      document.baseURI,
    ).href,
  },
};
