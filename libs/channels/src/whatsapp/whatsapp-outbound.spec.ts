import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { whatsappErrorMeaning } from './whatsapp-errors';
import { splitWhatsAppDelivery } from './whatsapp.mapper';
import { mapWhatsAppStatus } from './whatsapp-status.mapper';
import { describeTemplate, renderTemplate } from './whatsapp-templates';

const fixture = (name: string) => JSON.parse(readFileSync(join(__dirname, '__fixtures__', `${name}.json`), 'utf8'));

describe('WhatsApp error codes → what the outbox and the timeline do', () => {
  it('retries rate limits later, with the wait Meta\'s limit needs', () => {
    expect(whatsappErrorMeaning(130429, 'Cloud API message throughput has been reached.')).toMatchObject({ kind: 'retry', state: 'rate_limited', afterMs: 60_000 });
    expect(whatsappErrorMeaning(131056, null)).toMatchObject({ kind: 'retry', state: 'rate_limited' });
    expect(whatsappErrorMeaning(80007, null).kind).toBe('retry');
  });

  it('fails for good what will never pass, saying why, with Meta\'s code', () => {
    const window = whatsappErrorMeaning(131047, 'Message failed to send because more than 24 hours have passed');
    expect(window).toMatchObject({ kind: 'permanent', state: 'window_closed' });
    expect(window.reason).toMatch(/24 hours.*template.*\[131047\]$/);
    expect(whatsappErrorMeaning(131026, null)).toMatchObject({ kind: 'permanent', state: 'undeliverable' });
    expect(whatsappErrorMeaning(131053, null)).toMatchObject({ kind: 'permanent', state: 'media_failed' });
    expect(whatsappErrorMeaning(132001, null)).toMatchObject({ kind: 'permanent', state: 'template_rejected' });
  });

  it('treats an expired token as the hub\'s problem, not the message\'s', () => {
    expect(whatsappErrorMeaning(190, 'Session has expired')).toMatchObject({ kind: 'token', state: 'token_invalid' });
    expect(whatsappErrorMeaning(null, null, 401).kind).toBe('token');
  });

  it('unknown codes: an outage is retried, a refusal is permanent', () => {
    expect(whatsappErrorMeaning(null, 'connect ECONNREFUSED', 0).kind).toBe('retry');
    expect(whatsappErrorMeaning(999999, null, 503).kind).toBe('retry');
    expect(whatsappErrorMeaning(999999, 'odd', 400)).toMatchObject({ kind: 'permanent', state: 'rejected' });
  });
});

describe('mapWhatsAppStatus (documented status webhooks)', () => {
  const statuses = (name: string) => splitWhatsAppDelivery(fixture(name)).statuses;

  it('maps sent, delivered and read with Meta\'s timestamps', () => {
    expect(mapWhatsAppStatus(statuses('status-sent')[0])).toEqual({ channel: 'whatsapp', providerMessageId: 'wamid.HBgLNzcwMTEyMzQ1NjcVAgARGBJBQkNERUYwMTIzNDU2Nzg5AA==', status: 'sent', at: new Date(1765050101 * 1000) });
    expect(mapWhatsAppStatus(statuses('status-delivered')[0])?.status).toBe('delivered');
    expect(mapWhatsAppStatus(statuses('status-read')[0])?.status).toBe('read');
  });

  it('maps a failure with its error code to a timeline state', () => {
    expect(mapWhatsAppStatus(statuses('status-failed-131047')[0])?.failure).toMatchObject({ state: 'window_closed', code: '131047' });
    expect(mapWhatsAppStatus(statuses('status-failed-131026')[0])?.failure).toMatchObject({ state: 'undeliverable', code: '131026' });
    const batch = statuses('statuses').map(mapWhatsAppStatus);
    expect(batch.map((u) => u?.status)).toEqual(['read', 'delivered', 'failed']);
  });

  it('ignores statuses it does not track and items without an id', () => {
    expect(mapWhatsAppStatus({ id: 'wamid.x', status: 'deleted', timestamp: '1765050101' })).toBeNull();
    expect(mapWhatsAppStatus({ status: 'sent' })).toBeNull();
  });
});

describe('templates (GET /{waba-id}/message_templates)', () => {
  it('lists each template with its body, the number of parameters and Meta\'s examples', () => {
    const list = (fixture('graph-templates').data as unknown[]).map((t) => describeTemplate(t as never, '102290129340398'));
    expect(list[0]).toEqual({
      name: 'callback_reminder',
      language: 'ru',
      status: 'APPROVED',
      category: 'UTILITY',
      header: null,
      body: 'Здравствуйте, {{1}}! Вы писали нам о {{2}}. Удобно ли сейчас продолжить?',
      footer: 'Leadline Demo',
      params: 2,
      examples: ['Айгуль', 'доставке'],
      wabaId: '102290129340398',
    });
    expect(list[2]).toMatchObject({ name: 'spring_sale', status: 'PENDING', header: null, params: 1 });
    expect(list[3]).toMatchObject({ name: 'hello_world', header: 'Hello World', params: 0 });
  });

  it('renders the body with the values in place (what the timeline shows)', () => {
    expect(renderTemplate('Здравствуйте, {{1}}! Вы писали нам о {{2}}.', ['Айгуль', 'доставке'])).toBe('Здравствуйте, Айгуль! Вы писали нам о доставке.');
    expect(renderTemplate('Hi {{1}} {{ 2 }}', ['A'])).toBe('Hi A {{ 2 }}');
  });
});
