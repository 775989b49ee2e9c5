// The widget manager typesets each widget's label with MathJax 2's call
// MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]) whenever window.MathJax exists. The book
// loads MathJax 3, which has no Hub, so every label threw "Cannot read properties of undefined
// (reading 'Queue')". This script gives MathJax a Hub whose Queue runs such jobs with MathJax 3.
//
// It runs before MathJax 3 (loaded with `defer`) replaces its configuration object
// window.MathJax by itself: the Hub goes on the configuration for the calls made before that, and
// MathJax 3's startup.ready hook puts it on MathJax 3, then typesets what arrived early.
(function () {
  "use strict";
  if (window.MathJax === undefined) {
    return; // no maths on this page: the widget manager does not typeset either
  }
  const early = [];

  function typeset(element) {
    const mathjax = window.MathJax;
    if (!mathjax.typesetPromise) {
      early.push(element);
      return;
    }
    // MathJax 3 typesets one request at a time: chain on its startup promise.
    mathjax.startup.promise = mathjax.startup.promise.then(() => {
      mathjax.typesetClear([element]);
      return mathjax.typesetPromise([element]);
    });
  }

  const hub = {
    Queue(...jobs) {
      for (const job of jobs) {
        if (Array.isArray(job) && job[0] === "Typeset" && job[2] instanceof Element) {
          typeset(job[2]);
        }
      }
    },
  };

  const configuration = window.MathJax;
  configuration.Hub = hub;
  configuration.startup = configuration.startup || {};
  const configuredReady = configuration.startup.ready;
  configuration.startup.ready = function () {
    if (configuredReady) {
      configuredReady();
    } else {
      window.MathJax.startup.defaultReady();
    }
    window.MathJax.Hub = hub;
    early.splice(0).forEach(typeset);
  };
})();
