import { InboxService, LostReasonsService, type Viewer } from '@leadline/core';
import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { CurrentViewer, RequireRole } from '../auth/auth.decorators';
import { lostReasonSchema, lostReasonUpdateSchema } from './schemas';
import type { InboxView, LostReason } from '@leadline/contracts';

@ApiTags('inbox')
@Controller('api')
export class InboxController {
  constructor(
    private readonly inbox: InboxService,
    private readonly lostReasons: LostReasonsService,
  ) {}

  /**
   * The callback cockpit in one read: `{ queue, mine, overdue, now }`. Each item has the contact, its
   * phone (E.164 and formatted), channel and source, the first words of the lead, the owner and the open
   * task with its due time. "Mine" is what the viewer owns, admins included; admins see everyone's overdue.
   */
  @Get('inbox')
  view(@CurrentViewer() viewer: Viewer): Promise<InboxView> {
    return this.inbox.view(viewer);
  }

  /** The reasons offered when a deal is lost (free text is accepted too). */
  @Get('lost-reasons')
  listLostReasons(): Promise<LostReason[]> {
    return this.lostReasons.list();
  }

  @Post('lost-reasons')
  @RequireRole('admin')
  createLostReason(@Body({ schema: lostReasonSchema }) body: z.infer<typeof lostReasonSchema>): Promise<LostReason> {
    return this.lostReasons.create(body.label);
  }

  @Patch('lost-reasons/:id')
  @RequireRole('admin')
  updateLostReason(@Param('id', ParseUUIDPipe) id: string, @Body({ schema: lostReasonUpdateSchema }) body: z.infer<typeof lostReasonUpdateSchema>): Promise<LostReason> {
    return this.lostReasons.update(id, body);
  }

  @Delete('lost-reasons/:id')
  @HttpCode(204)
  @RequireRole('admin')
  removeLostReason(@Param('id', ParseUUIDPipe) id: string) {
    return this.lostReasons.remove(id);
  }
}
