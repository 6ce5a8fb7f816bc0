import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertDataDirFree, DataDirInUseError, LOCK_FILE, lockDataDir } from './data-dir-lock';

describe('lockDataDir (one hub per embedded database directory)', () => {
  let dir: string;
  const lockFile = () => join(dir, LOCK_FILE);
  const writeOwner = (pid: number, host = hostname()) => writeFileSync(lockFile(), JSON.stringify({ pid, host, since: '2026-12-01T10:00:00.000Z' }));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'leadline-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes who holds it, refuses a second hub in the same process, and gives it back on release', () => {
    assertDataDirFree(dir);
    const release = lockDataDir(dir);
    expect(JSON.parse(readFileSync(lockFile(), 'utf8'))).toEqual({ pid: process.pid, host: hostname(), since: expect.any(String) });
    expect(() => lockDataDir(dir)).toThrow(DataDirInUseError);
    expect(() => assertDataDirFree(dir)).toThrow(DataDirInUseError);
    release();
    assertDataDirFree(dir);
    expect(existsSync(lockFile())).toBe(false);
    lockDataDir(dir)();
  });

  it('refuses while another live process holds it, naming that process', () => {
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      writeOwner(other.pid!);
      expect(() => lockDataDir(dir)).toThrow(`in use by another Leadline hub (process ${other.pid} on ${hostname()}, since 2026-12-01T10:00:00.000Z)`);
      expect(JSON.parse(readFileSync(lockFile(), 'utf8')).pid).toBe(other.pid);
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('takes over a lock whose process is gone, or that was written on another host or by an earlier run with our pid', () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.pid']).pid;
    writeOwner(gone);
    const release = lockDataDir(dir);
    expect(JSON.parse(readFileSync(lockFile(), 'utf8')).pid).toBe(process.pid);
    release();
    writeOwner(process.pid + 1, 'container-before-restart');
    lockDataDir(dir)();
    // An earlier run that had this very pid (pid 1 in a container) and was killed.
    writeOwner(process.pid);
    lockDataDir(dir)();
  });

  it('a torn lock file is someone starting right now if fresh, a leftover if old', () => {
    writeFileSync(lockFile(), '');
    expect(() => lockDataDir(dir)).toThrow('a process that is starting right now');
    const old = new Date(Date.now() - 60_000);
    utimesSync(lockFile(), old, old);
    lockDataDir(dir)();
  });
});
