import { DealsService, type Viewer } from '@leadline/core';
import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { CurrentViewer } from '../auth/auth.decorators';
import { BulkActionsService } from './bulk-actions.service';
import { bulkDealsSchema, changeStageSchema, dealAmountSchema, listDealsQuery } from './schemas';
import type { Deal, Page } from '@leadline/contracts';

@ApiTags('deals')
@Controller('api')
export class DealsController {
  constructor(
    private readonly deals: DealsService,
    private readonly bulk: BulkActionsService,
  ) {}

  @Get('deals')
  list(@CurrentViewer() viewer: Viewer, @Query({ schema: listDealsQuery }) q: z.infer<typeof listDealsQuery>): Promise<Page<Deal>> {
    return this.deals.list(viewer, q);
  }

  /**
   * One action on several deals (`{ ids, action: { type: 'stage' | 'assign' | 'tag', … } }`) through the
   * single actions' rules → 200 with `{ done, refused, results: [{ id, status, error?, message? }] }`.
   */
  @Post('deals/bulk')
  @HttpCode(200)
  bulkAction(@CurrentViewer() viewer: Viewer, @Body({ schema: bulkDealsSchema }) body: z.infer<typeof bulkDealsSchema>) {
    return this.bulk.forDeals(viewer, body.ids, body.action);
  }

  @Get('deals/:id')
  get(@CurrentViewer() viewer: Viewer, @Param('id', ParseUUIDPipe) id: string): Promise<Deal> {
    return this.deals.get(viewer, id);
  }

  /**
   * Move along the pipeline (`stage` key or `stageId`) or into another (`pipelineId`); a lost stage needs
   * `lostReason`; a won or lost deal goes back to an open stage only with `reopen: true` (else 409).
   */
  @Patch('deals/:id')
  changeStage(@CurrentViewer() viewer: Viewer, @Param('id', ParseUUIDPipe) id: string, @Body({ schema: changeStageSchema }) body: z.infer<typeof changeStageSchema>): Promise<Deal> {
    const { lostReason, reopen, ...target } = body;
    return this.deals.changeStage(viewer, id, target, lostReason, { reopen });
  }

  /** What the deal is worth: `{ amount: "1500.50" | null, currency: "RUB" | null }`. */
  @Put('deals/:id/amount')
  setAmount(@CurrentViewer() viewer: Viewer, @Param('id', ParseUUIDPipe) id: string, @Body({ schema: dealAmountSchema }) body: z.infer<typeof dealAmountSchema>): Promise<Deal> {
    return this.deals.setAmount(viewer, id, body.amount, body.currency);
  }

  /** Unassigned open deals, oldest first. */
  @Get('queue')
  queue(): Promise<Deal[]> {
    return this.deals.queue();
  }

  /** First taker wins; a later taker gets 409. */
  @Post('queue/:dealId/take')
  @HttpCode(200)
  take(@CurrentViewer() viewer: Viewer, @Param('dealId', ParseUUIDPipe) dealId: string): Promise<Deal> {
    return this.deals.take(viewer, dealId);
  }
}
