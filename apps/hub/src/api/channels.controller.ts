import { ChannelStatusRegistry } from '@leadline/core';
import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { RequireRole } from '../auth/auth.decorators';

@ApiTags('channels')
@RequireRole('admin')
@Controller('api/channels')
export class ChannelsController {
  constructor(private readonly registry: ChannelStatusRegistry) {}

  /**
   * What each channel connection of this hub process is doing (mailbox watchers, Telegram bot,
   * telephony webhooks): `[{ channel, name, status, lastError, since, rejectedRequests }]`, by channel then
   * name. `rejectedRequests` `{ total, lastHour, lastAt, lastReason }` counts requests refused by their
   * signature check: they never make a channel "error" (anyone can send one).
   */
  @Get('status')
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
