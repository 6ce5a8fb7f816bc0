/**
 * How an HTTP route maps to the audit log: which action it is and which rows show its effect.
 * Every authenticated POST/PUT/PATCH/DELETE is audited unless listed in NOT_AUDITED; GET routes only
 * when they hand out data in bulk (exports). Routes nobody listed here still get an entry with a
 * generic action (`<collection>.<verb>`), so a route added later is never silently missed.
 */

/** A set of rows to snapshot before and after the write: `table` rows where `column` = id. */
export interface SnapshotTarget {
  table: string;
  column: string;
  id: string;
  /** Several rows (e.g. a pipeline's stages), as an array. */
  many?: boolean;
}

export interface AuditedRoute {
  action: string;
  entityType: string;
  /** What to read before the handler (null: nothing existed yet or nothing identifiable). */
  target: SnapshotTarget | null;
  /** When the row only exists after the handler (a create): read `table` at the id the response carries. */
  createdTable: string | null;
}

/** Writes that are not admin actions worth a log line, or that write their own entry (personal data). */
const NOT_AUDITED = new Set([
  'POST /api/auth/logout',
  'POST /api/notifications/:id/read',
  'POST /api/import/inspect',
  'POST /api/import/preview',
  'GET /api/contacts/:id/personal-data',
  'DELETE /api/contacts/:id/personal-data',
]);

/** Read-only routes that still belong in the log: bulk exports. */
const AUDITED_READS: Record<string, string> = {
  'GET /api/export/contacts.csv': 'export.contacts',
  'GET /api/export/deals.csv': 'export.deals',
};

/** URL collection → table and entity name. */
const COLLECTIONS: Record<string, { table: string; entity: string }> = {
  managers: { table: 'manager', entity: 'manager' },
  forms: { table: 'web_form', entity: 'form' },
  mailboxes: { table: 'mailbox', entity: 'mailbox' },
  pipelines: { table: 'pipeline', entity: 'pipeline' },
  stages: { table: 'stage', entity: 'stage' },
  'stage-rules': { table: 'stage_rule', entity: 'stage_rule' },
  companies: { table: 'company', entity: 'company' },
  contacts: { table: 'contact', entity: 'contact' },
  deals: { table: 'deal', entity: 'deal' },
  queue: { table: 'deal', entity: 'deal' },
  tasks: { table: 'task', entity: 'task' },
  outbox: { table: 'outbox', entity: 'outbox_message' },
  calls: { table: 'call', entity: 'call' },
  'inbound/failed': { table: 'inbound_receipt', entity: 'inbound_receipt' },
};

/** Routes whose action name or rows differ from the generic rule. */
const SPECIAL: Record<string, (params: Record<string, string>) => Partial<AuditedRoute>> = {
  'POST /api/contacts/:id/owner': () => ({ action: 'contact.reassign' }),
  'POST /api/queue/:dealId/take': () => ({ action: 'deal.take' }),
  'DELETE /api/managers/:id': () => ({ action: 'manager.deactivate' }),
  'POST /api/import': () => ({ action: 'import.run', entityType: 'import', target: null }),
  'POST /api/pipelines/:id/stages': () => ({ action: 'stage.create', entityType: 'stage', target: null, createdTable: 'stage' }),
  'PUT /api/pipelines/:id/stages/order': (p) => ({ action: 'pipeline.reorder_stages', target: { table: 'stage', column: 'pipeline_id', id: p.id, many: true } }),
  'POST /api/stages/:id/rules': () => ({ action: 'stage_rule.create', entityType: 'stage_rule', target: null, createdTable: 'stage_rule' }),
  'POST /api/contacts/:id/notes': () => ({ action: 'contact.note', entityType: 'activity', target: null, createdTable: 'activity' }),
  'POST /api/contacts/:id/messages': () => ({ action: 'contact.message', entityType: 'activity', target: null, createdTable: 'activity' }),
  'POST /api/contacts/:id/tasks': () => ({ action: 'task.create', entityType: 'task', target: null, createdTable: 'task' }),
  'POST /api/companies/:id/contacts': () => ({ action: 'company.link_contact' }),
  'DELETE /api/companies/:id/contacts/:contactId': () => ({ action: 'company.unlink_contact' }),
  'POST /api/contacts/:id/company-suggestion/accept': () => ({ action: 'contact.accept_company' }),
  'POST /api/managers/:id/telegram-link': () => ({ action: 'manager.telegram_link' }),
};

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The audit treatment of one request, or null when it is not audited. */
export function auditedRoute(method: string, routeUrl: string | undefined, params: Record<string, string>): AuditedRoute | null {
  if (!routeUrl?.startsWith('/api/')) return null;
  const key = `${method} ${routeUrl}`;
  if (NOT_AUDITED.has(key)) return null;
  if (AUDITED_READS[key]) return { action: AUDITED_READS[key], entityType: 'export', target: null, createdTable: null };
  if (!WRITES.has(method)) return null;
  // Public routes (provider webhooks, form posts, login) have no logged-in actor: the interceptor skips them.
  const rest = routeUrl.slice('/api/'.length);
  const collectionKey = Object.keys(COLLECTIONS).find((c) => rest === c || rest.startsWith(`${c}/`)) ?? rest.split('/')[0];
  const known = COLLECTIONS[collectionKey];
  const tail = rest.slice(collectionKey.length).split('/').filter(Boolean);
  const idParam = tail[0]?.startsWith(':') ? tail[0].slice(1) : null;
  const id = idParam ? params[idParam] : undefined;
  const actionWord = tail.slice(idParam ? 1 : 0).find((s) => !s.startsWith(':'));
  const verb = actionWord ?? (method === 'DELETE' ? 'delete' : method === 'POST' ? (idParam ? 'action' : 'create') : 'update');
  const entityType = known?.entity ?? collectionKey.replace(/[^a-z0-9]+/gi, '_');
  const generic: AuditedRoute = {
    action: `${entityType}.${verb.replace(/[^a-z0-9]+/gi, '_')}`,
    entityType,
    target: known && id && UUID.test(id) ? { table: known.table, column: 'id', id } : null,
    createdTable: known && !idParam && method === 'POST' ? known.table : null,
  };
  const special = SPECIAL[key]?.(params);
  const merged = { ...generic, ...special };
  if (merged.target && !UUID.test(merged.target.id)) merged.target = null;
  return merged;
}
