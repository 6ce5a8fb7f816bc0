import { createHmac } from 'node:crypto';
import { checkGenericSignature, genericSignature } from './generic-signature';

describe('generic telephony webhook signature', () => {
  const secret = 'shared-secret-for-tests-000';
  const body = Buffer.from('{"callId":"pbx-1","event":"started","from":"+79991234567"}');
  const now = Date.parse('2026-11-23T08:00:00Z');
  const ts = String(now / 1000);
  const header = `sha256=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}`;
  const check = (b: Buffer, signature: string | undefined, timestamp: string | undefined, at = now, secretKey = secret) =>
    checkGenericSignature(secretKey, b, { signature, timestamp }, at, 300);

  it('verifies sha256=<hex HMAC> over "<timestamp>.<raw body>"', () => {
    expect(genericSignature(secret, ts, body)).toBe(header);
    expect(check(body, header, ts)).toEqual({ ok: true });
    expect(check(body, header.toUpperCase(), ts)).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(check(Buffer.from(`${body} `), header, ts)).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(check(body, header, ts, now, 'other-secret-0000000000')).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(check(body, undefined, ts)).toEqual({ ok: false, reason: 'missing signature' });
    expect(check(body, 'sha256=', ts)).toEqual({ ok: false, reason: 'signature mismatch' });
  });

  it('refuses a missing, altered or stale timestamp', () => {
    expect(check(body, header, undefined)).toEqual({ ok: false, reason: 'missing or malformed timestamp' });
    expect(check(body, header, '1.5e9')).toEqual({ ok: false, reason: 'missing or malformed timestamp' });
    expect(check(body, header, String(Number(ts) + 1))).toEqual({ ok: false, reason: 'signature mismatch' });
    // The same signed request replayed after the tolerance, or sent from a clock far off.
    expect(check(body, header, ts, now + 301_000)).toMatchObject({ ok: false, reason: expect.stringContaining('tolerance 300 s') });
    expect(check(body, header, ts, now - 301_000)).toMatchObject({ ok: false });
    expect(check(body, header, ts, now + 299_000)).toEqual({ ok: true });
  });
});
