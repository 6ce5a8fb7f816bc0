'use strict';
/** Small helpers shared by the benchmark scripts. */
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** The last `bytes` of a log file, for error messages. */
function tail(file, bytes = 4000) {
  try {
    const buf = fs.readFileSync(file);
    return buf.subarray(Math.max(0, buf.length - bytes)).toString('utf8');
  } catch {
    return '(no log)';
  }
}

/** Newest modification time of the .ts/.json sources under p (is dist stale?). */
function newestMtime(p) {
  let newest = 0;
  const stack = [p];
  let visited = 0;
  while (stack.length && visited < 20_000) {
    const cur = stack.pop();
    visited++;
    let st;
    try {
      st = fs.statSync(cur);
    } catch {
      continue;
    }
    if (st.isDirectory()) {
      for (const e of fs.readdirSync(cur)) if (e !== 'node_modules' && !e.startsWith('.')) stack.push(path.join(cur, e));
    } else if (/\.(ts|json)$/.test(cur) && !/\.spec\.ts$/.test(cur)) {
      newest = Math.max(newest, st.mtimeMs);
    }
  }
  return newest;
}

module.exports = { sleep, freePort, tail, newestMtime };
