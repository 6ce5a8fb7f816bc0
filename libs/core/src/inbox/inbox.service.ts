import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { isAdmin, type Viewer } from '../access/viewer';
import { Clock } from '../core-options';
import { formatPhone } from '../identity/phone-format';
import { queryRows } from '../database/query-rows';
// The wire shape is defined once, in libs/contracts: the view this service returns is that type.
import type * as Wire from '@leadline/contracts';

/** One lead as the callback cockpit shows it: who, how to reach them, what they wrote, and the clock. */
export type InboxItem = Wire.InboxItem;

export type InboxView = Wire.InboxView;

const EXCERPT_CHARS = 140;
const LIST_LIMIT = 100;

interface InboxRow {
  deal_id: string;
  contact_id: string;
  contact_name: string | null;
  phone: string | null;
  email: string | null;
  source_channel: string;
  source: Record<string, unknown> | null;
  lead_message: string | null;
  lead_subject: string | null;
  owner_id: string | null;
  owner_name: string | null;
  task_id: string | null;
  task_kind: string | null;
  task_title: string | null;
  task_due_at: Date | string | null;
  task_assignee_id: string | null;
  task_assignee_name: string | null;
  created_at: Date | string;
}

/**
 * The manager's day in one read: the unassigned queue, my leads waiting for a callback, and overdue
 * tasks, each row carrying what a manager needs to act without opening the contact.
 */
@Injectable()
export class InboxService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly clock: Clock,
  ) {}

  async view(viewer: Viewer): Promise<InboxView> {
    const now = this.clock.now();
    const [queue, mine, overdue] = await Promise.all([
      this.rows(`d.owner_id IS NULL AND d.closed_at IS NULL`, [], 'd.created_at'),
      // "My" is what I own, for admins too; a lead leaves the list once answered (first response) and its callback is done.
      this.rows(`d.owner_id = $1 AND d.closed_at IS NULL AND (d.first_response_at IS NULL OR t.id IS NOT NULL)`, [viewer.id], 'COALESCE(t.due_at, d.created_at)'),
      this.overdueRows(viewer, now),
    ]);
    return { queue, mine, overdue, now: now.toISOString() };
  }

  private async rows(where: string, params: unknown[], order: string): Promise<InboxItem[]> {
    params.push(LIST_LIMIT);
    const rows = await queryRows<InboxRow>(
      this.db,
      `${SELECT}
         FROM deal d
         JOIN contact c ON c.id = d.contact_id
         LEFT JOIN manager o ON o.id = d.owner_id
         LEFT JOIN LATERAL (SELECT * FROM task WHERE deal_id = d.id AND status = 'open' ORDER BY (kind = 'callback') DESC, due_at LIMIT 1) t ON true
         LEFT JOIN manager ta ON ta.id = t.assignee_id
         ${LATERALS}
        WHERE ${where} ORDER BY ${order}, d.id LIMIT $${params.length}`,
      params,
    );
    return rows.map(toItem);
  }

  private async overdueRows(viewer: Viewer, now: Date): Promise<InboxItem[]> {
    const params: unknown[] = [now];
    let scope = '';
    if (!isAdmin(viewer)) {
      params.push(viewer.id);
      scope = ` AND t.assignee_id = $${params.length}`;
    }
    params.push(LIST_LIMIT);
    const rows = await queryRows<InboxRow>(
      this.db,
      `${SELECT}
         FROM task t
         JOIN deal d ON d.id = t.deal_id
         JOIN contact c ON c.id = t.contact_id
         LEFT JOIN manager o ON o.id = d.owner_id
         LEFT JOIN manager ta ON ta.id = t.assignee_id
         ${LATERALS}
        WHERE t.status = 'open' AND t.due_at < $1${scope} ORDER BY t.due_at, t.id LIMIT $${params.length}`,
      params,
    );
    return rows.map(toItem);
  }
}

const SELECT = `SELECT d.id AS deal_id, c.id AS contact_id, c.name AS contact_name, ph.value AS phone, em.value AS email,
       d.source_channel, d.source, lead.message AS lead_message, lead.subject AS lead_subject,
       d.owner_id, o.name AS owner_name, t.id AS task_id, t.kind AS task_kind, t.title AS task_title, t.due_at AS task_due_at,
       t.assignee_id AS task_assignee_id, ta.name AS task_assignee_name, d.created_at`;

// The contact's first phone and email, and the deal's first lead message (or first inbound message).
const LATERALS = `
         LEFT JOIN LATERAL (SELECT value FROM contact_identity WHERE contact_id = c.id AND kind = 'phone' ORDER BY created_at, id LIMIT 1) ph ON true
         LEFT JOIN LATERAL (SELECT value FROM contact_identity WHERE contact_id = c.id AND kind = 'email' ORDER BY created_at, id LIMIT 1) em ON true
         LEFT JOIN LATERAL (SELECT payload->>'message' AS message, payload->>'subject' AS subject FROM activity
                             WHERE contact_id = d.contact_id AND deal_id = d.id AND kind IN ('lead', 'repeat_lead', 'message_in')
                             ORDER BY occurred_at, id LIMIT 1) lead ON true`;

function toItem(r: InboxRow): InboxItem {
  return {
    dealId: r.deal_id,
    contactId: r.contact_id,
    contactName: r.contact_name,
    phone: r.phone,
    phoneDisplay: r.phone ? formatPhone(r.phone) : null,
    email: r.email,
    sourceChannel: r.source_channel,
    source: sourceLabel(r.source ?? {}),
    excerpt: excerpt(r.lead_message ?? r.lead_subject),
    ownerId: r.owner_id,
    ownerName: r.owner_name,
    task: r.task_id
      ? {
          id: r.task_id,
          kind: r.task_kind!,
          title: r.task_title!,
          dueAt: new Date(r.task_due_at!).toISOString(),
          assigneeId: r.task_assignee_id,
          assigneeName: r.task_assignee_name,
        }
      : null,
    createdAt: new Date(r.created_at).toISOString(),
  };
}

/** Where the lead came from, in one short label: UTM source, else the referring site, else the form. */
export function sourceLabel(source: Record<string, unknown>): string | null {
  const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : null);
  const nested = source.utm && typeof source.utm === 'object' ? (source.utm as Record<string, unknown>) : {};
  const utm = text(nested.source) ?? text(source.utm_source);
  if (utm) {
    const medium = text(nested.medium) ?? text(source.utm_medium);
    return medium ? `${utm} / ${medium}` : utm;
  }
  const referrer = text(source.referrer);
  if (referrer) {
    try {
      return new URL(referrer).host || referrer;
    } catch {
      return referrer;
    }
  }
  return text(source.formName) ?? null;
}

/** The first words of a message on one line, cut at a word boundary. */
export function excerpt(text: string | null): string | null {
  if (!text) return null;
  const flat = text.replace(/\s+/g, ' ').trim();
  if (!flat) return null;
  if (flat.length <= EXCERPT_CHARS) return flat;
  const cut = flat.slice(0, EXCERPT_CHARS);
  const space = cut.lastIndexOf(' ');
  return `${(space > EXCERPT_CHARS / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
