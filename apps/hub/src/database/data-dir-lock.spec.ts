import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertDataDirFree, DataDirInUseError, LOCK_FILE, lockDataDir } from './data-dir-lock';

const bootId = () => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
function startTicksOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}
/** A process that has surely started (its /proc entry exists) and stays until killed. */
async function liveProcess() {
  const child = spawn(process.execPath, ['-e', 'console.log("up"); setTimeout(() => {}, 30000)']);
  await new Promise((resolve) => child.stdout.once('data', resolve));
  return child;
}

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
    expect(JSON.parse(readFileSync(lockFile(), 'utf8'))).toEqual({
      pid: process.pid,
      host: hostname(),
      since: expect.any(String),
      bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
      startTicks: startTicksOf(process.pid),
    });
    expect(() => lockDataDir(dir)).toThrow(DataDirInUseError);
    expect(() => assertDataDirFree(dir)).toThrow(DataDirInUseError);
    release();
    assertDataDirFree(dir);
    expect(existsSync(lockFile())).toBe(false);
    lockDataDir(dir)();
  });

  it('refuses while another live process holds it, naming that process', async () => {
    const other = await liveProcess();
    try {
      writeFileSync(lockFile(), JSON.stringify({ pid: other.pid, host: hostname(), since: '2026-12-01T10:00:00.000Z', bootId: bootId(), startTicks: startTicksOf(other.pid!) }));
      expect(() => lockDataDir(dir)).toThrow(`in use by another Leadline hub (process ${other.pid} on ${hostname()}, since 2026-12-01T10:00:00.000Z)`);
      expect(JSON.parse(readFileSync(lockFile(), 'utf8')).pid).toBe(other.pid);
      // A lock written before start times were recorded: refused while its process may have written it.
      writeFileSync(lockFile(), JSON.stringify({ pid: other.pid, host: hostname(), since: new Date(Date.now() + 60_000).toISOString() }));
      expect(() => lockDataDir(dir)).toThrow(DataDirInUseError);
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('takes over a stale lock whose pid now belongs to an unrelated live process', async () => {
    const unrelated = await liveProcess();
    try {
      // Same pid, but another process start (the hub died, the pid was handed out again) or another boot.
      writeFileSync(lockFile(), JSON.stringify({ pid: unrelated.pid, host: hostname(), since: '2026-12-01T10:00:00.000Z', bootId: bootId(), startTicks: startTicksOf(unrelated.pid!) - 1 }));
      lockDataDir(dir)();
      writeFileSync(lockFile(), JSON.stringify({ pid: unrelated.pid, host: hostname(), since: '2026-12-01T10:00:00.000Z', bootId: 'another-boot', startTicks: startTicksOf(unrelated.pid!) }));
      lockDataDir(dir)();
      // An old-format lock written before that process even started.
      writeFileSync(lockFile(), JSON.stringify({ pid: unrelated.pid, host: hostname(), since: '2026-12-01T10:00:00.000Z' }));
      const release = lockDataDir(dir);
      expect(JSON.parse(readFileSync(lockFile(), 'utf8')).pid).toBe(process.pid);
      release();
    } finally {
      unrelated.kill('SIGKILL');
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
