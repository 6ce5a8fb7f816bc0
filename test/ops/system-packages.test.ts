import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { neededPackages, missingPackages } = require('../system-packages') as {
  neededPackages: (args: string[], env: Record<string, string | undefined>) => Array<{ name: string }>;
  missingPackages: (args: string[], env: Record<string, string | undefined>, exists: (f: string) => boolean) => string[];
};

describe('npm test checks the system packages the chosen tests need', () => {
  const names = (args: string[], env: Record<string, string | undefined> = {}) => neededPackages(args, env).map((p) => p.name);

  it('needs everything for the whole suite, PostgreSQL tools only with DATABASE_URL', () => {
    expect(names([])).toEqual(['chromium', 'dovecot-imapd', 'nginx', 'openssl', 'prometheus']);
    expect(names([], { DATABASE_URL: 'postgres://x/y' })).toContain('postgresql-client');
  });

  it('needs only what the named test files drive', () => {
    expect(names(['test/email/imap.test.ts'])).toEqual(['dovecot-imapd']);
    expect(names(['test/ops/metrics.test.ts'])).toEqual(['prometheus']);
    expect(names(['test/ops/'])).toEqual(['nginx', 'openssl', 'prometheus']);
    expect(names(['test/http/auth.test.ts', '--runInBand'])).toEqual([]);
    expect(names(['test/ops/backup.test.ts'], { DATABASE_URL: 'postgres://x/y' })).toEqual(['postgresql-client']);
  });

  it('reports the missing ones by package name', () => {
    expect(missingPackages([], {}, (f) => f !== '/usr/sbin/nginx' && f !== '/usr/bin/prometheus')).toEqual(['nginx', 'prometheus']);
  });

  it('stops at once with one line naming the packages and the command when it may not install', () => {
    // In a separate process: the package table is changed so that prometheus looks missing.
    const script = `
      const m = require(${JSON.stringify(join(__dirname, '../system-packages.js'))});
      m.PACKAGES.forEach((p) => (p.file = '/nonexistent' + p.file));
      const line = m.ensureSystemPackages(['test/ops/metrics.test.ts'], {}, false);
      process.stdout.write(String(line));`;
    const res = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(res.stdout).toBe('npm test needs these system packages: prometheus — install them with: sudo apt-get install -y prometheus');
  });
});
