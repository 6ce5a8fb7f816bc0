import { ManagersService, type Viewer } from '@leadline/core';
import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { CurrentViewer, RequireRole } from '../auth/auth.decorators';
import { tokenOf } from '../auth/auth.guard';
import { SessionsService } from '../auth/sessions.service';
import { hashPassword } from '../auth/password';
import { createManagerSchema, updateManagerSchema } from './schemas';
import type { Manager } from '@leadline/contracts';
import { asJson } from './as-json';

@ApiTags('managers')
@RequireRole('admin')
@Controller('api/managers')
export class ManagersController {
  constructor(
    private readonly managers: ManagersService,
    private readonly sessions: SessionsService,
  ) {}

  @Get()
  list(): Promise<Manager[]> {
    return asJson(this.managers.list());
  }

  @Get(':id')
  get(@Param('id', ParseUUIDPipe) id: string): Promise<Manager> {
    return asJson(this.managers.get(id));
  }

  @Post()
  async create(@Body({ schema: createManagerSchema }) body: z.infer<typeof createManagerSchema>) {
    const { password, ...rest } = body;
    return this.managers.create({ ...rest, passwordHash: password ? await hashPassword(password) : undefined });
  }

  /** A new password or deactivation ends the manager's sessions (an admin changing their own keeps this one). */
  @Patch(':id')
  async update(
    @CurrentViewer() viewer: Viewer,
    @Param('id', ParseUUIDPipe) id: string,
    @Body({ schema: updateManagerSchema }) body: z.infer<typeof updateManagerSchema>,
    @Req() req: FastifyRequest,
  ) {
    const { password, ...rest } = body;
    const updated = await this.managers.update(id, { ...rest, ...(password ? { passwordHash: await hashPassword(password) } : {}) });
    if (password || rest.active === false) await this.sessions.endAll(id, id === viewer.id && rest.active !== false ? tokenOf(req) : null);
    return updated;
  }

  /** Deactivates: history keeps the manager's name; they can no longer log in or receive leads, and their sessions end. */
  @Delete(':id')
  @HttpCode(200)
  async deactivate(@Param('id', ParseUUIDPipe) id: string) {
    const updated = await this.managers.update(id, { active: false });
    await this.sessions.endAll(id);
    return updated;
  }
}
