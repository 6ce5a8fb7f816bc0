import { ContactsService, ConversationsService, type Viewer } from '@leadline/core';
import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { CurrentViewer, RequireRole } from '../auth/auth.decorators';
import { BulkActionsService } from './bulk-actions.service';
import { bulkContactsSchema, listContactsQuery, newTaskSchema, noteSchema, pageQuery, reassignSchema, sendMessageSchema } from './schemas';
import { WorkdayService } from './workday.service';

@ApiTags('contacts')
@Controller('api/contacts')
export class ContactsController {
  constructor(
    private readonly contacts: ContactsService,
    private readonly conversations: ConversationsService,
    private readonly workday: WorkdayService,
    private readonly bulk: BulkActionsService,
  ) {}

  /** Search by name, phone in any format, or email, with filters; latest activity first unless `sort`/`order` say otherwise. */
  @Get()
  list(@CurrentViewer() viewer: Viewer, @Query({ schema: listContactsQuery }) q: z.infer<typeof listContactsQuery>) {
    return this.contacts.list(viewer, q);
  }

  /** One action on several contacts (`{ ids, action: { type: 'assign' | 'tag', … } }`) → 200 with per-id outcomes. */
  @Post('bulk')
  @HttpCode(200)
  bulkAction(@CurrentViewer() viewer: Viewer, @Body({ schema: bulkContactsSchema }) body: z.infer<typeof bulkContactsSchema>) {
    return this.bulk.forContacts(viewer, body.ids, body.action);
  }

  @Get(':id')
  get(@CurrentViewer() viewer: Viewer, @Param('id', ParseUUIDPipe) id: string) {
    return this.contacts.get(viewer, id);
  }

  /** The unified timeline, newest first, cursor-paginated. */
  @Get(':id/timeline')
  timeline(@CurrentViewer() viewer: Viewer, @Param('id', ParseUUIDPipe) id: string, @Query({ schema: pageQuery }) q: z.infer<typeof pageQuery>) {
    return this.contacts.timeline(viewer, id, q);
  }

  /** A note for the team on the contact's timeline → 201 with the timeline entry. */
  @Post(':id/notes')
  addNote(@CurrentViewer() viewer: Viewer, @Param('id', ParseUUIDPipe) id: string, @Body({ schema: noteSchema }) body: z.infer<typeof noteSchema>) {
    return this.workday.addNote(viewer, id, body.text);
  }

  /** A follow-up task on the contact's open deal (`{ title, dueAt }`) → 201 with the task. */
  @Post(':id/tasks')
  addTask(@CurrentViewer() viewer: Viewer, @Param('id', ParseUUIDPipe) id: string, @Body({ schema: newTaskSchema }) body: z.infer<typeof newTaskSchema>) {
    return this.workday.addTask(viewer, id, body);
  }

  /** Admins hand a contact, its open deals and their open tasks to another manager. */
  @Post(':id/owner')
  @HttpCode(200)
  @RequireRole('admin')
  reassign(@CurrentViewer() viewer: Viewer, @Param('id', ParseUUIDPipe) id: string, @Body({ schema: reassignSchema }) body: z.infer<typeof reassignSchema>) {
    return this.workday.reassign(viewer, id, body.managerId);
  }

  /**
   * Writes to the client through a channel that can reply (default: the one they last used; see
   * GET /api/channels). Queued through the outbox; counts as first response and completes the open
   * callback task once delivered. Unknown channel → 400; a channel refusing now (reply window) → 409.
   */
  @Post(':id/messages')
  sendMessage(@CurrentViewer() viewer: Viewer, @Param('id', ParseUUIDPipe) id: string, @Body({ schema: sendMessageSchema }) body: z.infer<typeof sendMessageSchema>) {
    return this.conversations.send(viewer, { contactId: id, channel: body.channel, text: body.text, subject: body.subject, template: body.template });
  }

  /** Sends a message that failed again (its author or anyone who sees the contact) → `{ activityId, status: 'queued' }`. */
  @Post(':id/messages/:activityId/retry')
  @HttpCode(200)
  retryMessage(@CurrentViewer() viewer: Viewer, @Param('id', ParseUUIDPipe) id: string, @Param('activityId', ParseUUIDPipe) activityId: string) {
    return this.conversations.retry(viewer, id, activityId);
  }
}
