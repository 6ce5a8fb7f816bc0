#!/usr/bin/env node
/**
 * `npm test`: the jest suite (hub, unit + integration + browser), then the admin UI's component
 * tests with vitest. Arguments go to jest (`npm test -- test/http/auth.test.ts`); vitest runs only
 * for the whole suite (no arguments) or when an argument names apps/admin. First the system
 * packages the chosen tests drive are checked (test/system-packages.js): installed when this runs
 * as root with apt-get, else one line names them and the command, and nothing runs.
 *
 * `npm run test:unit` (`--unit`): the fast loop, in seconds — the unit tests beside the code
 * (*.spec.ts) and the generated-docs checks (test/docs), then the admin UI's vitest suite. None of
 * them may need a database or a hub: DATABASE_URL points at a host that cannot exist, so one that
 * tries fails at once instead of quietly starting an in-memory PGlite (move such a test to test/).
 */
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');
const { ensureSystemPackages } = require('./system-packages');

const root = join(__dirname, '..');
const unit = process.argv.includes('--unit');
const args = process.argv.slice(2).filter((a) => a !== '--unit');
const adminArgs = args.filter((a) => a.includes('apps/admin'));
const jestArgs = unit ? ['\\.spec\\.ts$', '/test/docs/', ...args.filter((a) => a.startsWith('-'))] : args.filter((a) => !a.includes('apps/admin'));
const env = unit ? { ...process.env, DATABASE_URL: 'postgres://unit-tests-use-no-database.invalid:5432/none' } : process.env;

function run(cmd, cmdArgs) {
  const res = spawnSync(process.execPath, cmdArgs, { cwd: root, stdio: 'inherit', env });
  if (res.error) throw res.error;
  return res.status ?? 1;
}

const needsJest = unit || args.length === 0 || jestArgs.length > 0;
if (needsJest && !unit) {
  const problem = ensureSystemPackages(jestArgs);
  if (problem) {
    process.stderr.write(`${problem}\n`);
    process.exit(1);
  }
}

let status = 0;
if (needsJest) {
  status = run('jest', ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning', join(root, 'node_modules/jest/bin/jest.js'), ...jestArgs]);
}
if (status === 0 && (unit || args.length === 0 || adminArgs.length > 0)) {
  status = run('vitest', [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--config', join(root, 'apps/admin/vitest.config.mts'), ...adminArgs.map((a) => a.replace(/^apps\/admin\//, ''))]);
}
process.exit(status);
