import { TasksService, type Viewer } from '@leadline/core';
import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { CurrentViewer } from '../auth/auth.decorators';
import { listTasksQuery } from './schemas';

@ApiTags('tasks')
@Controller('api/tasks')
export class TasksController {
  constructor(private readonly tasks: TasksService) {}

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
}
