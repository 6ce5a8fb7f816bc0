import { ChannelRegistry, ChannelStatusRegistry, ConversationsService, DomainError, type MessageTemplateInfo, type Viewer } from '@leadline/core';
import { Controller, Get, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CurrentViewer, RequireRole } from '../auth/auth.decorators';
import { ChannelAvailabilityService } from './channel-availability.service';

@ApiTags('channels')
@Controller('api/channels')
export class ChannelsController {
  constructor(
    private readonly registry: ChannelStatusRegistry,
    private readonly availability: ChannelAvailabilityService,
    private readonly channels: ChannelRegistry,
  ) {}

  /**
   * The pre-approved templates of a channel that has them (`capabilities.templates`): `[{ name,
   * language, text, params }]`, `text` with numbered placeholders ({{1}}). 404 for any other channel.
   */
  @Get(':key/templates')
  async templates(@Param('key') key: string): Promise<MessageTemplateInfo[]> {
    const outbound = this.channels.get(key)?.outbound;
    if (!outbound?.templates) throw DomainError.notFound(`templates of channel "${key}"`);
    return outbound.templates();
  }

  /**
   * Every registered channel, by `order`: `key`, `label` {en, ru}, `iconKey`, `capabilities` {inbound,
   * reply, media, templates, calls}, `identityKinds`, what it does on this hub (`receives`, `sends`,
   * `calls`) and, when off, what turns it on (`enableWith`). For every logged-in user: the UI draws
   * channels from this list and offers only what works. Connection details (errors may name hosts)
   * stay on the admin-only `status`.
   */
  @Get()
  list() {
    return this.availability.list();
  }

  /**
   * What each channel connection of this hub process is doing (mailbox watchers, Telegram bot,
   * telephony webhooks): `[{ channel, name, status, lastError, since, rejectedRequests }]`, by channel then
   * name. `rejectedRequests` `{ total, lastHour, lastAt, lastReason }` counts requests refused by their
   * signature check: they never make a channel "error" (anyone can send one).
   */
  @Get('status')
  @RequireRole('admin')
  status() {
    return this.registry.list().map((s) => ({
      channel: s.channel,
      name: s.name,
      status: s.status,
      lastError: s.lastError,
      since: s.since.toISOString(),
      rejectedRequests: { ...s.rejectedRequests, lastAt: s.rejectedRequests.lastAt?.toISOString() ?? null },
    }));
  }
}

@ApiTags('channels')
@Controller('api/contacts')
export class ContactChannelsController {
  constructor(private readonly conversations: ConversationsService) {}

  /**
   * The channels a manager can write to this contact through, by preference: `[{ channel, address, ok,
   * reason? }]`. `ok: false` with a `reason` code when the channel refuses a message now (e.g. a closed
   * reply window): the composer says why instead of offering it.
   */
  @Get(':id/reply-channels')
  replyChannels(@CurrentViewer() viewer: Viewer, @Param('id', ParseUUIDPipe) id: string) {
    return this.conversations.replyOptions(viewer, id);
  }
}
