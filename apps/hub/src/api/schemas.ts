import { CONTACT_SORTS, STAGE_KEY_PATTERN, STAGE_KINDS, TASK_RESULTS } from '@leadline/core';
import { z } from 'zod';

const boolish = z.union([z.boolean(), z.enum(['true', 'false', '1', '0'])]).transform((v) => v === true || v === 'true' || v === '1');
const limit = z.coerce.number().int().min(1).max(500).optional();

// Opaque; decodeCursor in the services rejects anything it did not produce (400 naming `cursor`).
const cursor = z.string().max(500).optional();

export const loginSchema = z.object({ email: z.string().min(3).max(254), password: z.string().min(1).max(200) });
export const changePasswordSchema = z.object({
  currentPassword: z.string().min(1).max(200),
  newPassword: z.string().min(8, 'at least 8 characters').max(200),
});

export const listContactsQuery = z.object({
  search: z.string().max(200).optional(),
  ownerId: z.uuid().optional(),
  source: z.string().trim().min(1).max(50).optional(),
  tag: z.string().trim().min(1).max(100).optional(),
  createdFrom: z.iso.datetime({ offset: true }).transform((v) => new Date(v)).optional(),
  createdTo: z.iso.datetime({ offset: true }).transform((v) => new Date(v)).optional(),
  hasOpenTask: boolish.optional(),
  sort: z.enum(CONTACT_SORTS).optional(),
  order: z.enum(['asc', 'desc']).optional(),
  cursor,
  limit,
});
export const pageQuery = z.object({ cursor, limit });
export const sendMessageSchema = z.object({
  text: z.string().trim().min(1, 'must not be empty').max(20_000),
  // A registered channel that can reply; ConversationsService answers 400 for any other name.
  channel: z.string().trim().min(1).max(50).optional(),
  subject: z.string().trim().max(500).nullish(),
  // A pre-approved template (channels that have them); `text` is its rendered preview for the timeline.
  template: z
    .object({ name: z.string().trim().min(1).max(512), language: z.string().trim().min(1).max(20), params: z.array(z.string().max(1024)).max(20) })
    .nullish(),
});
export const limitQuery = z.object({ limit });
export const listOutboxQuery = z.object({ status: z.enum(['pending', 'processing', 'done', 'failed', 'dead']).optional(), limit });
export const listNotificationsQuery = z.object({ unread: boolish.optional(), limit });

// Stage keys are data now (pipelines); the services answer 400 for a key no pipeline has.
const stageKeyRef = z.string().trim().min(1).max(64);

export const listDealsQuery = z.object({
  stage: stageKeyRef.optional(),
  stageId: z.uuid().optional(),
  pipelineId: z.uuid().optional(),
  ownerId: z.uuid().optional(),
  status: z.enum(['open', 'closed']).optional(),
  cursor,
  limit,
});
/** `stage` (a key, resolved in the deal's pipeline or in `pipelineId`), or `stageId`; `pipelineId` alone: that pipeline's first stage. */
export const changeStageSchema = z
  .object({
    stage: stageKeyRef.optional(),
    stageId: z.uuid().optional(),
    pipelineId: z.uuid().optional(),
    lostReason: z.string().max(1000).nullish(),
    // Moving a won or lost deal back to an open stage must be confirmed.
    reopen: z.boolean().optional(),
  })
  .refine((b) => b.stage !== undefined || b.stageId !== undefined || b.pipelineId !== undefined, { path: ['stage'], message: 'give stage (a key), stageId or pipelineId' });

const pipelineName = z.string().trim().min(1).max(100);
const stageName = z.string().trim().min(1).max(100);
const stageKey = z.string().regex(STAGE_KEY_PATTERN, 'lowercase letters, digits and _, starting with a letter (at most 40)');
export const createPipelineSchema = z.object({
  name: pipelineName,
  isDefault: z.boolean().optional(),
  /** Omitted: the standard stages (new, first contact, qualified, proposal, won, lost). */
  stages: z.array(z.object({ name: stageName, key: stageKey.optional(), kind: z.enum(STAGE_KINDS).optional() })).min(3).max(50).optional(),
});
export const updatePipelineSchema = z.object({ name: pipelineName.optional(), isDefault: z.boolean().optional() });
export const createStageSchema = z.object({ name: stageName, key: stageKey.optional(), kind: z.enum(STAGE_KINDS).optional(), position: z.number().int().min(0).max(1000).optional() });
export const updateStageSchema = z.object({ name: stageName.optional() });
export const reorderStagesSchema = z.object({ stageIds: z.array(z.uuid()).min(1).max(100) });

