import { EmailWatchers, MailboxesService } from '@leadline/channels';
import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { RequireRole } from '../auth/auth.decorators';
import { createMailboxSchema, updateMailboxSchema } from './schemas';

/** Mailboxes watched for leads and used to reply. Passwords are write-only: never in a response. */
@ApiTags('email')
@RequireRole('admin')
@Controller('api/mailboxes')
export class MailboxesController {
  constructor(
    private readonly mailboxes: MailboxesService,
    private readonly watchers: EmailWatchers,
  ) {}

  @Get()
  list() {
    return this.mailboxes.list();
  }

  @Get(':id')
  get(@Param('id', ParseUUIDPipe) id: string) {
    return this.mailboxes.get(id);
  }

  @Post()
  async create(@Body({ schema: createMailboxSchema }) body: z.infer<typeof createMailboxSchema>) {
    const created = await this.mailboxes.create({
      name: body.name,
      address: body.address,
      imap: { folder: 'INBOX', tls: true, port: 0, ...body.imap },
      smtp: body.smtp ? { tls: true, port: 0, user: null, password: null, ...body.smtp } : null,
      formSenders: body.formSenders ?? [],
      enabled: body.enabled ?? true,
    });
    await this.watchers.reconcile();
    return created;
  }

  @Patch(':id')
  async update(@Param('id', ParseUUIDPipe) id: string, @Body({ schema: updateMailboxSchema }) body: z.infer<typeof updateMailboxSchema>) {
    const updated = await this.mailboxes.update(id, body);
    await this.watchers.reconcile();
    return updated;
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id', ParseUUIDPipe) id: string) {
    await this.mailboxes.remove(id);
    await this.watchers.reconcile();
  }
}
