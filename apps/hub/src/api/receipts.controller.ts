import { isIngestFailure, ReceiptsService } from '@leadline/core';
import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { RequireRole } from '../auth/auth.decorators';
import { limitQuery } from './schemas';
import type { FailedReceipt } from '@leadline/contracts';

@ApiTags('inbound')
@RequireRole('admin')
@Controller('api/inbound/failed')
export class ReceiptsController {
  constructor(private readonly receipts: ReceiptsService) {}

  /** Payloads our code failed to process, newest first, with the error. */
  @Get()
  list(@Query({ schema: limitQuery }) q: z.infer<typeof limitQuery>): Promise<FailedReceipt[]> {
    return this.receipts.listFailed(q.limit);
  }

  /** Runs a failed payload through intake again (after a fix). */
  @Post(':id/replay')
  @HttpCode(200)
  async replay(@Param('id', ParseUUIDPipe) id: string) {
    const result = await this.receipts.replay(id);
    return isIngestFailure(result) ? { status: 'failed', receiptId: result.receiptId, error: result.error } : { status: 'processed', ...result };
  }
}
