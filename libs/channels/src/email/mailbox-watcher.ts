import { backoffDelayMs, ChannelStatusRegistry, type AdvisoryLeases, type Lease } from '@leadline/core';
import { Logger } from '@nestjs/common';
import { ImapFlow } from 'imapflow';
import type { EmailIntake } from './email-intake.service';
import type { EmailOptions } from './email-options';
import type { MailboxState } from './mailbox-state';
import type { Mailbox, MailboxesService, MailboxStatus } from './mailboxes.service';

export interface WatcherDeps {
  intake: EmailIntake;
  leases: AdvisoryLeases;
  state: MailboxState;
  mailboxes: MailboxesService;
  status: ChannelStatusRegistry;
  options: EmailOptions;
}

/** Messages fetched per round trip; their sources are held in memory until processed. */
const FETCH_BATCH = 25;

/**
 * Watches one mailbox folder: takes the lease, connects, catches up from the last UID taken, then
 * waits for new mail (IMAP IDLE → `exists`; a poll every pollSeconds as well, and instead of IDLE
 * when the server has none). Any connection loss ends the session; the watcher reconnects with
 * backoff (a fresh ImapFlow each time: an instance cannot be reused) and logs one line.
 */
export class MailboxWatcher {
  private readonly log = new Logger('Email');
  private stopped = false;
  private loop: Promise<void> | null = null;
  private client: ImapFlow | null = null;
  private wake: (() => void) | null = null;
  private pending = false;
  private failures = 0;
  /** Messages taken by this watcher (any outcome) since it started; for logs and tests. */
  taken = 0;

  constructor(
    readonly mailbox: Mailbox,
    private readonly deps: WatcherDeps,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.kick();
    this.client?.close();
    await this.loop;
    this.deps.status.remove('email', this.mailbox.address);
  }

  private kick(): void {
    this.pending = true;
    this.wake?.();
  }

