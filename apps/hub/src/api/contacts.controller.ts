import { ContactsService, type Viewer } from '@leadline/core';
import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { CurrentViewer } from '../auth/auth.decorators';
import { listContactsQuery, pageQuery } from './schemas';

@ApiTags('contacts')
@Controller('api/contacts')
export class ContactsController {
  constructor(private readonly contacts: ContactsService) {}

  /** Search by name, phone in any format, or email; newest activity first. */
  @Get()
  list(@CurrentViewer() viewer: Viewer, @Query({ schema: listContactsQuery }) q: z.infer<typeof listContactsQuery>) {
    return this.contacts.list(viewer, q);
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
}
