import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { checkTwilioSignature } from './twilio-signature';

const params: Record<string, string> = JSON.parse(readFileSync(join(__dirname, '__fixtures__', 'incoming-call.json'), 'utf8'));
const main = { sid: 'AC0123456789abcdef0123456789abcdef', token: 'token-of-the-main-account-000000' };
const sub = { sid: 'ACfedcba9876543210fedcba9876543210', token: 'token-of-the-subaccount-00000000' };
const PUBLIC = 'https://crm.example.com';
const sign = (token: string, url: string, p = params) => getExpectedTwilioSignature(token, url, p);

describe('checkTwilioSignature', () => {
  it('accepts Twilio’s signature over PUBLIC_URL + path + query', () => {
    const url = `${PUBLIC}/api/inbound/twilio/dial?callId=42&leg=1`;
    expect(checkTwilioSignature(PUBLIC, '/api/inbound/twilio/dial?callId=42&leg=1', params, sign(main.token, url), [main])).toEqual({ ok: true, expectedUrl: url, accountSid: main.sid });
    // A trailing slash in PUBLIC_URL changes nothing; the default port is tolerated like Twilio does.
    expect(checkTwilioSignature(`${PUBLIC}/`, '/api/inbound/twilio/dial?callId=42&leg=1', params, sign(main.token, `https://crm.example.com:443/api/inbound/twilio/dial?callId=42&leg=1`), [main]).ok).toBe(true);
  });

  it('uses the token of the request’s AccountSid', () => {
    const p = { ...params, AccountSid: sub.sid };
    const url = `${PUBLIC}/api/inbound/twilio/voice`;
    expect(checkTwilioSignature(PUBLIC, '/api/inbound/twilio/voice', p, sign(sub.token, url, p), [main, sub]).ok).toBe(true);
    expect(checkTwilioSignature(PUBLIC, '/api/inbound/twilio/voice', p, sign(main.token, url, p), [main, sub])).toMatchObject({ ok: false, reason: 'signature mismatch', accountSid: sub.sid });
    expect(checkTwilioSignature(PUBLIC, '/api/inbound/twilio/voice', p, sign(sub.token, url, p), [main])).toMatchObject({ ok: false, reason: 'unknown AccountSid' });
  });

  it('rejects missing, forged, wrong-URL and tampered signatures, naming the URL it expected', () => {
    const path = '/api/inbound/twilio/voice';
    const url = `${PUBLIC}${path}`;
    expect(checkTwilioSignature(PUBLIC, path, params, undefined, [main])).toEqual({ ok: false, expectedUrl: url, accountSid: main.sid, reason: 'missing signature' });
    expect(checkTwilioSignature(PUBLIC, path, params, 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=', [main]).reason).toBe('signature mismatch');
    expect(checkTwilioSignature(PUBLIC, path, params, sign(main.token, `http://10.0.0.5:3000${path}`), [main]).reason).toBe('signature mismatch');
    expect(checkTwilioSignature(PUBLIC, `${path}?x=1`, params, sign(main.token, url), [main]).reason).toBe('signature mismatch');
    expect(checkTwilioSignature(PUBLIC, path, { ...params, From: '+70000000000' }, sign(main.token, url), [main]).reason).toBe('signature mismatch');
  });
});
