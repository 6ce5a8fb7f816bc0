'use strict';
/**
 * Preloaded into the hub by bench/run.js (`node -r bench/pg-probe.cjs ...`) when BENCH_PROBE is on.
 * Counts what the hub asks of PostgreSQL, so the benchmark can report measured (not assumed)
 * database round trips per lead and how long requests wait for a pooled connection:
 *   - every pg Client#query call (one network round trip each), by statement text;
 *   - every pg Pool#connect call and the time until it handed out a connection;
 *   - the event-loop delay (since the previous snapshot).
 * bench/run.js starts the hub with an IPC channel and BENCH_PROBE=1; a 'probe' message is answered
 * with a snapshot. (Not a signal: Nest's shutdown hooks treat SIGUSR2 as "shut down".) Cost: a
 * counter and a Map lookup per query; no timing on the query path itself.
 */
const fs = require('node:fs');
const path = require('node:path');

if (process.env.BENCH_PROBE === '1' && typeof process.send === 'function') {
  const pg = require(require.resolve('pg', { paths: [process.cwd(), path.join(__dirname, '..')] }));
  const Pool = require(require.resolve('pg-pool', { paths: [path.dirname(require.resolve('pg', { paths: [process.cwd(), path.join(__dirname, '..')] }))] }));

  let queries = 0;
  const byText = new Map();
  // The statements of the last intake transaction (one that inserted a receipt), in order, per
  // connection from START TRANSACTION to COMMIT: bench/run.js compares them with the pgbench script.
  const open = new WeakMap();
  let lastIntake = null;
  const originalQuery = pg.Client.prototype.query;
  pg.Client.prototype.query = function probeQuery(config) {
    queries++;
    const text = typeof config === 'string' ? config : config && config.text;
    if (text) {
      byText.set(text, (byText.get(text) || 0) + 1);
      if (/^\s*(START TRANSACTION|BEGIN)\b/i.test(text)) open.set(this, [text]);
      else if (open.has(this)) {
        const list = open.get(this);
        list.push(text);
        if (/^\s*(COMMIT|ROLLBACK)\s*$/i.test(text)) {
          open.delete(this);
          if (list.some((t) => /INSERT INTO inbound_receipt/i.test(t))) lastIntake = list;
        }
      }
    }
    return originalQuery.apply(this, arguments);
  };

  let connects = 0;
  let waitNs = 0n;
  let maxWaitNs = 0n;
  const note = (t0) => {
    const d = process.hrtime.bigint() - t0;
    connects++;
    waitNs += d;
    if (d > maxWaitNs) maxWaitNs = d;
  };
  const originalConnect = Pool.prototype.connect;
  Pool.prototype.connect = function probeConnect(cb) {
    const t0 = process.hrtime.bigint();
    if (typeof cb === 'function') {
      return originalConnect.call(this, function (err) {
        if (!err) note(t0);
        return cb.apply(this, arguments);
      });
    }
    return originalConnect.call(this).then((client) => {
      note(t0);
      return client;
    });
  };

  // Event-loop delay of the hub since the previous snapshot: tells a stall in the hub (GC, CPU
  // starvation) from one in the database.
  const { monitorEventLoopDelay } = require('node:perf_hooks');
  const eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();

  process.on('message', (msg) => {
    if (!msg || msg.type !== 'probe') return;
    // With --expose-gc, { gc: true } measures the heap after a full collection (what is really kept).
    if (msg.gc && typeof global.gc === 'function') global.gc();
    const eventLoopDelayMs = { p50: eld.percentile(50) / 1e6, p99: eld.percentile(99) / 1e6, max: eld.max / 1e6 };
    eld.reset();
    const statements = [...byText].map(([text, count]) => ({ text: text.replace(/\s+/g, ' ').trim(), count })).sort((a, b) => b.count - a.count);
    const rss = process.memoryUsage();
    process.send({
      type: 'probe',
      id: msg.id,
      at: Date.now(),
      queries,
      poolConnects: connects,
      poolWaitMs: Number(waitNs) / 1e6,
      poolMaxWaitMs: Number(maxWaitNs) / 1e6,
      eventLoopDelayMs,
      statements,
      lastIntake,
      memory: { rss: rss.rss, heapUsed: rss.heapUsed, heapTotal: rss.heapTotal, external: rss.external, arrayBuffers: rss.arrayBuffers },
    });
  });
  // The channel must not keep the hub alive on its own.
  if (process.channel) process.channel.unref();
}
