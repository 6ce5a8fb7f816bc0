// Reports one call event to Leadline's generic telephony webhook (see docs/telephony-generic-webhook.md).
// Usage: TELEPHONY_WEBHOOK_SECRET=… [LEADLINE_URL=https://crm.example.com] node report-call.mjs '<json event>'
import { createHmac } from 'node:crypto';

const secret = process.env.TELEPHONY_WEBHOOK_SECRET;
if (!secret) throw new Error('set TELEPHONY_WEBHOOK_SECRET');
const body = JSON.stringify(JSON.parse(process.argv[2] ?? '{}'));
// Sign "<timestamp>.<the exact bytes that are sent>"; the hub refuses timestamps outside its tolerance.
const timestamp = String(Math.floor(Date.now() / 1000));
const signature = `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
const res = await fetch(`${process.env.LEADLINE_URL ?? 'http://localhost:3000'}/api/inbound/telephony/generic`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', 'x-leadline-timestamp': timestamp, 'x-leadline-signature': signature },
  body,
});
console.log(res.status, await res.text());
process.exitCode = res.ok ? 0 : 1;
