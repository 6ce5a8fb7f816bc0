import { Injectable } from '@nestjs/common';
import { DomainError } from '../errors/domain-error';
import type { ChannelOutbound, ChannelPlugin } from './channel-plugin';

/** A channel that can reply, with its outbound part known to be there. */
export type ReplyingChannel = ChannelPlugin & { outbound: ChannelOutbound };

/**
 * Every channel of this hub process, as registered by the channel modules at init. The one place the
 * core, the API and the admin UI (GET /api/channels) learn which channels exist and what they can do.
 */
@Injectable()
export class ChannelRegistry {
  private readonly plugins = new Map<string, ChannelPlugin>();

  register(plugin: ChannelPlugin): void {
    if (this.plugins.has(plugin.name)) throw new Error(`a channel named "${plugin.name}" is already registered`);
    if (plugin.capabilities.reply !== !!plugin.outbound) throw new Error(`channel "${plugin.name}": capabilities.reply must match the presence of outbound`);
    for (const kind of plugin.identityKinds) {
      const owner = this.ownerOf(kind);
      if (owner) throw new Error(`identity kind "${kind}" is owned by channel "${owner.name}" already (channel "${plugin.name}")`);
    }
    this.plugins.set(plugin.name, plugin);
  }

  get(name: string): ChannelPlugin | undefined {
    return this.plugins.get(name);
  }

  /** By `order`, then name. */
  list(): ChannelPlugin[] {
    return [...this.plugins.values()].sort((a, b) => a.order - b.order || a.name.localeCompare(b.name));
  }

  /** Channels managers can write through, by `fallbackRank`. */
  replying(): ReplyingChannel[] {
    return this.list()
      .filter((p): p is ReplyingChannel => !!p.outbound)
      .sort((a, b) => a.outbound.fallbackRank - b.outbound.fallbackRank);
  }

  /** The channel a manager asked for, or 400 when no registered channel of that name can reply. */
  replyingChannel(name: string): ReplyingChannel {
    const plugin = this.plugins.get(name);
    if (!plugin) throw DomainError.invalid(`unknown channel "${name}"`, { channel: `must be one of: ${this.replying().map((p) => p.name).join(', ')}` });
    if (!plugin.outbound) throw DomainError.invalid(`managers cannot write through ${name}`, { channel: `${name} cannot send messages` });
    return plugin as ReplyingChannel;
  }

  ownerOf(identityKind: string): ChannelPlugin | undefined {
    return [...this.plugins.values()].find((p) => p.identityKinds.includes(identityKind));
  }
}
