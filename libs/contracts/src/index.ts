/**
 * @leadline/contracts: the JSON the hub's REST API answers, as the admin UI reads it. Types only (no
 * runtime code), so the UI's bundle gets nothing from here. The hub's controllers declare their
 * responses with these types and the UI imports them, so a change on one side that the other does not
 * follow fails `npm run typecheck`. Timestamps are ISO 8601 strings (JSON has no dates).
 */

/** What JSON.stringify makes of a hub value: Dates become ISO strings, everything else stays. */
export type Jsonified<T> = T extends Date
  ? string
  : T extends ReadonlyArray<infer U>
    ? Array<Jsonified<U>>
    : T extends object
      ? { [K in keyof T]: Jsonified<T[K]> }
      : T;

export type Role = 'admin' | 'manager';

/** A keyset page: pass `nextCursor` back as `cursor` for the next one (null: the last page). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** GET /api/auth/me, and `user` of POST /api/auth/login. */
export interface User {
  id: string;
  name: string;
  role: Role;
}

export interface Identity {
  kind: string;
  value: string;
}

/** GET /api/contacts (items). */
export interface ContactSummary {
  id: string;
  name: string | null;
  /** Other names of the person (from contacts merged into this one). */
  aliases: string[];
  ownerId: string | null;
  identities: Identity[];
  lastActivityAt: string;
  createdAt: string;
}

/** A deal on the contact card. */
export interface ContactDeal {
  id: string;
  title: string | null;
  stage: string;
  stageId: string;
  stageName: string;
  pipelineId: string;
  ownerId: string | null;
  sourceChannel: string;
  source: Record<string, unknown>;
  amount: string | null;
  currency: string | null;
  lostReason: string | null;
  firstResponseAt: string | null;
  closedAt: string | null;
  /** Set when the deal was merged into another one (contact merge). */
  mergedIntoDealId: string | null;
  createdAt: string;
}

/** GET /api/contacts/:id. */
export interface ContactDetail extends ContactSummary {
  /** The contact's company (null: none). */
  company: { id: string; name: string } | null;
  deals: ContactDeal[];
  /** E.164 → as people of the number's country write it. */
  phoneDisplay: Record<string, string>;
}

/** GET /api/contacts/:id/timeline (items). */
export interface TimelineEntry {
  id: string;
  kind: string;
  channel: string | null;
  dealId: string | null;
  actorId: string | null;
  occurredAt: string;
  payload: Record<string, unknown>;
}

/** GET /api/companies/:id/timeline (items): the entry and whose it is. */
export interface CompanyTimelineEntry extends TimelineEntry {
  contactId: string;
}

/** GET /api/companies (items), POST/PATCH /api/companies. */
export interface Company {
  id: string;
  name: string;
  domain: string | null;
  legalId: string | null;
  contactCount: number;
  createdAt: string;
}

export interface CompanyContact {
  id: string;
  name: string | null;
  ownerId: string | null;
  tags: string[];
  lastActivityAt: string;
  identities: Identity[];
}

export interface CompanyDeal {
  id: string;
  contactId: string;
  contactName: string | null;
  title: string | null;
  stage: string;
  ownerId: string | null;
  sourceChannel: string;
  amount: string | null;
  closedAt: string | null;
  createdAt: string;
}

/** GET /api/companies/:id. */
export interface CompanyDetails extends Company {
  contacts: CompanyContact[];
  deals: CompanyDeal[];
}

/** GET /api/contacts/:id/company-suggestion. */
export interface CompanySuggestionResponse {
  suggestion: { domain: string; company: Company } | null;
}

/** GET /api/deals (items), GET/PATCH /api/deals/:id, PUT /api/deals/:id/amount, GET /api/queue. */
export interface Deal {
  id: string;
  contactId: string;
  contactName: string | null;
  ownerId: string | null;
  title: string | null;
  /** The stage's key (stable; `new`, `qualified`, … in the default pipeline). */
  stage: string;
  stageId: string;
  stageName: string;
  pipelineId: string;
  sourceChannel: string;
  source: Record<string, unknown>;
  amount: string | null;
  /** ISO 4217 code of the amount; null: the hub's default currency. */
  currency: string | null;
  lostReason: string | null;
  firstResponseAt: string | null;
  closedAt: string | null;
  createdAt: string;
}

export type TaskResult = 'reached' | 'no_answer' | 'wrong_number' | 'call_later';

/** GET /api/tasks, POST /api/tasks/:id/complete and /snooze. */
export interface Task {
  id: string;
  dealId: string;
  contactId: string;
  contactName: string | null;
  assigneeId: string | null;
  kind: string;
  title: string;
  dueAt: string;
  status: string;
  overdue: boolean;
  /** Missed calls from the contact while this callback task was open (telephony). */
  missedCalls: number;
  /** Outbound calls to the contact that did not connect while this callback task was open. */
  callAttempts: number;
  completedAt: string | null;
  /** What came of it, when completed by hand with a result. */
  result: TaskResult | null;
  createdAt: string;
}

