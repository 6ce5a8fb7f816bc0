import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { Viewer } from '../access/viewer';
import { touchContact } from '../contacts/contact-activity';
import { ContactsService, toTimelineEntry, type TimelineEntry } from '../contacts/contacts.service';
import { Clock } from '../core-options';
import { TimelineService } from '../timeline/timeline.service';
import { queryRows } from '../database/query-rows';
import type { ActivityRow } from '../contacts/contact-queries';

/** Notes for the team on a contact's timeline. */
@Injectable()
export class NotesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly contacts: ContactsService,
    private readonly timeline: TimelineService,
    private readonly clock: Clock,
  ) {}

  /**
   * A note on the contact's timeline (on its open deal, if any); it counts as activity on the contact.
   * Another manager's contact → 404.
   */
  async add(viewer: Viewer, contactId: string, text: string): Promise<TimelineEntry> {
    const contact = await this.contacts.get(viewer, contactId);
    // Newest first: the first open one is the deal the note belongs to.
    const openDeal = (contact.deals as Array<{ id: string; closedAt: string | null }>).find((d) => !d.closedAt);
    const at = this.clock.now();
    const id = randomUUID();
    await this.db.transaction(async (em) => {
      await this.timeline.record(em, { id, contactId, dealId: openDeal?.id ?? null, kind: 'note', actorId: viewer.id, occurredAt: at, payload: { text } });
      await touchContact(em, contactId, at);
    });
    const [row] = await queryRows<ActivityRow>(this.db, `SELECT id, kind, channel, deal_id, actor_id, occurred_at, payload FROM activity WHERE id = $1`, [id]);
    return toTimelineEntry(row);
  }
}
