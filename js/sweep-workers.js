// The heavy-ball sweep on every core: the cells are independent, so a pool of Web Workers each
// sweeps a share of them. The workers run the source of ./sweep.js's own functions (a blob URL:
// browsers allow those from file:// pages, where a worker script file would be refused).

import { RATE_FLOOR, windowRate } from "./rates.js";
import { heavyBallSweep } from "./sweep.js";

function workerSource() {
  return `"use strict";
const RATE_FLOOR = ${RATE_FLOOR};
const windowRate = ${windowRate.toString()};
const heavyBallSweep = ${heavyBallSweep.toString()};
onmessage = (event) => {
  const { params, lrs, gammas } = event.data;
  const n = lrs.length;
  const rate = new Float64Array(n);
  const finalLoss = new Float64Array(n);
  const diverged = new Uint8Array(n);
  heavyBallSweep({ ...params, lrs, gammas }, rate, finalLoss, diverged);
  postMessage({ rate, finalLoss, diverged }, [rate.buffer, finalLoss.buffer, diverged.buffer]);
};`;
}

/** A pool of `size` workers (default: one per logical core) sweeping shares of a grid. */
export class SweepPool {
  constructor(size = globalThis.navigator?.hardwareConcurrency || 2) {
    const url = URL.createObjectURL(new Blob([workerSource()], { type: "text/javascript" }));
    this.workers = Array.from({ length: size }, () => new Worker(url));
  }

  /**
   * heavyBallSweep over the cells of `lrs`, `gammas` (rows of `rowLength` cells), dealt to the
   * workers row by row in turn (the rows of high momentum run longest, so each worker gets its
   * share of them); resolves to { rate, finalLoss, diverged } for the whole grid, the same
   * doubles as one thread.
   */
  sweep(params, lrs, gammas, rowLength) {
    const n = lrs.length;
    const size = this.workers.length;
    const rate = new Float64Array(n);
    const finalLoss = new Float64Array(n);
    const diverged = new Uint8Array(n);
    const jobs = this.workers.map((worker, w) => new Promise((resolve, reject) => {
      const cells = [];
      for (let row = w; row * rowLength < n; row += size) {
        for (let i = row * rowLength; i < Math.min(n, (row + 1) * rowLength); i++) cells.push(i);
      }
      worker.onmessage = (event) => {
        cells.forEach((cell, i) => {
          rate[cell] = event.data.rate[i];
          finalLoss[cell] = event.data.finalLoss[i];
          diverged[cell] = event.data.diverged[i];
        });
        resolve();
      };
      worker.onerror = reject;
      worker.postMessage({ params, lrs: Float64Array.from(cells, (i) => lrs[i]),
        gammas: Float64Array.from(cells, (i) => gammas[i]) });
    }));
    return Promise.all(jobs).then(() => ({ rate, finalLoss, diverged }));
  }

  terminate() {
    for (const worker of this.workers) worker.terminate();
  }
}
