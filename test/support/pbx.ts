import { createHmac } from 'node:crypto';
import type { TestHub } from './test-hub';

/**
 * Posts one call event to the generic PBX webhook as a PBX does (docs/telephony-generic-webhook.md):
 * the exact JSON bytes, signed over "<timestamp>.<body>" with the shared secret, timestamp by the hub's clock.
 */
export function postGenericCall(hub: TestHub, secret: string, body: unknown) {
  const raw = JSON.stringify(body);
  const ts = String(Math.floor(hub.clock.now().getTime() / 1000));
  const signature = `sha256=${createHmac('sha256', secret).update(`${ts}.${raw}`).digest('hex')}`;
  return hub.request({
    method: 'POST',
    url: '/api/inbound/telephony/generic',
    body: raw,
    headers: { 'content-type': 'application/json', 'x-leadline-timestamp': ts, 'x-leadline-signature': signature },
  });
}
