import { WebFormsService } from '@leadline/core';
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { RequireRole } from '../auth/auth.decorators';
import type { HubConfig } from '../config/config.schema';
import { HUB_CONFIG } from '../config/load-config';
import { createFormSchema, updateFormSchema } from './schemas';

@ApiTags('forms')
@RequireRole('admin')
@Controller('api/forms')
export class FormsController {
  constructor(
    private readonly forms: WebFormsService,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  private withEndpoint<T extends { key: string }>(form: T) {
    return { ...form, endpoint: `${this.config.PUBLIC_URL}/api/inbound/forms/${form.key}` };
  }

  @Get()
  async list() {
    return (await this.forms.list()).map((f) => this.withEndpoint(f));
  }

  @Get(':id')
  async get(@Param('id', ParseUUIDPipe) id: string) {
    return this.withEndpoint(await this.forms.get(id));
  }

  @Post()
  async create(@Body({ schema: createFormSchema }) body: z.infer<typeof createFormSchema>) {
    return this.withEndpoint(await this.forms.create(body));
  }

  @Patch(':id')
  async update(@Param('id', ParseUUIDPipe) id: string, @Body({ schema: updateFormSchema }) body: z.infer<typeof updateFormSchema>) {
    return this.withEndpoint(await this.forms.update(id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@Param('id', ParseUUIDPipe) id: string) {
    return this.forms.remove(id);
  }
}
