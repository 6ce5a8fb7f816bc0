import type { Stage as PipelineStage, TaskResult } from '@leadline/contracts';

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

// The hub's responses: shared with the hub (libs/contracts), so a drift on either side fails the type check.
export type {
  AuditEntry,
  ChannelStatus,
  Company,
  CompanyDetails,
  CompanyTimelineEntry,
  ContactDeal,
  ContactDetail as Contact,
  ContactSummary,
  Deal,
  FailedReceipt,
  Identity,
  InboxItem,
  InboxTask,
  InboxView,
  LostReason,
  Manager,
  ManagerBinding,
  Notification,
  OutboxRow,
  Page,
  Pipeline,
  Stage as PipelineStage,
  StageKind,
  Task,
  TaskResult,
  TimelineEntry,
  User,
  WebForm,
} from '@leadline/contracts';

export interface Mailbox {
  id: string;
  name: string;
  address: string;
  enabled: boolean;
  status: string;
  lastError: string | null;
}
/**
 * A stage as the board draws it: one of a pipeline's stages, or of DEFAULT_STAGES when the hub has no
 * pipelines API (those have no id).
 */
export type Stage = Pick<PipelineStage, 'key' | 'name' | 'position' | 'kind'> & Partial<Pick<PipelineStage, 'id'>>;
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
