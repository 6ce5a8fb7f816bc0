import type { Viewer } from '@leadline/core';
import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { CurrentViewer } from '../auth/auth.decorators';
import { NotificationsService } from '../notifications/notifications.service';
import { listNotificationsQuery, markNotificationsReadSchema } from './schemas';
import type { Notification, NotificationsRead } from '@leadline/contracts';
import { asJson } from './as-json';

@ApiTags('notifications')
@Controller('api/notifications')
export class NotificationsController {
  constructor(private readonly notifications: NotificationsService) {}

  /** My notifications, newest first (`?unread=true` for the unread ones). */
  @Get()
  list(@CurrentViewer() viewer: Viewer, @Query({ schema: listNotificationsQuery }) q: z.infer<typeof listNotificationsQuery>): Promise<Notification[]> {
    return asJson(this.notifications.list(viewer, q));
  }

  /** Marks my notices read in one request: `{ ids }`, or all of them without ids → `{ read: n }`. */
  @Post('read')
  @HttpCode(200)
  readMany(@CurrentViewer() viewer: Viewer, @Body({ schema: markNotificationsReadSchema }) body: z.infer<typeof markNotificationsReadSchema>): Promise<NotificationsRead> {
    return this.notifications.markManyRead(viewer, body.ids ?? null);
  }

  @Post(':id/read')
  @HttpCode(200)
  read(@CurrentViewer() viewer: Viewer, @Param('id', ParseUUIDPipe) id: string) {
    return this.notifications.markRead(viewer, id);
  }
}
