import { Injectable } from '@nestjs/common';

export type ChannelState = 'connected' | 'connecting' | 'error' | 'disabled';

export interface ChannelStatus {
  /** 'email', 'telegram', 'phone', … */
  channel: string;
  /** Which one of the channel: a mailbox address, a bot username, a provider account. */
  name: string;
  status: ChannelState;
  lastError: string | null;
  /** When it entered this status. */
  since: Date;
}

/**
 * What each long-lived channel connection is doing right now (IMAP watcher, bot polling, webhook
 * registration), for the admin UI's channel status. Per process and in memory: it describes this
 * process's connections, which is what an operator debugging "why no mail" needs.
 */
@Injectable()
export class ChannelStatusRegistry {
  private readonly entries = new Map<string, ChannelStatus>();

  report(channel: string, name: string, status: ChannelState, lastError: string | null = null): void {
    const key = `${channel}\u0000${name}`;
    const prev = this.entries.get(key);
    const since = prev && prev.status === status ? prev.since : new Date();
    this.entries.set(key, { channel, name, status, lastError: status === 'error' ? (lastError ?? prev?.lastError ?? null) : lastError, since });
  }

  remove(channel: string, name: string): void {
    this.entries.delete(`${channel}\u0000${name}`);
  }

  list(): ChannelStatus[] {
    return [...this.entries.values()].sort((a, b) => a.channel.localeCompare(b.channel) || a.name.localeCompare(b.name));
  }
}