/** GET /api/managers, GET/POST/PATCH /api/managers/:id. */
/** A manager's account on a channel (GET /api/managers `bindings`). */
export interface ManagerBinding {
  channel: string;
  label: string | null;
  linkedAt: string | null;
}

export interface Manager {
  id: string;
  role: Role;
  name: string;
  email: string;
  phone: string | null;
  /** Accounts on channels bound to the manager (the Telegram account the manager bot writes to). */
  bindings: ManagerBinding[];
  active: boolean;
  available: boolean;
  /** Weekly schedule in BUSINESS_HOURS syntax; null = always on shift. */
  shift: string | null;
  capacity: number | null;
  weight: number;
  timezone: string;
  /** null = the hub's default language. */
  locale: string | null;
  receivesLeads: boolean;
  createdAt: string;
  updatedAt: string;
  openDeals: number;
  onShift: boolean;
  receivingLeads: boolean;
}

export type StageKind = 'open' | 'won' | 'lost';
export type StageRuleTarget = 'owner' | 'admins' | 'manager';
export type StageRuleDueUnit = 'minutes' | 'hours';

/** GET /api/stages/:id/rules, POST /api/stages/:id/rules, PATCH /api/stage-rules/:id. */
export interface StageRule {
  id: string;
  stageId: string;
  title: string;
  assignTo: StageRuleTarget;
  managerId: string | null;
  managerName: string | null;
  dueIn: number;
  dueUnit: StageRuleDueUnit;
  active: boolean;
  createdAt: string;
}

export interface Stage {
  id: string;
  pipelineId: string;
  key: string;
  name: string;
  position: number;
  kind: StageKind;
  /** Deals (open and closed) in this stage: a stage can be deleted only when this is 0. */
  deals: number;
  rules: StageRule[];
}

/** GET /api/pipelines, GET/POST/PATCH /api/pipelines/:id. */
export interface Pipeline {
  id: string;
  name: string;
  isDefault: boolean;
  stages: Stage[];
  createdAt: string;
}

/** GET/POST/PATCH /api/lost-reasons. */
export interface LostReason {
  id: string;
  label: string;
  position: number;
}

export interface InboxTask {
  id: string;
  kind: string;
  title: string;
  dueAt: string;
  assigneeId: string | null;
  assigneeName: string | null;
}

/** A deal in one of the inbox lists. */
export interface InboxItem {
  dealId: string;
  contactId: string;
  contactName: string | null;
  /** E.164, for `tel:` links and click-to-call. */
  phone: string | null;
  /** The number as people of its country write it. */
  phoneDisplay: string | null;
  email: string | null;
  sourceChannel: string;
  /** utm_source, else the referrer's host, else the form name. */
  source: string | null;
  /** The first words of the lead's message. */
  excerpt: string | null;
  ownerId: string | null;
  ownerName: string | null;
  /** The open callback task (else the earliest open task); null when none is open. */
  task: InboxTask | null;
  createdAt: string;
}

/** GET /api/inbox. */
export interface InboxView {
  queue: InboxItem[];
  mine: InboxItem[];
  overdue: InboxItem[];
  /** The server's now: countdowns run from it, not from a skewed client clock. */
  now: string;
}

/** GET /api/notifications. */
export interface Notification {
  id: string;
  managerId: string;
  /** new_lead, repeat_lead, unassigned_lead, task_overdue, … */
  event: string;
  payload: Record<string, unknown>;
  outboxId: string;
  readAt: string | null;
  createdAt: string;
  /** The lead's contact, for the notice's text (null: none or not visible). */
  contactName: string | null;
}

/** POST /api/notifications/read. */
export interface NotificationsRead {
  read: number;
}

export type OutboxStatus = 'pending' | 'processing' | 'done' | 'failed' | 'dead';

/** GET /api/outbox. */
export interface OutboxRow {
  id: string;
  kind: string;
  payload: Record<string, unknown>;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
}

export type ChannelState = 'connected' | 'connecting' | 'error' | 'disabled' | 'idle';

/** GET /api/channels/status. */
export interface ChannelStatus {
  /** 'email', 'telegram', 'phone', … */
  channel: string;
  /** Which one of the channel: a mailbox address, a bot username, a provider account. */
  name: string;
  status: ChannelState;
  lastError: string | null;
  /** When it entered this status. */
  since: string;
  /** Requests refused by their signature check (anyone can send them; never an "error"). */
  rejectedRequests: { total: number; lastHour: number; lastAt: string | null; lastReason: string | null };
}

/** GET /api/receipts: inbound payloads that failed and wait for a replay. */
export interface FailedReceipt {
  id: string;
  channel: string;
  externalId: string;
  error: string | null;
  attempts: number;
  receivedAt: string;
  raw: unknown;
}

