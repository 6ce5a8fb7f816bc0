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

const { stats, round } = require('./support');

/**
 * `body(i)` gives request i's JSON text; `onAnswer(i, status, text, dueAtMs)` sees each answer
 * (dueAtMs on the Date.now() clock, to match times measured elsewhere). `stop()` ends it early, and so
 * does `shouldStop()` turning true. `slowest`: how many of the slowest answers the result lists.
 */
function runPaced({ base, path, rate, duration, body, onAnswer = () => {}, maxSockets = 64, graceMs = 5000, shouldStop = () => false, slowest = 10 }) {
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
        // [seconds since start when due, latency ms] of the slowest answered requests
        slowest: timeline.sort((x, y) => y[1] - x[1]).slice(0, slowest),
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

module.exports = { runPaced };
