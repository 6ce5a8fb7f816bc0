import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mapDialResult, mapIncomingCall, mapLegStatus, mapRecordingCallback, mapStatusCallback, TwilioPayloadError } from './twilio-voice.mapper';

const fixture = (name: string): Record<string, string> => JSON.parse(readFileSync(join(__dirname, '__fixtures__', `${name}.json`), 'utf8'));

describe('Twilio voice mapper (recorded payloads)', () => {
  it('maps an incoming call to an inbound call start', () => {
    expect(mapIncomingCall(fixture('incoming-call'), 3)).toEqual({
      provider: 'twilio',
      account: 'AC0123456789abcdef0123456789abcdef',
      providerCallId: 'CA5b2a8e1f9c0d4e3f7a6b5c4d3e2f1a0b',
      from: '+79991234567',
      to: '+74951234567',
      callerName: null,
      huntMax: 3,
      raw: fixture('incoming-call'),
    });
  });

  it('keeps a withheld caller as null', () => {
    expect(mapIncomingCall(fixture('incoming-call-anonymous'), 3).from).toBeNull();
    expect(mapIncomingCall({ ...fixture('incoming-call'), From: '' }, 3).from).toBeNull();
  });

  it('maps status callbacks: final statuses end the call, progress statuses keep their SequenceNumber', () => {
    expect(mapStatusCallback(fixture('status-completed'))).toMatchObject({ type: 'completed', eventKey: 'status:completed', status: 'completed', sequence: 0, durationSeconds: 201, direction: 'inbound' });
    expect(mapStatusCallback(fixture('status-ringing'))).toMatchObject({ type: 'ringing', eventKey: 'status:ringing', sequence: 1, durationSeconds: null });
    for (const s of ['busy', 'no-answer', 'failed', 'canceled']) expect(mapStatusCallback({ ...fixture('status-completed'), CallStatus: s }).type).toBe('completed');
    expect(mapStatusCallback({ ...fixture('status-ringing'), CallStatus: 'initiated', Direction: 'outbound-api' })).toMatchObject({ type: 'started', direction: 'outbound' });
  });

  it('maps <Dial> results: completed and answered count as answered', () => {
    expect(mapDialResult(fixture('dial-action-completed'))).toEqual({ callSid: 'CA5b2a8e1f9c0d4e3f7a6b5c4d3e2f1a0b', answered: true, dialStatus: 'completed', durationSeconds: 192, dialCallSid: 'CAd1a2b3c4d5e6f708192a3b4c5d6e7f80' });
    expect(mapDialResult(fixture('dial-action-no-answer'))).toMatchObject({ answered: false, dialStatus: 'no-answer', durationSeconds: null });
  });

  it('keeps Twilio’s Timestamp for ordering only', () => {
    expect(mapStatusCallback(fixture('status-completed')).providerAt).toEqual(new Date('2026-11-23T08:20:21Z'));
    expect(mapStatusCallback(fixture('status-completed')).occurredAt).toBeUndefined();
    expect(mapStatusCallback({ ...fixture('status-completed'), Timestamp: 'yesterday' }).providerAt).toBeNull();
  });

  it('maps a ring-all leg’s "answered" to an answer of the parent call naming the manager’s phone; other leg statuses to nothing', () => {
    expect(mapLegStatus(fixture('leg-status-answered'))).toMatchObject({
      providerCallId: 'CA5b2a8e1f9c0d4e3f7a6b5c4d3e2f1a0b',
      type: 'answered',
      eventKey: 'leg:CAd1a2b3c4d5e6f708192a3b4c5d6e7f80:answered',
      legId: 'CAd1a2b3c4d5e6f708192a3b4c5d6e7f80',
      manager: { phone: '+79161110002' },
      sequence: null,
    });
    expect(mapLegStatus({ ...fixture('leg-status-answered'), CallStatus: 'completed' })).toBeNull();
    expect(() => mapLegStatus({ ...fixture('leg-status-answered'), ParentCallSid: '' })).toThrow(TwilioPayloadError);
  });

  it('maps a recording callback, one key per RecordingSid and status', () => {
    expect(mapRecordingCallback(fixture('recording-completed'))).toMatchObject({
      type: 'recording',
      eventKey: 'recording:RE3c4d5e6f708192a3b4c5d6e7f8091a2b:completed',
      recording: { id: 'RE3c4d5e6f708192a3b4c5d6e7f8091a2b', durationSeconds: 190, status: 'completed', url: fixture('recording-completed').RecordingUrl },
    });
    expect(mapRecordingCallback({ ...fixture('recording-completed'), RecordingStatus: 'absent', RecordingUrl: '' }).recording).toMatchObject({ status: 'absent' });
  });

  it('rejects payloads without a valid CallSid or RecordingSid', () => {
    expect(() => mapStatusCallback({ ...fixture('status-completed'), CallSid: 'nope' })).toThrow(TwilioPayloadError);
    expect(() => mapRecordingCallback({ ...fixture('recording-completed'), RecordingSid: '' })).toThrow(TwilioPayloadError);
    expect(() => mapStatusCallback({ ...fixture('status-completed'), CallStatus: '' })).toThrow(TwilioPayloadError);
  });
});
