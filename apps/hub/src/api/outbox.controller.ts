import { OutboxService } from '@leadline/core';
import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { RequireRole } from '../auth/auth.decorators';
import { listOutboxQuery } from './schemas';
import type { OutboxRow } from '@leadline/contracts';
import { asJson } from './as-json';

@ApiTags('outbox')
@RequireRole('admin')
@Controller('api/outbox')
export class OutboxController {
  constructor(private readonly outbox: OutboxService) {}

  /** Messages in one state (`?status=dead`), most recently changed first; without status, the failed and dead ones. */
  @Get()
  list(@Query({ schema: listOutboxQuery }) q: z.infer<typeof listOutboxQuery>): Promise<OutboxRow[]> {
    return asJson(this.outbox.list(q.status ? [q.status] : undefined, q.limit ?? 100));
  }

  /** Sends a failed or dead message again now, with a fresh attempt budget (after fixing its cause). */
  @Post(':id/retry')
  @HttpCode(200)
  retry(@Param('id', ParseUUIDPipe) id: string) {
    return this.outbox.retry(id);
  }
}
