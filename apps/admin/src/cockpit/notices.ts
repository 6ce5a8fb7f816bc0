import type { MessageKey } from '../i18n';

export interface NoticeLike {
  event: string;
  payload: Record<string, unknown>;
  contactName?: string | null;
}

type T = (key: MessageKey, vars?: Record<string, string | number>) => string;

const KNOWN = new Set([
  'lead',
  'repeat_lead',
  'message_in',
  'lead_assigned',
  'deal_unassigned',
  'contact_routed',
  'task_reminder',
  'task_overdue',
  'task_escalated',
  'call_missed',
  'message_failed',
  // Server texts in the reader's language
  'call_missed_withdrawn',
  'escalation_undone',
  'escalation_withdrawn',
  'deal_reassigned',
  'deal_merged',
  'form_email_unreadable',
  'task_created',
]);

/** 192 → "3:12" (talk time, the same in every language). */
function duration(seconds: unknown): string {
  const s = Math.max(0, Math.round(typeof seconds === 'number' ? seconds : Number(seconds) || 0));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

/**
 * A notice in the viewer's language, from its event code and facts (never from the English text the
 * hub may have stored beside them), so one written yesterday in English reads in Russian today.
 */
export function noticeText(n: NoticeLike, t: T): string {
  const p = n.payload;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const vars = {
    name: n.contactName || str(p.name) || str(p.from) || t('unknownName'),
    manager: str(p.assigneeName) || str(p.toManagerName) || t('unassigned'),
    minutes: typeof p.minutesLeft === 'number' ? p.minutesLeft : 0,
    // Who answered: the name the hub stored (older rows hold an English "a manager" in answeredBy).
    answeredBy: str(p.answeredByName) || (p.answeredBy && p.answeredBy !== 'a manager' ? str(p.answeredBy) : '') || t('notice.aManager'),
    duration: duration(p.durationSeconds),
    attempt: typeof p.attempt === 'number' ? p.attempt : 1,
    subject: str(p.subject) || str(p.from) || '—',
    title: str(p.title),
  };
  if (n.event === 'task_overdue' && p.assigneeName) return t('notice.task_overdue_of', vars);
  if (n.event === 'call_missed' && vars.attempt > 1) return t('notice.call_missed_attempt', vars);
  if (n.event === 'message_failed' && (p.reason === 'bounced' || p.reason === 'blocked')) return t(`notice.message_failed_${p.reason}` as MessageKey, vars);
  if (KNOWN.has(n.event)) return t(`notice.${n.event}` as MessageKey, vars);
  return t('notice.other', { event: n.event.replace(/_/g, ' '), ...vars });
}
