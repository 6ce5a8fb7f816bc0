import { ChannelStatusRegistry } from '@leadline/core';
import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { RequireRole } from '../auth/auth.decorators';
import { ChannelAvailabilityService } from './channel-availability.service';
import type { ChannelStatus } from '@leadline/contracts';

@ApiTags('channels')
@Controller('api/channels')
export class ChannelsController {
  constructor(
    private readonly registry: ChannelStatusRegistry,
    private readonly availability: ChannelAvailabilityService,
  ) {}

  /**
   * Every channel with what it can do on this hub (`receives`, `sends`, `calls`) and, when off, what
   * turns it on (`enableWith`). For every logged-in user: the UI offers only what works.
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
  status(): ChannelStatus[] {
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
