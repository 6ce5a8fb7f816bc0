import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { raiseFormRateLimit } from '../http/http-helpers';
import { ChildRun, freePort, waitFor } from '../support/processes';
import { TestHub } from '../support/test-hub';

const PROMETHEUS = '/usr/bin/prometheus';
const PROMTOOL = '/usr/bin/promtool';
const ALERTS = join(__dirname, '../../deploy/prometheus/alerts.yml');
const TOKEN = 'metrics-token-0123456789';
const ACCOUNT = { sid: 'AC0123456789abcdef0123456789abcdef', token: 'f3a1c2b4d5e6f708192a3b4c5d6e7f80' };
const PUBLIC_URL = 'https://crm.example.com';

interface PromVector {
  metric: Record<string, string>;
  value: [number, string];
}

describe('GET /metrics scraped by a real Prometheus server', () => {
  let hub: TestHub;
  let hubUrl: string;
  let prometheus: ChildRun | null = null;
  let promUrl = '';
  let dir = '';

  beforeAll(async () => {
    hub = await TestHub.start({
      METRICS_TOKEN: TOKEN,
      PUBLIC_URL,
      TWILIO_ACCOUNT_SID: ACCOUNT.sid,
      TWILIO_AUTH_TOKEN: ACCOUNT.token,
      TWILIO_NUMBER: '+74951234567',
      CALLBACK_SLA_MINUTES: '15',
    });
    hubUrl = await hub.listen();
    await raiseFormRateLimit(hub);
  });

  afterAll(async () => {
    await prometheus?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await hub?.close();
  });

  it('is behind the token: 401 without or with a wrong one, 200 text format with it', async () => {
    const none = await fetch(`${hubUrl}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(((await none.json()) as { error: string }).error).toBe('unauthorized');
    expect((await fetch(`${hubUrl}/metrics`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401);
    const ok = await fetch(`${hubUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await ok.text();
    expect(text).toContain('leadline_database_up 1');
    for (const name of [
      'leadline_leads_total',
      'leadline_intake_duration_seconds',
      'leadline_callbacks_within_sla_total',
      'leadline_tasks_overdue',
      'leadline_outbox_messages',
      'leadline_webhook_rejected_total',
      'leadline_channel_up',
      'leadline_sse_clients',
      'nodejs_eventloop_lag_p99_seconds',
      'leadline_db_pool_waiting',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
  });

  it('the shipped alert rules pass promtool', () => {
    if (!existsSync(PROMTOOL)) return;
    const out = execFileSync(PROMTOOL, ['check', 'rules', ALERTS], { encoding: 'utf8' });
    expect(out).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('Prometheus scrapes leads by channel, tasks, outbox, rejects, latency, SSE and pool figures and evaluates the alerts', async () => {
    if (!existsSync(PROMETHEUS)) throw new Error(`${PROMETHEUS} is missing: apt-get install prometheus (npm test installs it when it may)`);
    // Three form leads: one placed an hour ago (its callback task is overdue), two now.
    hub.clock.set(new Date(Date.now() - 60 * 60_000));
    expect((await hub.postForm({ name: 'Old Lead', phone: '+7 912 000-10-01' })).status).toBe(201);
    hub.clock.useRealTime();
    for (const phone of ['+7 912 000-10-02', '+7 912 000-10-03']) {
      const res = await fetch(`${hubUrl}/api/inbound/forms/${hub.formKey}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Lead', phone }) });
      expect(res.status).toBe(201);
    }
    // A phone lead through a correctly signed Twilio webhook, and two forged ones.
    const params = { CallSid: 'CA00000000000000000000000000000001', AccountSid: ACCOUNT.sid, From: '+79120001004', To: '+74951234567', CallStatus: 'ringing', Direction: 'inbound' };
    const signed = await fetch(`${hubUrl}/api/inbound/twilio/voice`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': getExpectedTwilioSignature(ACCOUNT.token, `${PUBLIC_URL}/api/inbound/twilio/voice`, params) },
      body: new URLSearchParams(params).toString(),
    });
    expect(signed.status).toBe(200);
    for (const signature of ['forged', '']) {
      const res = await fetch(`${hubUrl}/api/inbound/twilio/status`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature }, body: new URLSearchParams(params).toString() });
      expect(res.status).toBe(403);
    }
    // One dead outbox row (a notice that gave up).
    await hub.query(`UPDATE outbox SET status = 'dead', attempts = 8 WHERE id = (SELECT id FROM outbox ORDER BY created_at LIMIT 1)`);
    // One open SSE stream.
    const admin = await hub.adminToken();
    const sse = new AbortController();
    const stream = await fetch(`${hubUrl}/api/events`, { headers: { authorization: `Bearer ${admin}` }, signal: sse.signal });
    expect(stream.status).toBe(200);

    try {
      const port = await freePort();
      promUrl = `http://127.0.0.1:${port}`;
      dir = mkdtempSync(join(tmpdir(), 'leadline-prom-'));
      const target = new URL(hubUrl).host;
      writeFileSync(
        join(dir, 'prometheus.yml'),
        [
          'global:',
          '  scrape_interval: 1s',
          '  evaluation_interval: 1s',
          'rule_files:',
          `  - ${ALERTS}`,
          'scrape_configs:',
          '  - job_name: leadline',
          '    authorization:',
          `      credentials: ${TOKEN}`,
          '    static_configs:',
          `      - targets: ['${target}']`,
          '',
        ].join('\n'),
      );
      prometheus = ChildRun.start(PROMETHEUS, [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ]);
      const query = async (q: string): Promise<PromVector[]> => {
        const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
        const body = (await res.json()) as { status: string; data: { result: PromVector[] } };
        if (body.status !== 'success') throw new Error(JSON.stringify(body));
        return body.data.result;
      };
      const value = async (q: string): Promise<number | undefined> => {
        const r = await query(q);
        return r.length ? Number(r[0].value[1]) : undefined;
      };
      await waitFor(`Prometheus to scrape the hub (output: ${prometheus.output})`, async () => ((await value('up{job="leadline"}')) === 1 ? true : undefined), 30_000, 250);

      expect(await value('leadline_leads_total{channel="web_form"}')).toBe(3);
      expect(await value('leadline_leads_total{channel="phone"}')).toBe(1);
      expect(await value('leadline_tasks_open')).toBe(4);
      expect(await value('leadline_tasks_overdue')).toBe(1);
      expect(await value('leadline_callbacks_within_sla_total')).toBe(0);
      expect(await value('leadline_outbox_messages{status="dead"}')).toBe(1);
      expect(await value('leadline_webhook_rejected_total{channel="phone"}')).toBe(2);
      expect(await value('leadline_sse_clients')).toBe(1);
      expect(await value('leadline_database_up')).toBe(1);
      expect(await value('leadline_db_pool_waiting')).toBe(0);
      expect(await value('nodejs_eventloop_lag_p99_seconds')).toBeGreaterThan(0);
      // Every form post is timed, the injected one too (hooks run for inject).
      expect(await value('sum(leadline_intake_duration_seconds_count{channel="web_form",status="201"})')).toBe(3);
      expect(await value('sum(leadline_intake_duration_seconds_count{channel="phone"})')).toBe(1);

      // The rules are loaded and healthy; "outbox dead" goes pending (for: 1m) on the first evaluation.
      const rules = await waitFor('the outbox-dead alert to be evaluated', async () => {
        const res = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as { data: { groups: Array<{ rules: Array<{ name: string; health: string; state?: string }> }> } };
        const all = res.data.groups.flatMap((g) => g.rules);
        return all.find((r) => r.name === 'LeadlineOutboxDead')?.state === 'pending' ? all : undefined;
      });
      expect(rules.map((r) => r.name).sort()).toEqual(
        ['LeadlineChannelDown', 'LeadlineDatabaseUnreachable', 'LeadlineHubDown', 'LeadlineOutboxDead', 'LeadlineOverdueTasksRising', 'LeadlineWebhookRejects'],
      );
      expect(rules.every((r) => r.health === 'ok')).toBe(true);
    } finally {
      sse.abort();
    }
  });
});
