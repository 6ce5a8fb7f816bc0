import { genericCallPayload, mapGenericCall } from './generic-call.mapper';

describe('generic telephony webhook', () => {

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
