import type { MessageKey } from '../i18n';

type T = (key: MessageKey, vars?: Record<string, string | number>) => string;

const label = (t: T, prefix: string, key: unknown, fallback?: unknown): string => {
  const k = `${prefix}.${String(key ?? '')}`;
  const text = t(k as MessageKey);
  return text === k ? String(fallback ?? key ?? '') : text;
};

/**
 * Texts the hub writes for people (system notes, "called back after 7 min") in the reader's language,
 * from the `code` and `params` stored beside the English `text`. Null: no known code (old rows, a
 * person's own words): show the stored text.
 */
export function systemText(payload: Record<string, unknown>, t: T, channelName: (key: string) => string = (key) => key): string | null {
  const params = payload.params && typeof payload.params === 'object' ? (payload.params as Record<string, unknown>) : {};
  const num = (v: unknown) => (typeof v === 'number' ? v : Number(v) || 0);
  switch (payload.code) {
    case 'tasks_cancelled_closed':
      return t('system.tasks_cancelled_closed', { count: num(params.count), outcome: label(t, 'stage', params.outcome) });
    case 'task_cancelled_left_stage':
      return t('system.task_cancelled_left_stage', { title: String(params.title ?? ''), from: label(t, 'stage', params.from, params.fromName), to: label(t, 'stage', params.to, params.toName) });
    case 'amount_changed': {
      const money = (v: unknown, cur: unknown) => (v === null || v === undefined || v === '' ? '—' : `${String(v)}${cur ? ` ${String(cur)}` : ''}`);
      return t('system.amount_changed', { from: money(params.from, params.fromCurrency), to: money(params.to, params.toCurrency) });
    }
    case 'called_back':
      return t('system.called_back', { minutes: num(params.minutes) });
    case 'answered_by':
      return t('system.answered_by', { via: channelName(String(params.via ?? '')), minutes: num(params.minutes) });
    case 'call':
      return callLine(payload, t);
    default:
      return null;
  }
}

/** 192 → "3:12" (talk time reads the same in every language). */
function talkTime(seconds: unknown): string {
  const s = Math.max(0, Math.round(typeof seconds === 'number' ? seconds : Number(seconds) || 0));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

/**
 * A call's timeline line ("incoming call, answered by Anna, 3:12", "outgoing call by Boris: busy
 * (attempt 2)") from the facts the hub stores on the call entry (code 'call'): direction, answered,
 * status, managerName, durationSeconds, attempt, and correctionCode when the answer came late.
 */
function callLine(p: Record<string, unknown>, t: T): string {
  const manager = typeof p.managerName === 'string' && p.managerName ? p.managerName : null;
  const duration = talkTime(p.durationSeconds);
  const attempt = typeof p.attempt === 'number' ? p.attempt : 0;
  let text: string;
  if (p.direction === 'inbound') {
    if (p.answered === true) text = t('call.in_answered', { manager: manager ?? t('call.aManager'), duration });
    else return attempt > 1 ? t('call.in_missed_attempt', { attempt }) : t('call.in_missed');
  } else if (p.answered === true) {
    text = manager ? t('call.out_answered', { manager, duration }) : t('call.out_answered_anon', { duration });
  } else {
    const outcome = t(p.status === 'failed' ? 'call.outcome.failed' : p.status === 'busy' ? 'call.outcome.busy' : 'call.outcome.no_answer');
    text = manager ? t('call.out_unanswered', { manager, outcome }) : t('call.out_unanswered_anon', { outcome });
    if (attempt > 1) text = t('call.attempt', { text, attempt });
  }
  if (p.correctionCode === 'answer_reported_late') text = t('call.correction.answer_reported_late', { text });
  return text;
}

/**
 * Why a deal went to whom, in the reader's language. Rows written since the hub stores the facts
 * (`params`: eligible of total, who was left out and why, passed-over owner, escalation) read in full
 * ("next in turn, 3 of 5 could take it: B paused"); older rows fall back to the rule's short label.
 */
export function assignmentReason(payload: Record<string, unknown>, t: T): string | null {
  const params = payload.params && typeof payload.params === 'object' ? (payload.params as AssignmentParams) : null;
  if (params) {
    const text = assignmentReasonFromParams(payload.rule, params, t);
    if (text) return text;
  }
  const reason = typeof payload.reason === 'string' ? payload.reason : '';
  if (reason.startsWith('escalated')) return t('assign.escalated');
  if (reason.startsWith('from the unassigned queue')) return t('assign.fromQueue');
  if (reason.startsWith('reassigned by')) return t('assign.manual');
  const rule = payload.rule;
  if (typeof rule === 'string') {
    const text = t(`assign.${rule}` as MessageKey);
    if (text !== `assign.${rule}`) return text;
  }
  return reason || null;
}

/** The shape core's AssignmentParams is stored in (libs/core/src/assignment/assignment.service.ts). */
interface AssignmentParams {
  eligible?: number;
  total?: number;
  excluded?: Array<{ name?: string; why?: string }>;
  passedOwner?: { name?: string; why?: string };
  fromQueue?: boolean;
  escalated?: { fromName?: string | null; minutes?: number; taskKind?: string; title?: string };
  escalationUndone?: { from?: string | null; answeredAt?: string; managerName?: string };
}

function assignmentReasonFromParams(rule: unknown, p: AssignmentParams, t: T): string | null {
  if (p.escalationUndone) return t('assign.escalationUndone', { manager: String(p.escalationUndone.managerName ?? '') });
  const why = (code: unknown) => label(t, 'assign.why', code);
  const excluded = (p.excluded ?? []).map((e) => t('assign.excludedOne', { name: String(e.name ?? ''), why: why(e.why) })).join(', ');
  const withExcluded = (text: string) => (excluded ? t('assign.withExcluded', { text, excluded }) : text);
  let text: string | null = null;
  if (rule === 'round_robin' && typeof p.eligible === 'number' && typeof p.total === 'number') {
    text = withExcluded(t('assign.roundRobinOf', { eligible: p.eligible, total: p.total }));
  } else if (rule === 'queue' && typeof p.total === 'number') {
    text = p.total === 0 ? t('assign.noManagers') : withExcluded(t('assign.noEligible'));
  } else if (typeof rule === 'string') {
    const k = `assign.${rule}`;
    text = t(k as MessageKey) === k ? null : t(k as MessageKey);
  }
  if (!text) return null;
  if (p.passedOwner) text = t('assign.passedOwner', { name: String(p.passedOwner.name ?? ''), why: why(p.passedOwner.why), text });
  if (p.fromQueue) text = t('assign.fromQueueThen', { text });
  if (p.escalated) {
    const late = p.escalated.taskKind === 'callback' ? 'assign.lateCallback' : 'assign.lateTask';
    const who = p.escalated.fromName || t('assign.nobody');
    text = t('assign.escalatedThen', { late: t(late, { name: who, minutes: Number(p.escalated.minutes) || 0, title: String(p.escalated.title ?? '') }), text });
  }
  return text;
}
