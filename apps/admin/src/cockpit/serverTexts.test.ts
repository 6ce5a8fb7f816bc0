import { describe, expect, it } from 'vitest';
import { translate, type MessageKey } from '../i18n';
import { noticeText } from './notices';
import { assignmentReason, systemText } from './systemText';

const en = (key: MessageKey, vars?: Record<string, string | number>) => translate('en', key, vars);
const ru = (key: MessageKey, vars?: Record<string, string | number>) => translate('ru', key, vars);

// Payloads as the hub stores them (code + facts, English `text` beside them for API consumers).
const inboundAnswered = { code: 'call', direction: 'inbound', status: 'completed', answered: true, durationSeconds: 192, managerName: 'Anna', text: 'incoming call, answered by Anna, 3:12' };
const inboundMissed = { code: 'call', direction: 'inbound', status: 'no-answer', answered: false, durationSeconds: 0, managerName: null, attempt: 2, text: 'missed call (attempt 2)' };
const outboundBusy = { code: 'call', direction: 'outbound', status: 'busy', answered: false, durationSeconds: 0, managerName: 'Boris', attempt: 3, text: 'outgoing call by Boris, busy (attempt 3)' };
const corrected = { ...inboundAnswered, correctionCode: 'answer_reported_late', correction: 'first logged as missed; the answer was reported late' };

describe('call lines from code + facts', () => {
  it('reads in English', () => {
    expect(systemText(inboundAnswered, en)).toBe('Incoming call, answered by Anna, 3:12');
    expect(systemText(inboundMissed, en)).toBe('Missed call (attempt 2)');
    expect(systemText({ ...inboundMissed, attempt: 1 }, en)).toBe('Missed call');
    expect(systemText(outboundBusy, en)).toBe('Outgoing call by Boris: busy (attempt 3)');
    expect(systemText({ ...outboundBusy, status: 'failed', managerName: null, attempt: 1 }, en)).toBe('Outgoing call: failed');
    expect(systemText({ ...outboundBusy, answered: true, durationSeconds: 3725, attempt: 1 }, en)).toBe('Outgoing call by Boris, 1:02:05');
    expect(systemText(corrected, en)).toBe('Incoming call, answered by Anna, 3:12 (first logged as missed; the answer was reported late)');
  });

  it('reads in Russian (an entry written in English reads in Russian later)', () => {
    expect(systemText(inboundAnswered, ru)).toBe('Входящий звонок, ответил(а) Anna, 3:12');
    expect(systemText(inboundMissed, ru)).toBe('Пропущенный звонок (попытка 2)');
    expect(systemText(outboundBusy, ru)).toBe('Исходящий звонок, звонил(а) Boris: занято (попытка 3)');
    expect(systemText({ ...outboundBusy, status: 'no-answer', attempt: 1 }, ru)).toBe('Исходящий звонок, звонил(а) Boris: не ответили');
    expect(systemText({ ...inboundAnswered, managerName: null }, ru)).toBe('Входящий звонок, ответил(а) менеджер, 3:12');
    expect(systemText(corrected, ru)).toBe('Входящий звонок, ответил(а) Anna, 3:12 (сначала записан как пропущенный; об ответе сообщили с опозданием)');
  });

  it('leaves old rows without a code to their stored text', () => {
    expect(systemText({ text: 'incoming call, answered by Anna, 3:12' }, ru)).toBeNull();
  });
});

