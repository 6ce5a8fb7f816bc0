import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mapIncomingMessage, mapMessageStatus, twilioMessageError } from './twilio-messaging.mapper';

const fixture = (name: string): Record<string, string> => JSON.parse(readFileSync(join(__dirname, '__fixtures__', `${name}.json`), 'utf8'));

describe('Twilio Messaging mapper (documented webhook parameters)', () => {
  it('an SMS: channel sms, the sender as a phone, the text, the company number it reached, routed by that number', () => {
    const e = mapIncomingMessage(fixture('sms-inbound'), { '+74951234567': 'Moscow' });
    expect(e).toMatchObject({
      channel: 'sms',
      kind: 'message',
      externalId: 'SM3f1c9e0b7a2d4c5e8f6a1b2c3d4e5f60',
      contact: { name: null, phones: ['+79991234567'] },
      message: { text: 'Здравствуйте, перезвоните пожалуйста насчёт кухни', details: { provider: 'twilio', to: '+74951234567', from: '+79991234567', messagingServiceSid: null, numSegments: 1 } },
      source: { utm: { source: 'sms' } },
      pipeline: 'Moscow',
    });
    expect(mapIncomingMessage(fixture('sms-inbound')).pipeline).toBeUndefined();
  });

  it('an MMS keeps its media URLs; Messaging Service traffic keeps the service SID', () => {
    expect(mapIncomingMessage(fixture('sms-inbound-mms')).message?.details).toMatchObject({ media: [{ url: expect.stringMatching(/^https:\/\/api\.twilio\.com\/.*\/Media\/ME/), contentType: 'image/jpeg' }] });
    expect(mapIncomingMessage(fixture('sms-inbound-messaging-service')).message?.details).toMatchObject({ messagingServiceSid: 'MG0123456789abcdef0123456789abcdef' });
  });

  it('WhatsApp through Twilio: channel whatsapp, whatsapp: prefixes stripped, the profile name kept', () => {
    expect(mapIncomingMessage(fixture('whatsapp-inbound'))).toMatchObject({
      channel: 'whatsapp',
      contact: { name: 'Айгуль', phones: ['+77011234567'] },
      message: { details: { to: '+14155238886', waId: '77011234567' } },
      source: {},
    });
  });

  it('refuses what it cannot attribute to a phone: no MessageSid, a short code or an alphanumeric sender', () => {
    expect(() => mapIncomingMessage({ ...fixture('sms-inbound'), MessageSid: '', SmsMessageSid: '', SmsSid: '' })).toThrow(/MessageSid/);
    expect(() => mapIncomingMessage({ ...fixture('sms-inbound'), From: '900' })).toThrow(/not a phone number/);
    expect(() => mapIncomingMessage({ ...fixture('sms-inbound'), From: 'MyShop' })).toThrow(/not a phone number/);
  });

  it('status callbacks: steps that say nothing yet are null; undelivered carries the error\'s state', () => {
    const now = new Date('2026-12-07T10:00:00Z');
    expect(mapMessageStatus(fixture('status-queued'), now)).toBeNull();
    expect(mapMessageStatus(fixture('status-delivered'), now)).toEqual({ channel: 'sms', providerMessageId: 'SM00000000000000000000000000000000', status: 'delivered', at: now });
    expect(mapMessageStatus(fixture('status-undelivered-30003'), now)).toMatchObject({ status: 'failed', failure: { state: 'undeliverable', code: '30003' } });
    expect(mapMessageStatus(fixture('status-whatsapp-read'), now)).toMatchObject({ channel: 'whatsapp', status: 'read' });
    expect(mapMessageStatus(fixture('status-whatsapp-failed-63016'), now)).toMatchObject({ channel: 'whatsapp', status: 'failed', failure: { state: 'window_closed' } });
  });

  it('error codes: rate limits retry, STOP is opted out, unknown codes are undeliverable', () => {
    expect(twilioMessageError(20429, 'Too Many Requests')).toMatchObject({ state: 'rate_limited', retry: true });
    expect(twilioMessageError('21610', null)).toMatchObject({ state: 'opted_out', retry: false });
    expect(twilioMessageError(99999, 'odd').reason).toMatch(/could not deliver.*\(odd\) \[99999\]/);
  });
});
