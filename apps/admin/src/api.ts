/** Talks to the hub's REST API with the session cookie; unsafe requests echo the CSRF cookie. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function readCookie(name: string, cookieString = typeof document === 'undefined' ? '' : document.cookie): string | null {
  for (const part of cookieString.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

/** Called on any 401 so the app can go back to the login screen. */
let onUnauthorized: (() => void) | null = null;
export function setUnauthorizedHandler(fn: (() => void) | null): void {
  onUnauthorized = fn;
}

export async function api<T = unknown>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const method = init.method ?? (init.body !== undefined ? 'POST' : 'GET');
  const headers: Record<string, string> = { accept: 'application/json' };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') {
    const csrf = readCookie('leadline_csrf');
    if (csrf) headers['x-csrf-token'] = csrf;
  }
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  if (!res.ok) {
    if (res.status === 401 && !path.startsWith('/api/auth/login')) onUnauthorized?.();
    const message = body && typeof body === 'object' && 'message' in body ? String((body as { message: unknown }).message) : `HTTP ${res.status}`;
    throw new ApiError(res.status, message, body);
  }
  return body as T;
}

/** For features another part of the hub may not have (channel not configured): 404 → null. */
export async function optionalApi<T>(path: string): Promise<T | null> {
  try {
    return await api<T>(path);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 501)) return null;
    throw err;
  }
}

export interface User {
  id: string;
  name: string;
  role: 'admin' | 'manager';
}
export interface Identity {
  kind: string;
  value: string;
}
export interface ContactSummary {
  id: string;
  name: string | null;
  ownerId: string | null;
  identities: Identity[];
  lastActivityAt: string;
  createdAt: string;
}
export interface ContactDeal {
  id: string;
  title: string | null;
  stage: string;
  stageId?: string;
  stageName?: string;
  pipelineId?: string;
  amount?: string | null;
  currency?: string | null;
  lostReason?: string | null;
  ownerId: string | null;
  sourceChannel: string;
  source: Record<string, unknown>;
  closedAt: string | null;
  createdAt: string;
}
export interface Contact extends ContactSummary {
  /** Hubs with companies answer the contact's company (null: none). */
  company?: { id: string; name: string } | null;
  deals: ContactDeal[];
  /** E.164 → as people of the number's country write it. */
  phoneDisplay?: Record<string, string>;
}
export interface Company {
  id: string;
  name: string;
  domain: string | null;
  legalId: string | null;
  contactCount: number;
  createdAt: string;
}
export interface CompanyDetails extends Company {
  contacts: Array<ContactSummary & { tags?: string[] }>;
  deals: Array<{ id: string; contactId: string; contactName: string | null; title: string | null; stage: string; ownerId: string | null; sourceChannel: string; amount: string | null; closedAt: string | null; createdAt: string }>;
}
export interface TimelineEntry {
  id: string;
  kind: string;
  channel: string | null;
  dealId: string | null;
  actorId: string | null;
  occurredAt: string;
  payload: Record<string, unknown>;
}
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
export interface Deal {
  id: string;
  contactId: string;
  contactName: string | null;
  ownerId: string | null;
  title: string | null;
  stage: string;
  stageId?: string;
  pipelineId?: string;
  sourceChannel: string;
  source: Record<string, unknown>;
  amount: string | null;
  currency?: string | null;
  lostReason: string | null;
  closedAt: string | null;
  createdAt: string;
}
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
  completedAt: string | null;
  result?: TaskResult | null;
}
export interface Manager {
  id: string;
  name: string;
  email: string;
  role: 'admin' | 'manager';
  phone: string | null;
  telegramUserId?: string | null;
  active: boolean;
  available: boolean;
  capacity: number | null;
  weight: number;
  timezone: string;
  locale: string;
  /** Weekly schedule in BUSINESS_HOURS syntax (hubs with shifts); null = always on shift. */
  shift?: string | null;
  onShift?: boolean;
}
export interface WebForm {
  id: string;
  key: string;
  name: string;
  active: boolean;
  allowedOrigins: string[];
  honeypotField: string;
  rateLimitPerMinute: number;
  endpoint: string;
}
export interface OutboxRow {
  id: string;
  kind: string;
  payload: Record<string, unknown>;
  status: string;
  attempts: number;
  lastError: string | null;
  updatedAt: string;
}
export interface Stage {
  id?: string;
  key: string;
  name: string;
  position: number;
  kind: 'open' | 'won' | 'lost' | string;
}
export interface Pipeline {
  id: string;
  name: string;
  isDefault: boolean;
  stages: Stage[];
}
export interface ChannelStatus {
  channel: string;
  name: string;
  status: string;
  lastError: string | null;
  since: string | null;
  /** Requests refused by their signature check (anyone can send them; never an "error"). */
  rejectedRequests?: { total: number; lastHour: number; lastAt: string | null; lastReason: string | null };
}
export interface Mailbox {
  id: string;
  name: string;
  address: string;
  enabled: boolean;
  status: string;
  lastError: string | null;
}
export interface Notification {
  id: string;
  event: string;
  payload: Record<string, unknown>;
  readAt: string | null;
  createdAt: string;
}

// Callback cockpit (issue 15).
export interface InboxTask {
  id: string;
  kind: string;
  title: string;
  dueAt: string;
  assigneeId: string | null;
  assigneeName: string | null;
}
export interface InboxItem {
  dealId: string;
  contactId: string;
  contactName: string | null;
  phone: string | null;
  phoneDisplay: string | null;
  email: string | null;
  sourceChannel: string;
  source: string | null;
  excerpt: string | null;
  ownerId: string | null;
  ownerName: string | null;
  task: InboxTask | null;
  createdAt: string;
}
export interface InboxView {
  queue: InboxItem[];
  mine: InboxItem[];
  overdue: InboxItem[];
  now: string;
}
export type TaskResult = 'reached' | 'no_answer' | 'wrong_number' | 'call_later';
export const TASK_RESULTS: TaskResult[] = ['reached', 'no_answer', 'wrong_number', 'call_later'];
/** One channel of GET /api/channels: what it is (registered by the hub's channel modules) and what it does here. */
export interface ChannelAvailability {
  key: string;
  label: { en: string; ru: string };
  iconKey: string;
  capabilities: { inbound: boolean; reply: boolean; media: boolean; templates: boolean; calls: boolean; subject: boolean };
  /** Identity kinds shown with this channel's icon. */
  identityKinds: string[];
  receives: boolean;
  sends: boolean;
  calls: boolean;
  enableWith: string[];
}
/** A template a channel offers (GET /api/channels/:key/templates); `text` has numbered placeholders ({{1}}). */
export interface MessageTemplateInfo {
  name: string;
  language: string;
  text: string;
  params: number;
}
/** The template chosen for a message (POST /api/contacts/:id/messages `template`). */
export interface MessageTemplate {
  name: string;
  language: string;
  params: string[];
}
/** GET /api/contacts/:id/reply-channels: a channel this contact can be written to through, or why not now. */
export interface ReplyChannelOption {
  channel: string;
  address: string;
  ok: boolean;
  reason?: string;
}
export interface LostReason {
  id: string;
  label: string;
  position: number;
}