describe('notices added this session, in the reader language', () => {
  const cases: Array<{ event: string; payload: Record<string, unknown>; en: string; ru: string }> = [
    {
      event: 'call_missed_withdrawn',
      payload: { from: '+79991234567', answeredBy: 'Anna', answeredByName: 'Anna', durationSeconds: 72 },
      en: 'Not missed: Anna answered the call from Ivan (1:12), no call back needed',
      ru: 'Не пропущен: Anna ответил(а) на звонок от Ivan (1:12), перезванивать не нужно',
    },
    {
      // An older row: the English fallback "a manager" is never shown to a Russian reader.
      event: 'call_missed_withdrawn',
      payload: { answeredBy: 'a manager', durationSeconds: 5 },
      en: 'Not missed: a manager answered the call from Ivan (0:05), no call back needed',
      ru: 'Не пропущен: менеджер ответил(а) на звонок от Ivan (0:05), перезванивать не нужно',
    },
    {
      event: 'escalation_undone',
      payload: { toManagerName: 'Anna', from: '+79991234567' },
      en: 'Ivan goes back to Anna: the call was answered (reported late)',
      ru: 'Ivan возвращается к Anna: на звонок ответили (сообщено с опозданием)',
    },
    {
      event: 'escalation_withdrawn',
      payload: { answeredBy: 'Boris', answeredByName: 'Boris' },
      en: 'Escalation withdrawn: Boris answered the call from Ivan (reported late)',
      ru: 'Эскалация отменена: Boris ответил(а) на звонок от Ivan (сообщено с опозданием)',
    },
    { event: 'deal_reassigned', payload: { toManagerName: 'Boris', rule: 'manual' }, en: 'Ivan was handed over to Boris', ru: 'Ivan передан(а) менеджеру Boris' },
    { event: 'deal_merged', payload: { mergedDealId: 'd2' }, en: 'Ivan: duplicate deals merged into one', ru: 'Ivan: дублирующиеся сделки объединены' },
    { event: 'task_created', payload: { title: 'Send the offer' }, en: 'New task for Ivan: Send the offer', ru: 'Новая задача по Ivan: Send the offer' },
    { event: 'message_failed', payload: { reason: 'bounced', channel: 'email' }, en: 'Email to Ivan bounced: not delivered', ru: 'Письмо для Ivan вернулось: не доставлено' },
    { event: 'message_failed', payload: { reason: 'blocked', channel: 'telegram' }, en: 'Ivan blocked the bot: the message was not delivered', ru: 'Ivan заблокировал(а) бота: сообщение не доставлено' },
    { event: 'message_failed', payload: { reason: 'failed', channel: 'telegram' }, en: 'Message to Ivan was not delivered', ru: 'Сообщение для Ivan не доставлено' },
    { event: 'call_missed', payload: { from: '+79991234567', attempt: 2 }, en: 'Missed call from Ivan (attempt 2)', ru: 'Пропущенный звонок от Ivan (попытка 2)' },
    { event: 'contact_routed', payload: { toManagerName: 'Boris' }, en: 'Your client Ivan went to Boris', ru: 'Ваш клиент Ivan передан: Boris' },
  ];
  for (const c of cases) {
    it(`${c.event} ${JSON.stringify(c.payload)}`, () => {
      const n = { event: c.event, payload: c.payload, contactName: 'Ivan' };
      expect(noticeText(n, en)).toEqual(c.en);
      expect(noticeText(n, ru)).toEqual(c.ru);
      expect(noticeText(n, ru)).not.toMatch(/[a-z]{4,} [a-z]{4,}/); // no English sentence in Russian
    });
  }

  it('a form email that could not be read names its subject', () => {
    const n = { event: 'form_email_unreadable', payload: { subject: 'Website form', from: 'forms@site.example' }, contactName: null };
    expect(noticeText(n, en)).toBe('A form email could not be read: Website form');
    expect(noticeText(n, ru)).toBe('Не удалось разобрать письмо с формы: Website form');
  });

  it('every event the hub enqueues has its own text (none falls back to the generic line)', () => {
    const events = ['lead', 'repeat_lead', 'message_in', 'lead_assigned', 'deal_unassigned', 'contact_routed', 'task_reminder', 'task_overdue', 'task_escalated', 'call_missed', 'message_failed', 'call_missed_withdrawn', 'escalation_undone', 'escalation_withdrawn', 'deal_reassigned', 'deal_merged', 'form_email_unreadable', 'task_created'];
    for (const event of events) {
      const generic = translate('ru', 'notice.other', { event: event.replace(/_/g, ' '), name: 'Ivan' });
      expect(noticeText({ event, payload: {}, contactName: 'Ivan' }, ru), event).not.toBe(generic);
    }
  });
});

