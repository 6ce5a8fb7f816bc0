import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Readable } from 'node:stream';
import { DataSource } from 'typeorm';
import { isAdmin, type Viewer } from '../access/viewer';
import { IdentityKindRegistry } from '../channels/identity-kinds';
import { queryRows } from '../database/query-rows';
import { csvLine } from '../reports/csv';

const PAGE = 2000;

const DEAL_HEADER = [
  'id', 'title', 'contact_id', 'contact_name', 'stage', 'amount', 'owner_email', 'source_channel', 'utm_source', 'utm_campaign',
  'first_response_at', 'closed_at', 'created_at',
];

/**
 * Contacts and deals as CSV, streamed page by page (keyset pages of 2,000 rows), so an export of any size
 * never sits in memory. UTF-8 with a BOM so Excel shows Cyrillic right. Scoped like the lists: a manager
 * exports the contacts and deals they may see. Contacts get a column per identity kind a channel
 * registered (IdentityKindRegistry: 'telegram'), after phones and emails.
 */
@Injectable()
export class ExportService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly identityKinds: IdentityKindRegistry,
  ) {}

  private contactHeader(channelKinds: string[]): string[] {
    return ['id', 'name', 'phones', 'emails', ...channelKinds, 'company', 'owner_email', 'tags', 'created_at', 'last_activity_at'];
  }

  contactsCsv(viewer: Viewer): Readable {
    return Readable.from(this.pages(viewer, 'contacts'));
  }

  dealsCsv(viewer: Viewer): Readable {
    return Readable.from(this.pages(viewer, 'deals'));
  }

  private async *pages(viewer: Viewer, what: 'contacts' | 'deals'): AsyncGenerator<string> {
    const channelKinds = this.identityKinds.list().map((k) => k.kind);
    yield '\ufeff' + csvLine(what === 'contacts' ? this.contactHeader(channelKinds) : DEAL_HEADER);
    let after: string | null = null;
    for (;;) {
      const params: unknown[] = [after ?? '00000000-0000-0000-0000-000000000000', PAGE];
      let scope = 'TRUE';
      if (!isAdmin(viewer)) {
        params.push(viewer.id);
        scope =
          what === 'contacts'
            ? `(c.owner_id = $3 OR EXISTS (SELECT 1 FROM deal d WHERE d.contact_id = c.id AND d.owner_id = $3))`
            : `d.owner_id = $3`;
      }
      const rows: ContactExportRow[] | DealExportRow[] =
        what === 'contacts'
          ? await queryRows<ContactExportRow>(
              this.db,
              `SELECT c.id, c.name, co.name AS company, m.email AS owner_email, c.tags, c.created_at, c.last_activity_at,
                      (SELECT string_agg(i.value, ' ' ORDER BY i.created_at) FROM contact_identity i WHERE i.contact_id = c.id AND i.kind = 'phone') AS phones,
                      (SELECT string_agg(i.value, ' ' ORDER BY i.created_at) FROM contact_identity i WHERE i.contact_id = c.id AND i.kind = 'email') AS emails,
                      (SELECT COALESCE(jsonb_object_agg(k.kind, k.vals), '{}') FROM (
                         SELECT i.kind, string_agg(i.value, ' ' ORDER BY i.created_at) AS vals FROM contact_identity i
                          WHERE i.contact_id = c.id AND i.kind = ANY($${params.length + 1}::text[]) GROUP BY i.kind) k) AS channel_identities
                 FROM contact c LEFT JOIN company co ON co.id = c.company_id LEFT JOIN manager m ON m.id = c.owner_id
                WHERE c.id > $1 AND c.merged_into_id IS NULL AND ${scope}
                ORDER BY c.id LIMIT $2`,
              [...params, channelKinds],
            )
          : await queryRows<DealExportRow>(
              this.db,
              `SELECT d.id, d.title, d.contact_id, c.name AS contact_name, d.stage, d.amount, m.email AS owner_email, d.source_channel,
                      d.source->'utm'->>'source' AS utm_source, d.source->'utm'->>'campaign' AS utm_campaign, d.first_response_at, d.closed_at, d.created_at
                 FROM deal d JOIN contact c ON c.id = d.contact_id LEFT JOIN manager m ON m.id = d.owner_id
                WHERE d.id > $1 AND ${scope}
                ORDER BY d.id LIMIT $2`,
              params,
            );
      if (!rows.length) return;
      yield rows.map((r) => exportLine(r, channelKinds)).join('');
      if (rows.length < PAGE) return;
      after = rows[rows.length - 1].id;
    }
  }
}

/** jsonb comes back parsed on node-postgres and as text from some drivers. */
function channelValues(v: ContactExportRow['channel_identities']): Record<string, string> {
  const parsed: unknown = typeof v === 'string' ? JSON.parse(v) : v;
  return parsed && typeof parsed === 'object' ? (parsed as Record<string, string>) : {};
}

/** A contact as the export selects it (identities joined with spaces, per kind). */
interface ContactExportRow {
  id: string;
  name: string | null;
  company: string | null;
  owner_email: string | null;
  tags: string[] | null;
  created_at: Date | string;
  last_activity_at: Date | string;
  phones: string | null;
  emails: string | null;
  /** Values per channel identity kind: jsonb, parsed on node-postgres and text from some drivers. */
  channel_identities: Record<string, string> | string | null;
}

/** A deal as the export selects it. */
interface DealExportRow {
  id: string;
  title: string | null;
  contact_id: string;
  contact_name: string | null;
  stage: string;
  amount: string | null;
  owner_email: string | null;
  source_channel: string;
  utm_source: string | null;
  utm_campaign: string | null;
  first_response_at: Date | string | null;
  closed_at: Date | string | null;
  created_at: Date | string;
}

function exportLine(r: ContactExportRow | DealExportRow, channelKinds: string[]): string {
  const iso = (v: Date | string | null) => (v ? new Date(v).toISOString() : null);
  if ('phones' in r) {
    const channels = channelValues(r.channel_identities);
    return csvLine([
      r.id, r.name, r.phones, r.emails, ...channelKinds.map((k) => channels[k] ?? null),
      r.company, r.owner_email, (r.tags ?? []).join(', '), iso(r.created_at), iso(r.last_activity_at),
    ]);
  }
  return csvLine([
    r.id, r.title, r.contact_id, r.contact_name, r.stage, r.amount, r.owner_email, r.source_channel, r.utm_source, r.utm_campaign,
    iso(r.first_response_at), iso(r.closed_at), iso(r.created_at),
  ]);
}