  /** Sleeps until the time passes or something kicks the watcher (new mail, stop). */
  private pause(ms: number): Promise<void> {
    if (this.pending || this.stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }

  private async report(status: MailboxStatus, error: string | null = null): Promise<void> {
    this.deps.status.report('email', this.mailbox.address, status, error);
    await this.deps.mailboxes.setStatus(this.mailbox.id, status, error).catch(() => undefined);
  }

  private async run(): Promise<void> {
    let leaseWaitLogged = false;
    while (!this.stopped) {
      let lease: Lease | null = null;
      try {
        lease = await this.deps.leases.tryAcquire(`leadline:mailbox:${this.mailbox.id}`);
      } catch (err) {
        // The database is unreachable: nothing could be stored anyway. Try again later.
        this.log.warn({ msg: 'mailbox lease unavailable (database)', mailbox: this.mailbox.name, error: (err as Error).message });
        this.deps.status.report('email', this.mailbox.address, 'error', `database unavailable: ${(err as Error).message}`);
        this.pending = false;
        await this.pause(this.leaseRetryMs());
        continue;
      }
      if (!lease) {
        // Another hub process watches this mailbox; try again later in case it goes away.
        if (!leaseWaitLogged) this.log.log({ msg: 'mailbox watched by another process', mailbox: this.mailbox.name });
        leaseWaitLogged = true;
        this.deps.status.report('email', this.mailbox.address, 'connecting', 'watched by another hub process');
        this.pending = false;
        await this.pause(this.leaseRetryMs());
        continue;
      }
      leaseWaitLogged = false;
      try {
        await this.session(lease);
      } catch (err) {
        if (err instanceof FolderRebuilt && !this.stopped) {
          // Not a failure: open the new folder at once and rescan it (no error status, no backoff).
          this.log.warn({ msg: 'mailbox folder was deleted and created again, reopening to rescan', mailbox: this.mailbox.name, folder: this.mailbox.imap.folder, previous: err.previous, uidValidity: err.current });
          this.pending = false;
        } else if (!this.stopped) {
          const failures = ++this.failures;
          const delay = backoffDelayMs(failures, Math.random, { baseMs: this.deps.options.reconnectMinMs, maxMs: this.deps.options.reconnectMaxMs });
          const error = describe(err);
          this.log.warn({ msg: 'mailbox connection lost, reconnecting', mailbox: this.mailbox.name, host: this.mailbox.imap.host, error, attempt: failures, retryInMs: delay });
          await this.report('error', error);
          await lease.release();
          lease = null;
          this.pending = false;
          await this.pause(delay);
        }
      } finally {
        await lease?.release();
      }
    }
  }

  private leaseRetryMs(): number {
    return Math.max(1000, Math.min(this.deps.options.pollSeconds * 1000, 30_000));
  }

  /** One connection, from connect to close. Throws on any connection failure. */
  private async session(lease: Lease): Promise<void> {
    const m = this.mailbox;
    await this.report('connecting');
    const client = new ImapFlow({
      host: m.imap.host,
      port: m.imap.port,
      secure: m.imap.tls,
      auth: { user: m.imap.user, pass: m.imap.password },
      logger: false,
      autoIdleDelay: 1000,
      // Re-issue IDLE now and then: some servers and NATs drop connections idle for long.
      maxIdleTime: 5 * 60_000,
      connectionTimeout: 20_000,
      greetingTimeout: 15_000,
      socketTimeout: 10 * 60_000,
    });
    this.client = client;
    let lastError: Error | null = null;
    // ImapFlow emits 'error' for socket failures; without a listener the process would crash.
    client.on('error', (err: Error) => {
      lastError = err;
      this.kick();
    });
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.on('close', () => this.kick());
    client.on('exists', () => this.kick());
    // Messages vanishing may be the folder being deleted: check now rather than at the next poll.
    client.on('expunge', () => this.kick());
    try {
      await client.connect();
      if (this.stopped) return;
      const opened = await client.mailboxOpen(m.imap.folder, { readOnly: true }).catch((err: unknown) => {
        throw folderError(m.imap.folder, err);
      });
      const uidValidity = Number(opened.uidValidity);
      await this.report('connected');
      this.failures = 0;
      this.log.log({ msg: 'mailbox connected', mailbox: m.name, folder: m.imap.folder, uidValidity, messages: opened.exists, idle: client.capabilities.has('IDLE') });
      const start = await this.deps.state.start(m.id, m.imap.folder, uidValidity);
      if (start.reset) this.log.warn({ msg: 'mailbox UIDVALIDITY changed, rescanning the folder', mailbox: m.name, folder: m.imap.folder, previous: start.previousUidValidity, uidValidity });
      let lastUid = start.lastUid;
      while (!this.stopped) {
        this.pending = false;
        lastUid = await this.catchUp(client, uidValidity, lastUid);
        if (this.stopped) break;
        await Promise.race([this.pause(this.deps.options.pollSeconds * 1000), closed]);
        if (!client.usable) throw lastError ?? new Error('connection closed by the server');
        if (!(await lease.alive())) throw new Error('mailbox lease lost');
        // The folder may have been rebuilt under us. A server that says so changes the selected
        // UIDVALIDITY. But Dovecot does not always tell a selected session that its folder was
        // deleted and created again: no BYE, no EXPUNGE, only "* NO Internal error" during IDLE,
        // and STATUS and SEARCH in that session keep answering from the dead folder — the watcher
        // would sit "connected" for ever. Selecting the folder again reads it as it is now.
        const selected = client.mailbox && typeof client.mailbox === 'object' ? Number(client.mailbox.uidValidity) : uidValidity;
        if (selected !== uidValidity) throw new FolderRebuilt(uidValidity, selected);
        const reopened = await client.mailboxOpen(m.imap.folder, { readOnly: true }).catch((err: unknown) => {
          throw folderError(m.imap.folder, err);
        });
        if (Number(reopened.uidValidity) !== uidValidity) throw new FolderRebuilt(uidValidity, Number(reopened.uidValidity));
      }
    } finally {
      this.client = null;
      client.removeAllListeners('exists');
      client.removeAllListeners('expunge');
      client.on('error', () => undefined);
      // A polite LOGOUT, but never wait long for a server that stopped answering.
      if (client.usable) await withTimeout(client.logout(), 5000).catch(() => client.close());
      else client.close();
    }
  }

  /** Takes every message after lastUid, in UID order, advancing the stored position after each commit. */
  private async catchUp(client: ImapFlow, uidValidity: number, lastUid: number): Promise<number> {
    const m = this.mailbox;
    // `n:*` always matches the highest message even when n is past it: filter.
    const found = (await client.search({ uid: `${lastUid + 1}:*` }, { uid: true })) || [];
    const uids = found.filter((u) => u > lastUid).sort((a, b) => a - b);
    if (!uids.length) return lastUid;
    const ownAddresses = await this.deps.mailboxes.ownAddresses();
    for (let i = 0; i < uids.length && !this.stopped; i += FETCH_BATCH) {
      const batch = uids.slice(i, i + FETCH_BATCH);
      // Collect first, process after: no other IMAP command may run inside a fetch iteration.
      const messages: Array<{ uid: number; source: Buffer }> = [];
      for await (const msg of client.fetch(batch.join(','), { uid: true, source: true }, { uid: true })) {
        if (msg.source) messages.push({ uid: msg.uid, source: msg.source });
      }
      messages.sort((a, b) => a.uid - b.uid);
      for (const msg of messages) {
        if (this.stopped) return lastUid;
        await this.deps.intake.take(m, { folder: m.imap.folder, uidValidity, uid: msg.uid }, msg.source, ownAddresses);
        await this.deps.state.advance(m.id, m.imap.folder, uidValidity, msg.uid);
        lastUid = msg.uid;
        this.taken++;
      }
      // UIDs that vanished between search and fetch (expunged) are passed over.
      lastUid = Math.max(lastUid, ...batch.filter((u) => !messages.some((x) => x.uid === u) && u < (messages[messages.length - 1]?.uid ?? 0)));
    }
    return lastUid;
  }
}

/** The watched folder now has another UIDVALIDITY: it was rebuilt (deleted and created again, migrated). */
class FolderRebuilt extends Error {
  constructor(
    readonly previous: number,
    readonly current: number,
  ) {
    super(`folder UIDVALIDITY changed from ${previous} to ${current}`);
  }
}

/** A folder that cannot be opened or queried, said so an operator knows what to fix. */
function folderError(folder: string, err: unknown): Error {
  const e = err as { serverResponseCode?: string; responseText?: string; message?: string; mailboxMissing?: boolean };
  const text = `${e.serverResponseCode ?? ''} ${e.responseText ?? ''} ${e.message ?? ''}`;
  if (e.mailboxMissing || /NONEXISTENT|doesn't exist|does not exist|not exist|no such/i.test(text)) {
    return new Error(`folder "${folder}" does not exist on the server (deleted or renamed?)${e.responseText ? `: ${e.responseText}` : ''}`);
  }
  return new Error(`folder "${folder}" cannot be opened: ${describe(err)}`);
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: string }).code;
    const response = (err as { responseText?: string }).responseText;
    return [code, err.message, response].filter(Boolean).join(': ');
  }
  return String(err);
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
