import { TasksService, type Viewer } from '@leadline/core';
import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { CurrentViewer } from '../auth/auth.decorators';
import { listTasksQuery, snoozeSchema } from './schemas';
import { WorkdayService } from './workday.service';

@ApiTags('tasks')
@Controller('api/tasks')
export class TasksController {
  constructor(
    private readonly tasks: TasksService,
    private readonly workday: WorkdayService,
  ) {}

  /** Open tasks due soonest first (`?overdue=true`, `?mine=true`, `?status=done`). */
  @Get()
  list(@CurrentViewer() viewer: Viewer, @Query({ schema: listTasksQuery }) q: z.infer<typeof listTasksQuery>) {
    return this.tasks.list(viewer, q);
  }

  @Post(':id/complete')
  @HttpCode(200)
  complete(@CurrentViewer() viewer: Viewer, @Param('id', ParseUUIDPipe) id: string) {
    return this.tasks.complete(viewer, id);
  }

  /** Moves an open task's due time (`{ until }`, ISO 8601, in the future); its SLA clocks start over. */
  @Post(':id/snooze')
  @HttpCode(200)
  snooze(@CurrentViewer() viewer: Viewer, @Param('id', ParseUUIDPipe) id: string, @Body({ schema: snoozeSchema }) body: z.infer<typeof snoozeSchema>) {
    return this.workday.snooze(viewer, id, body.until);
  }
}
