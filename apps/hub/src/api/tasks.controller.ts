import { TasksService, type Viewer } from '@leadline/core';
import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { CurrentViewer } from '../auth/auth.decorators';
import { completeTaskSchema, listTasksQuery, snoozeSchema } from './schemas';
import type { Task } from '@leadline/contracts';

@ApiTags('tasks')
@Controller('api/tasks')
export class TasksController {
  constructor(private readonly tasks: TasksService) {}

  /** Open tasks due soonest first (`?overdue=true`, `?mine=true`, `?status=done`, `?contactId=`). */
  @Get()
  list(@CurrentViewer() viewer: Viewer, @Query({ schema: listTasksQuery }) q: z.infer<typeof listTasksQuery>): Promise<Task[]> {
    return this.tasks.list(viewer, q);
  }

  @Post(':id/complete')
  @HttpCode(200)
  /** Done by hand, optionally with what came of it: `{ result: reached | no_answer | wrong_number | call_later }`. */
  complete(@CurrentViewer() viewer: Viewer, @Param('id', ParseUUIDPipe) id: string, @Body({ schema: completeTaskSchema }) body: z.infer<typeof completeTaskSchema>) {
    return this.tasks.complete(viewer, id, body?.result ?? null);
  }

  /** Moves an open task's due time (`{ until }`, ISO 8601, in the future); its SLA clocks start over. */
  @Post(':id/snooze')
  @HttpCode(200)
  snooze(@CurrentViewer() viewer: Viewer, @Param('id', ParseUUIDPipe) id: string, @Body({ schema: snoozeSchema }) body: z.infer<typeof snoozeSchema>) {
    return this.tasks.snooze(viewer, id, body.until);
  }
}
