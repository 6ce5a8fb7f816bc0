import { createHmac } from 'node:crypto';
import { genericCallPayload, genericSignature, mapGenericCall, verifyGenericSignature } from './generic-call.mapper';

describe('generic telephony webhook', () => {
  const secret = 'shared-secret-for-tests-000';
  const body = Buffer.from('{"callId":"pbx-1","event":"started","from":"+79991234567"}');

  it('verifies sha256=<hex HMAC> over the raw body', () => {
    const header = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    expect(genericSignature(secret, body)).toBe(header);
    expect(verifyGenericSignature(secret, body, header)).toBe(true);
    expect(verifyGenericSignature(secret, body, header.toUpperCase())).toBe(false);
    expect(verifyGenericSignature(secret, Buffer.from(`${body} `), header)).toBe(false);
    expect(verifyGenericSignature('other-secret-0000000000', body, header)).toBe(false);
    expect(verifyGenericSignature(secret, body, undefined)).toBe(false);
    expect(verifyGenericSignature(secret, body, 'sha256=')).toBe(false);
  });

  it('maps events to the core call-event port with one dedupe key per event', () => {
    const p = genericCallPayload.parse({ callId: 'pbx-1', event: 'answered', manager: { phone: '+79161110001' }, sequence: 2 });
    expect(mapGenericCall(p)).toMatchObject({ provider: 'generic', providerCallId: 'pbx-1', type: 'answered', eventKey: 'event:answered', direction: 'inbound', sequence: 2, manager: { phone: '+79161110001' } });
    const rec = genericCallPayload.parse({ callId: 'pbx-1', event: 'recording', recording: { url: 'https://pbx.local/r/1.mp3', durationSeconds: 9 } });
    expect(mapGenericCall(rec)).toMatchObject({ type: 'recording', eventKey: 'recording:https://pbx.local/r/1.mp3', recording: { url: 'https://pbx.local/r/1.mp3', durationSeconds: 9 } });
    expect(mapGenericCall(genericCallPayload.parse({ callId: 'pbx-1', event: 'missed' })).status).toBe('no-answer');
  });

  it('refuses what is not a call event', () => {
    expect(genericCallPayload.safeParse({ callId: 'x', event: 'recording' }).success).toBe(false);
    expect(genericCallPayload.safeParse({ callId: 'x', event: 'started', direction: 'sideways' }).success).toBe(false);
    expect(genericCallPayload.safeParse({ callId: 'x', event: 'recording', recording: { url: 'file:///etc/passwd' } }).success).toBe(false);
  });
});