/** GET /api/audit (items). */
export interface AuditEntry {
  id: string;
  at: string;
  actor: { id: string | null; name: string | null; email: string | null };
  action: string;
  entityType: string | null;
  entityId: string | null;
  summary: string | null;
  before: unknown;
  after: unknown;
  details: Record<string, unknown>;
  ip: string | null;
  request: { method: string; path: string } | null;
}

/** What every report starts with: the period it covers and the filters applied. */
export interface ReportHeader {
  period: { from: string; to: string; timezone: string; fromAt: string; toAt: string };
  filters: { ownerId: string | null; channel: string | null; utmSource: string | null; utmCampaign: string | null; pipelineId: string | null };
}

export interface FunnelStep {
  stage: string;
  /** Deals of the cohort at this stage now. */
  deals: number;
  /** Deals that got at least this far. */
  reached: number;
  conversionFromPrevious: number | null;
  conversionFromFirst: number | null;
  /** Lost deals whose furthest stage was this one. */
  lostHere: number;
}

/** GET /api/reports/funnel. */
export interface FunnelReport extends ReportHeader {
  totals: { deals: number; open: number; won: number; lost: number; wonAmount: number; conversion: number | null };
  steps: FunnelStep[];
}

export interface SourceRow {
  leads: number;
  won: number;
  lost: number;
  conversion: number | null;
  revenue: number;
}

/** GET /api/reports/sources. */
export interface LeadSourcesReport extends ReportHeader {
  totals: SourceRow;
  byChannel: Array<SourceRow & { channel: string }>;
  byUtm: Array<SourceRow & { utmSource: string | null; utmCampaign: string | null }>;
}

export interface ManagerReportRow {
  managerId: string;
  name: string;
  active: boolean;
  leadsAssigned: number;
  callsMade: number;
  callsAnswered: number;
  callsMissed: number;
  talkSeconds: number;
  responded: number;
  avgFirstResponseSeconds: number | null;
  p90FirstResponseSeconds: number | null;
  calledBackWithinSla: number;
  calledBackWithinSlaShare: number | null;
  won: number;
  lost: number;
  openTasks: number;
  overdueTasks: number;
}

/** GET /api/reports/managers. */
export interface ManagersReport extends ReportHeader {
  slaMinutes: number;
  managers: ManagerReportRow[];
}

export interface SlaDay {
  date: string;
  leads: number;
  answered: number;
  answeredWithinSla: number;
  /** answeredWithinSla / leads; null on a day without leads. */
  share: number | null;
}

/** GET /api/reports/sla/unanswered (items), and `neverAnswered` of the SLA report. */
export interface UnansweredLead {
  dealId: string;
  contactId: string;
  contactName: string | null;
  ownerId: string | null;
  ownerName: string | null;
  stage: string;
  sourceChannel: string;
  createdAt: string;
}

/** GET /api/reports/sla. */
export interface SlaReport extends ReportHeader {
  slaMinutes: number;
  totals: { leads: number; answered: number; answeredWithinSla: number; share: number | null; neverAnswered: number };
  days: SlaDay[];
  neverAnswered: UnansweredLead[];
}

export type FormFieldTarget = 'name' | 'phone' | 'email' | 'message' | 'company';

/** GET /api/forms, GET/POST/PATCH /api/forms/:id: a web form with the addresses a site uses. */
export interface WebForm {
  id: string;
  key: string;
  name: string;
  active: boolean;
  /** Origins allowed to post from a browser; empty = any origin. */
  allowedOrigins: string[];
  honeypotField: string;
  rateLimitPerMinute: number;
  successUrl: string | null;
  thankYou: { en?: string; ru?: string };
  fieldMap: Record<string, FormFieldTarget>;
  minFillSeconds: number;
  createdAt: string;
  updatedAt: string;
  /** Where the form posts. */
  endpoint: string;
  /** The script a site puts on its pages. */
  snippetUrl: string;
}

/** GET /api/forms/:id/origins. */
export interface FormOriginSeen {
  origin: string;
  accepted: number;
  refused: number;
  firstSeenAt: string;
  lastSeenAt: string;
}

/** GET /api/forms/:id/fields: a field name seen in the form's recent submissions and what it maps to. */
export interface FormSeenField {
  name: string;
  /** The admin's mapping, if any. */
  mappedTo: FormFieldTarget | null;
  /** Understood without a mapping (a name known exactly). */
  known: FormFieldTarget | null;
  /** A guess from the name. */
  suggested: FormFieldTarget | null;
  /** A value from the latest submission that had it (cut short). */
  example: string;
}

/** GET /api/forms/spam: a submission the spam rules held back. */
export interface FormSpamItem {
  id: string;
  formId: string | null;
  formName: string | null;
  reason: 'honeypot' | 'too_fast';
  ip: string | null;
  origin: string | null;
  receivedAt: string;
  restoredAt: string | null;
  dealId: string | null;
  /** The submission as received (its fields under `body`); any JSON. */
  raw: unknown;
}
