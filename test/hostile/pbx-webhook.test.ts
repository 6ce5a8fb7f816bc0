import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestHub } from '../support/test-hub';

/** The generic PBX webhook against replays and junk; what the docs promise, in the codes it answers. */
describe('generic PBX webhook: timestamp, content type, rejected requests', () => {
  let hub: TestHub;
  const SECRET = 'pbx-shared-secret-0123456789';
  let seq = 0;
  const event = () => ({ callId: `pbx-hostile-${++seq}`, event: 'missed', direction: 'inbound', from: `+7903555${String(1000 + seq)}` });
  const sign = (ts: string, raw: string) => `sha256=${createHmac('sha256', SECRET).update(`${ts}.${raw}`).digest('hex')}`;
  const nowTs = () => String(Math.floor(hub.clock.now().getTime() / 1000));
  const post = (raw: string, headers: Record<string, string>) => hub.request({ method: 'POST', url: '/api/inbound/telephony/generic', body: raw, headers });
  const calls = async () => (await hub.query(`SELECT count(*)::int AS n FROM call`))[0].n;
  const status = async () => (await hub.request({ url: '/api/channels/status', token: await hub.adminToken() })).body.find((s: { name: string }) => s.name === 'generic webhook');

  beforeAll(async () => {
    hub = await TestHub.start({ TELEPHONY_WEBHOOK_SECRET: SECRET, TELEPHONY_WEBHOOK_TOLERANCE_SECONDS: '120' });
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('the documented Node.js example (docs/examples/report-call.mjs) is accepted', async () => {
    const base = await hub.listen();
    const script = join(__dirname, '..', '..', 'docs', 'examples', 'report-call.mjs');
    const { stdout } = await promisify(execFile)(process.execPath, [script, JSON.stringify(event())], {
      env: { ...process.env, TELEPHONY_WEBHOOK_SECRET: SECRET, LEADLINE_URL: base },
    });
    expect(stdout).toMatch(/^200 \{"status":"applied"/);
  });

  it('accepts a request signed now, and refuses the same captured request replayed after the tolerance', async () => {
    const raw = JSON.stringify(event());
    const ts = nowTs();
    const headers = { 'content-type': 'application/json', 'x-leadline-timestamp': ts, 'x-leadline-signature': sign(ts, raw) };
    expect((await post(raw, headers)).status).toBe(200);
    const before = await calls();
    hub.clock.advanceMinutes(2.02);
    const replay = await post(raw.replace('missed', 'completed'), headers);
    expect(replay.status).toBe(403);
    const late = await post(raw, headers);
    expect(late.status).toBe(403);
    expect(late.body.message).toMatch(/tolerance 120 s/);
    expect(await calls()).toBe(before);
  });

  it('refuses a missing timestamp, one moved without re-signing, and one from a clock far ahead', async () => {
    const raw = JSON.stringify(event());
    const ts = nowTs();
    const sig = sign(ts, raw);
    expect((await post(raw, { 'content-type': 'application/json', 'x-leadline-signature': sig })).status).toBe(403);
    expect((await post(raw, { 'content-type': 'application/json', 'x-leadline-timestamp': String(Number(ts) + 1), 'x-leadline-signature': sig })).status).toBe(403);
    const ahead = String(Number(ts) + 3600);
    expect((await post(raw, { 'content-type': 'application/json', 'x-leadline-timestamp': ahead, 'x-leadline-signature': sign(ahead, raw) })).status).toBe(403);
  });

  it('answers 415 to text/plain as the docs say, signed or not', async () => {
    const raw = JSON.stringify(event());
    const ts = nowTs();
    for (const headers of [{ 'content-type': 'text/plain' } as Record<string, string>, { 'content-type': 'text/plain', 'x-leadline-timestamp': ts, 'x-leadline-signature': sign(ts, raw) }]) {
      const res = await post(raw, headers);
      expect(res.status).toBe(415);
      expect(res.body.error).toBe('unsupported_media_type');
    }
  });

  it('counts refused requests with their rate on the channel status and never turns it to "error"', async () => {
    const s = await status();
    expect(s.status).toBe('connected');
    expect(s.rejectedRequests).toMatchObject({ total: 5, lastHour: 5, lastAt: expect.any(String), lastReason: expect.stringContaining('timestamp') });
  });
});
