import { OutboxKind, OutboxService } from '@leadline/core';
import type { TestHub } from '../support/test-hub';
import { FakeBotApi } from './fake-bot-api';
import { bind, drainOutbox, HUB_START_MS, MANAGER_TOKEN, startTelegramHub, type TgPerson } from './telegram-helpers';

const olegTg: TgPerson = { id: 700200100, first_name: 'Oleg', language_code: 'en' };
const ninaTg: TgPerson = { id: 700200300, first_name: 'Nina', language_code: 'ru' };

/**
 * The follow-up notices of this session (a missed call answered after all, an escalation undone or
 * withdrawn, a form mail nobody could read) read as proper sentences in the manager's own language in
 * the manager bot, not as the generic "🔔 event" line.
 */
describe('Telegram manager bot: follow-up notices in the manager language', () => {
  let fake: FakeBotApi;
  let hub: TestHub;
  let oleg: { id: string };
  let nina: { id: string };

  beforeAll(async () => {
    fake = await FakeBotApi.start();
    hub = await startTelegramHub(fake, { TELEGRAM_MANAGER_BOT_TOKEN: MANAGER_TOKEN });
    oleg = await hub.createManager({ name: 'Oleg', timezone: 'Europe/Moscow' });
    nina = await hub.createManager({ name: 'Nina', locale: 'ru', timezone: 'Europe/Moscow' });
    await bind(hub, oleg.id, olegTg, 'manager');
    await bind(hub, nina.id, ninaTg, 'manager');
  }, HUB_START_MS);
  afterAll(async () => {
    await hub?.close();
    await fake.stop();
  }, HUB_START_MS);

  const sentTo = (chatId: number) =>
    fake.calls.filter((c) => c.token === MANAGER_TOKEN && c.method === 'sendMessage' && String(c.params.chat_id) === String(chatId)).map((c) => String(c.params.text));

  const notify = async (payload: Record<string, unknown>) => {
    fake.clear();
    const outbox = hub.app.get(OutboxService);
    await outbox.enqueue(hub.dataSource.manager, { kind: OutboxKind.NotifyManager, payload: { ...payload, managerId: oleg.id } }, { kind: OutboxKind.NotifyManager, payload: { ...payload, managerId: nina.id } });
    await drainOutbox(hub);
    return { en: sentTo(olegTg.id).join('\n'), ru: sentTo(ninaTg.id).join('\n') };
  };

  it('a missed call answered after all', async () => {
    const got = await notify({ event: 'call_missed_withdrawn', from: '+79161234567', answeredBy: 'Anna', answeredByName: 'Anna', durationSeconds: 120, answeredAt: new Date().toISOString() });
    expect(got.en).toMatch(/^✅ Not missed: the call from \+7 916 123 45 67 was answered by Anna at \d\d:\d\d \(2:00\); no call back needed\.$/);
    expect(got.ru).toMatch(/^✅ Не пропущен: на звонок от \+7 916 123 45 67 ответил\(а\) Anna в \d\d:\d\d \(2:00\); перезванивать не нужно\.$/);
  });

  it('an escalation undone and one withdrawn', async () => {
    const undone = await notify({ event: 'escalation_undone', title: 'Callback +7 916', toManagerName: 'Anna' });
    expect(undone.en).toContain('Callback +7 916 goes back to Anna: the call it was escalated for was answered (reported late).');
    expect(undone.ru).toContain('Callback +7 916 возвращается к Anna');
    const withdrawn = await notify({ event: 'escalation_withdrawn', title: 'Callback +7 916', answeredBy: 'a manager', answeredByName: null });
    expect(withdrawn.en).toBe('↩️ Escalation withdrawn: Callback +7 916. The call was answered by a manager (reported late), the callback was not missed.');
    expect(withdrawn.ru).toBe('↩️ Эскалация отменена: Callback +7 916. На звонок ответил(а) менеджер (сообщено с опозданием), перезвон не был пропущен.');
  });

  it('an escalation and a routed contact say why in the manager language', async () => {
    const esc = await notify({ event: 'task_escalated', title: 'Callback Ivan', assigneeName: 'Anna', taskKind: 'callback', lateMinutes: 10, outcome: 'nobody_else_eligible', reason: 'Anna did not call back within 10 min; nobody else eligible: …' });
    expect(esc.en).toContain('⚠️ Escalated: Callback Ivan. Anna did not call back within 10 min. Nobody else could take the deal.');
    expect(esc.ru).toContain('⚠️ Эскалация: Callback Ivan. Anna не перезвонил(а) за 10 мин. Больше некому передать сделку.');
    // A notice queued before the facts were stored keeps its sentence.
    const old = await notify({ event: 'task_escalated', title: 'Callback Ivan', reason: 'Anna did not call back within 10 min' });
    expect(old.ru).toContain('⚠️ Эскалация: Callback Ivan. Anna did not call back within 10 min');
    const routed = await notify({ event: 'contact_routed', why: 'paused', whyCode: 'paused', toManagerName: 'Boris' });
    expect(routed.ru).toMatch(/пока вы были недоступны \(на паузе\): новый лид получил\(а\) Boris/);
    expect(routed.en).toMatch(/while you were paused: the new lead went to Boris/);
  });

  it('a form mail nobody could read', async () => {
    const got = await notify({ event: 'form_email_unreadable', title: 'Lead', subject: 'New submission', from: 'forms@site.example' });
    expect(got.en).toContain('📧 A form email could not be read (“New submission” from forms@site.example)');
    expect(got.ru).toContain('📧 Не удалось разобрать письмо с формы («New submission» от forms@site.example)');
    expect(`${got.en}\n${got.ru}`).not.toContain('🔔');
  });
});