const ruleFields = {
  title: z.string().trim().min(1).max(200),
  assignTo: z.enum(['owner', 'admins', 'manager']),
  managerId: z.uuid().nullable(),
  dueIn: z.number().int().min(1).max(120_000),
  dueUnit: z.enum(['minutes', 'hours']),
  active: z.boolean(),
};
export const createStageRuleSchema = z.object(ruleFields).partial({ assignTo: true, managerId: true, active: true });
export const updateStageRuleSchema = z.object(ruleFields).partial();

export const listTasksQuery = z.object({
  mine: boolish.optional(),
  overdue: boolish.optional(),
  status: z.enum(['open', 'done', 'cancelled']).optional(),
  assigneeId: z.uuid().optional(),
  contactId: z.uuid().optional(),
  limit,
});

const managerFields = {
  name: z.string().trim().min(1).max(200),
  email: z.string().trim().max(254),
  role: z.enum(['admin', 'manager']),
  password: z.string().min(8, 'at least 8 characters').max(200),
  phone: z.string().max(40).nullable(),
  active: z.boolean(),
  available: z.boolean(),
  // Weekly shift in the manager's timezone, BUSINESS_HOURS syntax; null or "" = no schedule.
  shift: z.string().max(500).nullable(),
  capacity: z.number().int().min(0).max(100_000).nullable(),
  weight: z.number().int().min(1).max(100),
  timezone: z.string().max(64),
  // null = the hub's default language (TELEGRAM_DEFAULT_LOCALE).
  locale: z.enum(['en', 'ru']).nullable(),
  // Gets new leads (round robin, the queue); default true for managers, false for admins.
  receivesLeads: z.boolean(),
};
export const createManagerSchema = z.object({
  ...managerFields,
  role: managerFields.role.default('manager'),
  password: managerFields.password.optional(),
}).partial({ phone: true, active: true, available: true, shift: true, capacity: true, weight: true, timezone: true, locale: true, receivesLeads: true });
export const updateManagerSchema = z.object(managerFields).partial();

const formFields = {
  name: z.string().trim().min(1).max(200),
  active: z.boolean(),
  allowedOrigins: z.array(z.string().max(300)).max(50),
  honeypotField: z.string().trim().min(1).max(100).regex(/^[A-Za-z0-9_.-]+$/),
  // Posts per client IP per minute (fixed window, per hub process). The ceiling is high on purpose:
  // one IP can legitimately carry a lot of traffic (a site builder or CRM relaying every form
  // server-to-server, a load test such as bench/run.js, ~20k posts a minute from 127.0.0.1).
  rateLimitPerMinute: z.number().int().min(1).max(1_000_000),
  // Issue 13: what a plain-form visitor sees, site-builder field mapping, the snippet's minimum fill time.
  successUrl: z.string().trim().max(2000).nullable(),
  thankYou: z.object({ en: z.string().max(1000).optional(), ru: z.string().max(1000).optional() }).strict(),
  fieldMap: z.record(z.string().min(1).max(200), z.enum(['name', 'phone', 'email', 'message', 'company'])).refine((m) => Object.keys(m).length <= 100, 'at most 100 mapped fields'),
  minFillSeconds: z.number().int().min(0).max(600),
};
export const createFormSchema = z.object(formFields).partial({
  active: true,
  allowedOrigins: true,
  honeypotField: true,
  rateLimitPerMinute: true,
  successUrl: true,
  thankYou: true,
  fieldMap: true,
  minFillSeconds: true,
});
/** A test lead from the form preview in Settings: the fields a visitor would type. */
export const formTestSchema = z.record(z.string().min(1).max(200), z.string().max(10_000)).refine((m) => Object.keys(m).length <= 50, 'at most 50 fields');
export const formSpamQuery = z.object({
  formId: z.string().uuid().optional(),
  restored: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});
