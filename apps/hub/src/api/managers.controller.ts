import { ManagersService } from '@leadline/core';
import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { RequireRole } from '../auth/auth.decorators';
import { hashPassword } from '../auth/password';
import { SessionsService } from '../auth/sessions.service';
import { createManagerSchema, updateManagerSchema } from './schemas';

@ApiTags('managers')
@RequireRole('admin')
@Controller('api/managers')
export class ManagersController {
  constructor(
    private readonly managers: ManagersService,
    private readonly sessions: SessionsService,
  ) {}

  @Get()
  list() {
    return this.managers.list();
  }

  @Get(':id')
  get(@Param('id', ParseUUIDPipe) id: string) {
    return this.managers.get(id);
  }

  @Post()
  async create(@Body({ schema: createManagerSchema }) body: z.infer<typeof createManagerSchema>) {
    const { password, ...rest } = body;
    return this.managers.create({ ...rest, passwordHash: password ? await hashPassword(password) : undefined });
  }

  @Patch(':id')
  async update(@Param('id', ParseUUIDPipe) id: string, @Body({ schema: updateManagerSchema }) body: z.infer<typeof updateManagerSchema>) {
    const { password, ...rest } = body;
    const updated = await this.managers.update(id, { ...rest, ...(password ? { passwordHash: await hashPassword(password) } : {}) });
    // A reset password (a leaked one, a manager who left) ends the logins made with the old one.
    if (password) await this.sessions.endAllOf(id);
    return updated;
  }

  /** Deactivates: history keeps the manager's name; they can no longer log in or receive leads. */
  @Delete(':id')
  @HttpCode(200)
  deactivate(@Param('id', ParseUUIDPipe) id: string) {
    return this.managers.update(id, { active: false });
  }
}
