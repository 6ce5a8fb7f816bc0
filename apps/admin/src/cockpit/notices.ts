import type { MessageKey } from '../i18n';

export interface NoticeLike {
  event: string;
  payload: Record<string, unknown>;
  contactName?: string | null;
}

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
]);

/**
 * A notice in the viewer's language, from its event code and facts (never from the English text the
 * hub may have stored beside them), so one written yesterday in English reads in Russian today.
 */
export function noticeText(n: NoticeLike, t: (key: MessageKey, vars?: Record<string, string | number>) => string): string {
  const p = n.payload;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const vars = {
    name: n.contactName || str(p.name) || str(p.from) || t('unknownName'),
    manager: str(p.assigneeName) || str(p.toManagerName) || t('unassigned'),
    minutes: typeof p.minutesLeft === 'number' ? p.minutesLeft : 0,
  };
  if (n.event === 'task_overdue' && p.assigneeName) return t('notice.task_overdue_of', vars);
  if (KNOWN.has(n.event)) return t(`notice.${n.event}` as MessageKey, vars);
  return t('notice.other', { event: n.event.replace(/_/g, ' '), ...vars });
}
