import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

export const LOCK_FILE = 'leadline.lock';

interface LockOwner {
  pid: number;
  host: string;
  since: string;
  /** Linux: the kernel's boot id and the process's start time (clock ticks since boot, /proc/PID/stat
   * field 22). Together they name one process for good: a pid reused after a crash or reboot differs. */
  bootId?: string;
  startTicks?: number;
}

/** Another live hub has the embedded database directory open. */
export class DataDirInUseError extends Error {
  readonly name = 'DataDirInUseError';
}

/** Directories this process holds (a second hub in the same process must not open them either). */
const heldHere = new Set<string>();

/**
 * One hub per embedded database directory. PGlite keeps no lock of its own (its postmaster.pid is
 * written from inside WebAssembly and names no real process), and two processes on the same files
 * hang or corrupt them. So the hub writes `leadline.lock` (pid, host, since) with O_EXCL before
 * opening the directory and removes it on close. A lock whose process is gone (SIGKILL, power loss) is
 * taken over, and so is one whose pid now belongs to another process (pids are reused, after a reboot
 * at once): on Linux the lock records the process's boot id and start time, which a reused pid does
 * not share. So is one written on another host name, because a container restarted on the same
 * volume gets a new one and the old process cannot be checked from here. Returns the release function.
 */
export function lockDataDir(dir: string): () => void {
  const path = resolve(dir);
  const file = join(path, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      refuseIfHeld(dir, path);
      removeIfPresent(file);
      continue;
    }
    try {
      const identity = processIdentity(process.pid);
      writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString(), ...(identity ?? {}) } satisfies LockOwner));
    } finally {
      closeSync(fd);
    }
    heldHere.add(path);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      process.removeListener('exit', release);
      heldHere.delete(path);
      const current = readOwner(file);
      if (current && current !== 'fresh' && current.pid === process.pid && current.host === hostname()) removeIfPresent(file);
    };
    // A clean exit without close (Ctrl-C handled elsewhere, process.exit) still leaves no lock behind.
    process.once('exit', release);
    return release;
  }
  throw inUse(dir, null);
}

/**
 * Fails early, before the application is assembled, when a live hub holds the directory: the one-line
 * answer instead of a dependency-injection error dump. lockDataDir still decides (this only looks).
 */
export function assertDataDirFree(dir: string): void {
  refuseIfHeld(dir, resolve(dir));
}

/** Throws when a live hub holds the directory (or one is writing its lock right now); a stale lock passes. */
function refuseIfHeld(dir: string, path: string): void {
  const owner = readOwner(join(path, LOCK_FILE));
  if (owner === 'fresh') throw inUse(dir, null);
  if (owner && isAlive(owner, path)) throw inUse(dir, owner);
}

function inUse(dir: string, owner: LockOwner | null): DataDirInUseError {
  const who = owner ? `process ${owner.pid} on ${owner.host}, since ${owner.since}` : 'a process that is starting right now';
  return new DataDirInUseError(
    `The embedded database in ${dir} is in use by another Leadline hub (${who}). Stop that hub first, ` +
      `or give this one its own PGLITE_DATA_DIR, or set DATABASE_URL to share a PostgreSQL server between hubs.`,
  );
}

/** The lock's owner; 'fresh' for a file being written this very moment; null for an unreadable leftover. */
function readOwner(file: string): LockOwner | 'fresh' | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  try {
    const owner = JSON.parse(text) as LockOwner;
    if (Number.isInteger(owner.pid) && typeof owner.host === 'string') return owner;
  } catch {
    // Empty or torn: either its writer is between open and write, or it died there.
  }
  try {
    return Date.now() - statSync(file).mtimeMs < 5_000 ? 'fresh' : null;
  } catch {
    return null;
  }
}

function isAlive(owner: LockOwner, path: string): boolean {
  if (owner.host !== hostname()) return false;
  if (owner.pid === process.pid) return heldHere.has(path);
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else (still maybe a reused pid: checked below).
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const current = processIdentity(owner.pid);
  // No /proc (not Linux): a live pid is taken for the hub, the safe side.
  if (!current) return true;
  if (owner.bootId !== undefined && owner.startTicks !== undefined) {
    return owner.bootId === current.bootId && owner.startTicks === current.startTicks;
  }
  // A lock from before start times were recorded: a process that started after the lock was
  // written cannot be the one that wrote it.
  const started = processStartMs(current.startTicks);
  const since = Date.parse(owner.since);
  return started === null || Number.isNaN(since) || started <= since + 2000;
}

/** Boot id and start time of a process (Linux /proc), or null where there is no /proc. */
function processIdentity(pid: number): { bootId: string; startTicks: number } | null {
  try {
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces or ")"; fields count on after the last ")".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTicks = Number(fields[19]);
    return Number.isFinite(startTicks) ? { bootId, startTicks } : null;
  } catch {
    return null;
  }
}

/** Wall-clock start of a process from its start ticks: boot time (/proc/stat btime) + ticks at USER_HZ (100 on Linux). */
function processStartMs(startTicks: number): number | null {
  try {
    const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1];
    return btime ? Number(btime) * 1000 + startTicks * 10 : null;
  } catch {
    return null;
  }
}

function removeIfPresent(file: string): void {
  try {
    unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
