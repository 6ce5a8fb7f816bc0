import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';

const run = promisify(execFile);
// Debian puts the server in /usr/sbin, which is not on every user's PATH.
const DOVECOT = existsSync('/usr/sbin/dovecot') ? '/usr/sbin/dovecot' : 'dovecot';

export const DOVECOT_USER = 'crm@test.local';
export const DOVECOT_PASSWORD = 'secret';

/** A free loopback port (the OS picks; other agents run servers too). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A real Dovecot IMAP server on loopback with its own config, user and Maildir under a temp dir;
 * the system's dovecot service is never involved (`dovecot -F -c <our config>`).
 */
export class Dovecot {
  private proc: ChildProcess | null = null;
  readonly dir: string;
  port = 0;
  private log = '';

  private constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'leadline-dovecot-'));
  }

  static async start(): Promise<Dovecot> {
    const d = new Dovecot();
    d.port = await freePort();
    d.writeConfig();
    await d.launch();
    return d;
  }

  get confPath(): string {
    return join(this.dir, 'dovecot.conf');
  }

  /** Environment for the hub's env-configured mailbox. */
  imapEnv(extra: Record<string, string> = {}): Record<string, string> {
    return { IMAP_HOST: '127.0.0.1', IMAP_PORT: String(this.port), IMAP_TLS: 'false', IMAP_USER: DOVECOT_USER, IMAP_PASSWORD: DOVECOT_PASSWORD, ...extra };
  }

  private writeConfig(): void {
    const { username, uid, gid } = userInfo();
    // Dovecot refuses to run its login and internal processes as root; the package's users serve then.
    const root = uid === 0;
    const loginUser = root ? 'dovenull' : username;
    const internalUser = root ? 'dovecot' : username;
    const internalGroup = root ? 'dovecot' : username;
    // Nor will it store mail as uid 0: as root, mail belongs to the package's dovecot user.
    const mailUid = root ? Number(execFileSync('id', ['-u', 'dovecot']).toString().trim()) : uid;
    const mailGid = root ? Number(execFileSync('id', ['-g', 'dovecot']).toString().trim()) : gid;
    // The auth process (the dovecot user when we are root) reads the users file in this dir.
    chmodSync(this.dir, 0o755);
    mkdirSync(join(this.dir, 'run', 'state'), { recursive: true });
    mkdirSync(join(this.dir, 'mail'), { recursive: true });
    chownSync(join(this.dir, 'mail'), mailUid, mailGid);
    writeFileSync(join(this.dir, 'users'), `${DOVECOT_USER}:{PLAIN}${DOVECOT_PASSWORD}\n`, { mode: 0o644 });
    writeFileSync(
      this.confPath,
      `protocols = imap
listen = 127.0.0.1
base_dir = ${this.dir}/run
state_dir = ${this.dir}/run/state
default_login_user = ${loginUser}
default_internal_user = ${internalUser}
default_internal_group = ${internalGroup}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = /dev/stderr
mail_location = maildir:~/Maildir
first_valid_uid = 0
first_valid_gid = 0
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${this.dir}/users
}
userdb {
  driver = static
  args = uid=${mailUid} gid=${mailGid} home=${this.dir}/mail/%u
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${this.port}
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
service stats {
  chroot =
}
`,
    );
  }

  private async launch(): Promise<void> {
    // Its own process group: stopping the server must also end the imap processes serving open
    // connections (they outlive the master otherwise, and a "restart" would cut nobody off).
    const proc = spawn(DOVECOT, ['-F', '-c', this.confPath], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    proc.stdout!.on('data', (b) => (this.log += b));
    proc.stderr!.on("data", (b) => { this.log += b; if (process.env.DOVECOT_DEBUG) process.stderr.write(b); });
    this.proc = proc;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`dovecot exited (${proc.exitCode}): ${this.log.slice(-2000)}`);
      if (await canConnect(this.port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`dovecot did not listen on ${this.port}: ${this.log.slice(-2000)}`);
  }

  /** Stops the server (existing client connections are cut). */
  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = null;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    const group = (signal: NodeJS.Signals) => {
      try {
        process.kill(-proc.pid!, signal);
      } catch {
        // the group is already gone
      }
    };
    group('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    group('SIGKILL');
    if (proc.exitCode === null) await exited;
    // Wait until the listener is really gone, so a restart can bind the same port.
    for (let i = 0; i < 100 && (await canConnect(this.port)); i++) await new Promise((r) => setTimeout(r, 50));
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Forces a new UIDVALIDITY on a folder, as a server rebuild or migration would. */
  async setUidValidity(value: number, folder = 'INBOX'): Promise<void> {
    await run('doveadm', ['-c', this.confPath, 'mailbox', 'update', '-u', DOVECOT_USER, '--uid-validity', String(value), folder]);
  }

  /** A client session of the mail user (delivery by IMAP APPEND). */
  async client(): Promise<ImapFlow> {
    const c = new ImapFlow({ host: '127.0.0.1', port: this.port, secure: false, auth: { user: DOVECOT_USER, pass: DOVECOT_PASSWORD }, logger: false, disableAutoIdle: true });
    c.on('error', () => undefined);
    await c.connect();
    return c;
  }

  /** Delivers messages (raw RFC 822) to a folder by IMAP APPEND; returns their UIDs. */
  async deliver(messages: Array<string | Buffer>, folder = 'INBOX'): Promise<number[]> {
    const c = await this.client();
    try {
      const uids: number[] = [];
      for (const m of messages) {
        const res = await c.append(folder, m);
        if (res && res.uid) uids.push(res.uid);
      }
      return uids;
    } finally {
      await c.logout().catch(() => undefined);
    }
  }

  async createFolder(folder: string): Promise<void> {
    const c = await this.client();
    try {
      await c.mailboxCreate(folder);
    } finally {
      await c.logout().catch(() => undefined);
    }
  }

  /** IMAP DELETE from another session, as a mail client or an admin would. */
  async deleteFolder(folder: string): Promise<void> {
    const c = await this.client();
    try {
      await c.mailboxDelete(folder);
    } finally {
      await c.logout().catch(() => undefined);
    }
  }

  async status(folder = 'INBOX'): Promise<{ messages: number; uidValidity: number; uidNext: number }> {
    const c = await this.client();
    try {
      const s = await c.status(folder, { messages: true, uidValidity: true, uidNext: true });
      if (!s) throw new Error(`no status for ${folder}`);
      return { messages: s.messages ?? 0, uidValidity: Number(s.uidValidity), uidNext: s.uidNext ?? 0 };
    } finally {
      await c.logout().catch(() => undefined);
    }
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.setTimeout(500);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
    s.connect(port, '127.0.0.1');
  });
}
