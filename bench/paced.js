'use strict';
/**
 * Paced open-loop load: request i is due at start + i/rate and its latency counts from that moment
 * (its scheduled send time), so time spent waiting for a free socket when the hub falls behind is
 * included: no coordinated omission. autocannon's `overallRate` instead lets every connection send
 * its per-second share back to back at the start of each second (a burst every second, whatever the
 * rate). Up to `maxSockets` keep-alive connections; requests still unanswered `graceMs` after the last
 * one was due are abandoned and reported (their age so far counted as their latency).
 */
const http = require('node:http');
const { performance } = require('node:perf_hooks');

const round = (n, d = 1) => (n === null || n === undefined || Number.isNaN(n) ? null : Math.round(n * 10 ** d) / 10 ** d);

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** p50/p90/p99/max/mean of a list of ms (sorted in place). */
function stats(values) {
  values.sort((a, b) => a - b);
  return {
    n: values.length,
    p50: round(percentile(values, 50), 2),
    p90: round(percentile(values, 90), 2),
    p99: round(percentile(values, 99), 2),
    max: round(values[values.length - 1], 2),
    mean: round(values.reduce((a, b) => a + b, 0) / Math.max(1, values.length), 2),
  };
}

/**
 * `body(i)` gives request i's JSON text; `onAnswer(i, status, text, dueAtMs)` sees each answer
 * (dueAtMs on the Date.now() clock, to match times measured elsewhere). `stop()` ends it early.
 */
function runPaced({ base, path, rate, duration, body, onAnswer = () => {}, maxSockets = 64, graceMs = 5000, shouldStop = () => false }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  const target = new URL(base);
  const total = Math.max(1, Math.round(rate * duration));
  const latencies = [];
  const timeline = [];
  const statuses = {};
  const bad = [];
  const pending = new Map();
  let sent = 0;
  let errors = 0;
  let stop;
  const done = new Promise((resolve) => {
    const start = performance.now();
    const wallStart = Date.now();
    const fire = (id, dueAt) => {
      const text = body(id);
      const req = http.request(
        { agent, host: target.hostname, port: target.port, method: 'POST', path, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } },
        (res) => {
          let answer = '';
          res.setEncoding('utf8');
          res.on('data', (d) => (answer += d));
          res.on('end', () => {
            if (!pending.delete(id)) return;
            const ms = performance.now() - dueAt;
            latencies.push(ms);
            timeline.push([round((dueAt - start) / 1000, 2), round(ms, 1)]);
            statuses[res.statusCode] = (statuses[res.statusCode] || 0) + 1;
            if ((res.statusCode < 200 || res.statusCode >= 300) && bad.length < 5) bad.push(`${res.statusCode} ${answer.slice(0, 200)}`);
            onAnswer(id, res.statusCode, answer, wallStart + (dueAt - start));
            maybeDone();
          });
        },
      );
      req.on('error', () => {
        if (!pending.delete(id)) return;
        errors++;
        maybeDone();
      });
      pending.set(id, { req, dueAt });
      req.end(text);
    };
    let finished = false;
    let graceTimer = null;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(graceTimer);
      const now = performance.now();
      const abandoned = pending.size;
      for (const { req, dueAt } of pending.values()) {
        latencies.push(now - dueAt);
        req.destroy();
      }
      pending.clear();
      agent.destroy();
      const seconds = (now - start) / 1000;
      const responses = Object.values(statuses).reduce((a, b) => a + b, 0);
      resolve({
        targetRate: rate,
        seconds: round(seconds, 2),
        requests: sent,
        responses,
        statuses,
        errors,
        abandoned,
        bad,
        slowest: timeline.sort((x, y) => y[1] - x[1]).slice(0, 10),
        responsesPerSecond: round(responses / Math.min(seconds, duration + graceMs / 1000), 1),
        latencyMs: stats(latencies),
      });
    };
    stop = finish;
    const maybeDone = () => {
      if (sent >= total && pending.size === 0) finish();
    };
    const tick = () => {
      if (finished) return;
      if (shouldStop()) return finish();
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - start) * rate) / 1000) + 1);
      while (sent < due) {
        const id = sent++;
        fire(id, start + (id * 1000) / rate);
      }
      if (sent < total) setTimeout(tick, Math.max(1, Math.min(10, start + (sent * 1000) / rate - performance.now())));
      else {
        graceTimer = setTimeout(finish, graceMs);
        maybeDone();
      }
    };
    tick();
  });
  return { done, stop: () => stop && stop() };
}

module.exports = { runPaced, stats, percentile, round };
