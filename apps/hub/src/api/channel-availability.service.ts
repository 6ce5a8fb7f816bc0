import { ChannelRegistry, type ChannelCapabilities, type ChannelLabel } from '@leadline/core';
import { Injectable } from '@nestjs/common';

/** One channel of this hub as the admin UI lists it: what it is, what it can do, and what turns it on. */
export interface ChannelListItem {
  /** The channel's name (`activity.channel`, the `channel` of a message): 'web_form', 'email', 'telegram', 'phone', … */
  key: string;
  label: ChannelLabel;
  /** The admin UI's glyph for it. */
  iconKey: string;
  capabilities: ChannelCapabilities;
  /** Identity kinds shown with this channel's icon. */
  identityKinds: string[];
  /** Leads arrive through it. */
  receives: boolean;
  /** Managers can write to clients through it (email: a mailbox with SMTP; Telegram: the bot). */
  sends: boolean;
  /** Click-to-call rings the manager's phone through the provider (else the UI dials with `tel:`). */
  calls: boolean;
  /** What turns the missing part on: environment variables, or an admin page (`settings:channels`). */
  enableWith: string[];
}

/**
 * The registered channels with each one's availability, read per request from the channel (the hub's
 * configuration, the mailboxes table): always the truth of this process, so the UI never offers a
 * channel the hub would refuse.
 */
@Injectable()
export class ChannelAvailabilityService {
  constructor(private readonly channels: ChannelRegistry) {}

  async list(): Promise<ChannelListItem[]> {
    return Promise.all(
      this.channels.list().map(async (p) => ({
        key: p.name,
        label: p.label,
        iconKey: p.iconKey,
        capabilities: p.capabilities,
        identityKinds: [...p.identityKinds],
        ...(await p.availability()),
      })),
    );
  }
}