export const updateFormSchema = z.object(formFields).partial();

// Email (issue 5): mailboxes. Passwords are accepted, never returned.
const mailAddress = z.string().trim().toLowerCase().regex(/^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/, 'must be an email address').max(320);
const host = z.string().trim().min(1).max(255);
const imapFields = z.object({
  host,
  port: z.number().int().min(1).max(65535),
  tls: z.boolean(),
  user: z.string().min(1).max(320),
  password: z.string().min(1).max(1000),
  folder: z.string().trim().min(1).max(300),
});
const smtpFields = z.object({
  host,
  port: z.number().int().min(1).max(65535),
  tls: z.boolean(),
  user: z.string().min(1).max(320).nullable(),
  password: z.string().min(1).max(1000).nullable(),
});
export const createMailboxSchema = z.object({
  name: z.string().trim().min(1).max(200),
  address: mailAddress,
  imap: imapFields.partial({ port: true, tls: true, folder: true }),
  smtp: smtpFields.partial({ port: true, tls: true, user: true, password: true }).nullish(),
  formSenders: z.array(mailAddress).max(100).optional(),
  enabled: z.boolean().optional(),
});
export const updateMailboxSchema = z.object({
  name: z.string().trim().min(1).max(200),
  address: mailAddress,
  imap: imapFields.partial(),
  smtp: smtpFields.partial().nullable(),
  formSenders: z.array(mailAddress).max(100),
  enabled: z.boolean(),
}).partial();
export const noteSchema = z.object({ text: z.string().trim().min(1).max(10_000) });
export const snoozeSchema = z.object({ until: z.iso.datetime({ offset: true }).transform((v) => new Date(v)) });
export const newTaskSchema = z.object({
  title: z.string().trim().min(1).max(500),
  dueAt: z.iso.datetime({ offset: true }).transform((v) => new Date(v)),
});
export const reassignSchema = z.object({ managerId: z.uuid() });

// Callback cockpit (issue 15).
export const completeTaskSchema = z.object({ result: z.enum(TASK_RESULTS).optional() }).optional();
export const lostReasonSchema = z.object({ label: z.string().trim().min(1).max(200) });
export const lostReasonUpdateSchema = z.object({ label: z.string().trim().min(1).max(200).optional(), position: z.number().int().min(0).max(10_000).optional() });
export const markNotificationsReadSchema = z.object({ ids: z.array(z.uuid()).min(1).max(500).optional() });
export const dealAmountSchema = z.object({
  // A decimal with at most 2 places, as text or number ("1500.50"); null: unknown.
  amount: z
    .union([z.string().trim(), z.number()])
    .nullable()
    .transform((v) => (v === null || v === '' ? null : String(v).replace(',', '.')))
    .refine((v) => v === null || (/^\d{1,12}(\.\d{1,2})?$/.test(v)), 'a non-negative amount with at most 2 decimals, e.g. 1500.50'),
  currency: z
    .string()
    .trim()
    .transform((v) => v.toUpperCase())
    .refine((v) => /^[A-Z]{3}$/.test(v), 'a 3-letter ISO 4217 code, e.g. RUB, USD, EUR')
    .nullish()
    .transform((v) => v ?? null),
});

// Bulk actions in the lists (cockpit): the ids and one action, answered per id.
const bulkIds = z.array(z.uuid()).min(1, 'select at least one').max(200, 'at most 200 at a time');
const bulkAssign = z.object({ type: z.literal('assign'), managerId: z.uuid() });
const bulkTag = z.object({ type: z.literal('tag'), tag: z.string().trim().min(1, 'must not be empty').max(100) });
export const bulkDealsSchema = z.object({
  ids: bulkIds,
  action: z.discriminatedUnion('type', [
    bulkAssign,
    bulkTag,
    z.object({ type: z.literal('stage'), stage: stageKeyRef, lostReason: z.string().max(1000).nullish(), reopen: z.boolean().optional() }),
  ]),
});
export const bulkContactsSchema = z.object({ ids: bulkIds, action: z.discriminatedUnion('type', [bulkAssign, bulkTag]) });
