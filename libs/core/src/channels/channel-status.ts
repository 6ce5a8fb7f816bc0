import { Injectable } from '@nestjs/common';

/** 'idle': nothing verified has arrived yet (a webhook channel known only from refused requests). */
export type ChannelState = 'connected' | 'connecting' | 'error' | 'disabled' | 'idle';

/** Requests refused by the signature (or secret) check: anyone can send them, so they are counted, not an error. */
export interface RejectedRequests {
  total: number;
  /** In the last 60 minutes: the rate. */
  lastHour: number;
  lastAt: Date | null;
  lastReason: string | null;
}

export interface ChannelStatus {
  /** 'email', 'telegram', 'phone', … */
  channel: string;
  /** Which one of the channel: a mailbox address, a bot username, a provider account. */
  name: string;
  status: ChannelState;
  lastError: string | null;
  /** When it entered this status. */
  since: Date;
  rejectedRequests: RejectedRequests;
}

interface Rejections {
  total: number;
  /** Counts per minute (epoch minute → count), the last 60 kept: bounded however many arrive. */
  minutes: Map<number, number>;
  lastAt: Date | null;
  lastReason: string | null;
}

/**
 * What each long-lived channel connection is doing right now (IMAP watcher, bot polling, webhook
 * registration), for the admin UI's channel status. Per process and in memory: it describes this
 * process's connections, which is what an operator debugging "why no mail" needs.
 *
 * "error" is for evidence from the provider's side (an API refusing our credentials, a mailbox login
 * failing) and our own failures. A request that fails its signature check proves nothing about the
 * channel — anyone on the internet can send one — so it only counts in `rejectedRequests`; a steady
 * rate of them next to no verified traffic points the admin at PUBLIC_URL or the secret.
 */
@Injectable()
export class ChannelStatusRegistry {
  private readonly entries = new Map<string, Omit<ChannelStatus, 'rejectedRequests'>>();
  private readonly rejections = new Map<string, Rejections>();

  report(channel: string, name: string, status: ChannelState, lastError: string | null = null): void {
    const key = keyOf(channel, name);
    const prev = this.entries.get(key);
    const since = prev && prev.status === status ? prev.since : new Date(Date.now());
    this.entries.set(key, { channel, name, status, lastError: status === 'error' ? (lastError ?? prev?.lastError ?? null) : lastError, since });
  }

  /** Counts a request refused by its signature/secret check; never changes the status. */
  rejected(channel: string, name: string, reason: string): void {
    const key = keyOf(channel, name);
    const now = Date.now();
    const r = this.rejections.get(key) ?? { total: 0, minutes: new Map<number, number>(), lastAt: null, lastReason: null };
    const minute = Math.floor(now / 60_000);
    r.total++;
    r.minutes.set(minute, (r.minutes.get(minute) ?? 0) + 1);
    for (const m of r.minutes.keys()) if (m <= minute - 60) r.minutes.delete(m);
    r.lastAt = new Date(now);
    r.lastReason = reason.slice(0, 300);
    this.rejections.set(key, r);
    if (!this.entries.has(key)) this.entries.set(key, { channel, name, status: 'idle', lastError: null, since: new Date(now) });
  }

  remove(channel: string, name: string): void {
    this.entries.delete(keyOf(channel, name));
    this.rejections.delete(keyOf(channel, name));
  }

  list(): ChannelStatus[] {
    const minute = Math.floor(Date.now() / 60_000);
    return [...this.entries.entries()]
      .map(([key, e]) => {
        const r = this.rejections.get(key);
        let lastHour = 0;
        for (const [m, n] of r?.minutes ?? []) if (m > minute - 60) lastHour += n;
        return { ...e, rejectedRequests: { total: r?.total ?? 0, lastHour, lastAt: r?.lastAt ?? null, lastReason: r?.lastReason ?? null } };
      })
      .sort((a, b) => a.channel.localeCompare(b.channel) || a.name.localeCompare(b.name));
  }
}

function keyOf(channel: string, name: string): string {
  return `${channel}\u0000${name}`;
}
