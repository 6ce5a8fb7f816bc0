/**
 * The Debian packages the test suite drives (real Dovecot, Chromium, nginx, Prometheus, pg_dump), by
 * the test paths that need them. `npm test` checks them before jest starts: missing ones are
 * installed when it may (root and apt-get), else it stops at once with one line naming them.
 */
const { existsSync } = require('node:fs');
const { spawnSync } = require('node:child_process');

/** package → a file it installs, and the test paths that use it. */
const PACKAGES = [
  { name: 'chromium', file: '/usr/bin/chromium', paths: ['test/browser'] },
  { name: 'dovecot-imapd', file: '/usr/sbin/dovecot', paths: ['test/email'] },
  { name: 'nginx', file: '/usr/sbin/nginx', paths: ['test/ops/reverse-proxy'] },
  { name: 'openssl', file: '/usr/bin/openssl', paths: ['test/ops/reverse-proxy'] },
  { name: 'prometheus', file: '/usr/bin/prometheus', paths: ['test/ops/metrics'] },
  // pg_dump / pg_restore for the PostgreSQL backups, only when the suite runs on PostgreSQL.
  { name: 'postgresql-client', file: '/usr/bin/pg_dump', paths: ['test/ops/backup'], postgresOnly: true },
];

/** The packages the given jest arguments need (all of them for the whole suite). */
function neededPackages(jestArgs, env = process.env) {
  const files = jestArgs.filter((a) => !a.startsWith('-'));
  return PACKAGES.filter((p) => {
    if (p.postgresOnly && !env.DATABASE_URL) return false;
    if (files.length === 0) return true;
    return files.some((f) => p.paths.some((path) => f.replace(/^\.\//, '').startsWith(path) || path.startsWith(f.replace(/^\.\//, '').replace(/\/$/, ''))));
  });
}

function missingPackages(jestArgs, env = process.env, exists = existsSync) {
  return neededPackages(jestArgs, env).filter((p) => !exists(p.file)).map((p) => p.name);
}

function canInstall() {
  return typeof process.getuid === 'function' && process.getuid() === 0 && spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
}

/** apt-get install with services kept from starting (a policy-rc.d that says no, removed afterwards). */
function install(names) {
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) require('node:fs').writeFileSync(policy, '#!/bin/sh\n# npm test: packages installed for the tests must not start services\nexit 101\n', { mode: 0o755 });
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    process.stderr.write(`npm test: installing ${names.join(' ')} (apt-get)\n`);
    for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', ...names]]) {
      const res = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
      if (res.status !== 0) return false;
    }
    return true;
  } finally {
    if (ownPolicy) require('node:fs').rmSync(policy, { force: true });
  }
}

/**
 * Ensures the packages; returns null when all is well, else the one line to print. `mayInstall`
 * defaults to "root with apt-get".
 */
function ensureSystemPackages(jestArgs, env = process.env, mayInstall = canInstall()) {
  const missing = missingPackages(jestArgs, env);
  if (!missing.length) return null;
  if (mayInstall && install(missing)) {
    const still = missingPackages(jestArgs, env);
    if (!still.length) return null;
    return `npm test: ${still.join(' ')} still missing after apt-get install; install them with: apt-get install -y ${still.join(' ')}`;
  }
  return `npm test needs these system packages: ${missing.join(' ')} — install them with: sudo apt-get install -y ${missing.join(' ')}`;
}

module.exports = { PACKAGES, neededPackages, missingPackages, ensureSystemPackages };