describe('assignment reasons from the facts the hub stores', () => {
  const rr = { rule: 'round_robin', reason: 'round robin, 3 eligible of 5: Boris paused, Vera at capacity', params: { eligible: 3, total: 5, excluded: [{ name: 'Boris', why: 'paused' }, { name: 'Vera', why: 'at_capacity' }] } };
  it('round robin with who was left out', () => {
    expect(assignmentReason(rr, en)).toBe('next in turn, 3 of 5 could take it: Boris paused, Vera at capacity');
    expect(assignmentReason(rr, ru)).toBe('по очереди, могли взять 3 из 5: Boris — на паузе, Vera — загружен(а) полностью');
  });
  it('no active managers / nobody eligible', () => {
    const none = { rule: 'queue', reason: 'no active managers: waiting in the unassigned queue', params: { eligible: 0, total: 0, excluded: [] } };
    expect(assignmentReason(none, en)).toBe('no active managers, waiting in the queue');
    expect(assignmentReason(none, ru)).toBe('нет активных менеджеров, ждёт в очереди');
    const off = { rule: 'queue', reason: 'x', params: { eligible: 0, total: 1, excluded: [{ name: 'Anna', why: 'off_shift' }] } };
    expect(assignmentReason(off, en)).toBe('nobody could take it, waiting in the queue: Anna off shift');
    expect(assignmentReason(off, ru)).toBe('никто не мог взять, ждёт в очереди: Anna — не на смене');
  });
  it('passed-over owner, from the queue, escalation, escalation undone', () => {
    const passed = { ...rr, params: { ...rr.params, excluded: [], passedOwner: { name: 'Anna', why: 'paused' } } };
    expect(assignmentReason(passed, en)).toBe("the client's manager Anna is paused; next in turn, 3 of 5 could take it");
    expect(assignmentReason(passed, ru)).toBe('менеджер клиента Anna — на паузе; по очереди, могли взять 3 из 5');
    const queued = { rule: 'sticky', reason: 'from the unassigned queue, sticky owner', params: { fromQueue: true } };
    expect(assignmentReason(queued, en)).toBe('from the queue: returning client, same manager');
    expect(assignmentReason(queued, ru)).toMatch(/^из очереди: /);
    const esc = { rule: 'round_robin', reason: 'escalated: …', params: { eligible: 1, total: 2, excluded: [{ name: 'Anna', why: 'escalated_from' }], escalated: { fromName: 'Anna', minutes: 30, taskKind: 'callback', title: 'Call back' } } };
    expect(assignmentReason(esc, en)).toBe('escalated: Anna did not call back within 30 min; next in turn, 1 of 2 could take it: Anna was late');
    expect(assignmentReason(esc, ru)).toBe('эскалация: Anna не перезвонил(а) за 30 мин; по очереди, могли взять 1 из 2: Anna — опоздал(а)');
    const undone = { rule: 'manual', reason: 'escalation undone: …', params: { escalationUndone: { from: '+79991234567', answeredAt: '2026-11-23T08:17:15Z', managerName: 'Anna' } } };
    expect(assignmentReason(undone, en)).toBe('escalation undone: Anna answered the call (reported late), so the callback was not missed');
    expect(assignmentReason(undone, ru)).toBe('эскалация отменена: Anna ответил(а) на звонок (сообщено с опозданием), перезвон не был пропущен');
  });
  it('old rows without params keep the short label', () => {
    expect(assignmentReason({ rule: 'round_robin', reason: 'round robin, 3 eligible of 5' }, ru)).toBe(translate('ru', 'assign.round_robin'));
  });
});
