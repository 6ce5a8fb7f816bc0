import { DomainError, ErrorCode } from '@leadline/core';
import type { FastifyReply } from 'fastify';
import type { HubConfig } from '../config/config.schema';
import { MetricsController } from './metrics.controller';
import type { MetricsService } from './metrics.service';

/** The switch and the token of GET /metrics (scraping itself: test/ops/metrics.test.ts with Prometheus). */
describe('MetricsController', () => {
  const metrics = { render: async () => 'leadline_database_up 1\n', contentType: () => 'text/plain; version=0.0.4; charset=utf-8' } as unknown as MetricsService;
  const reply = () => {
    const sent: { headers: Record<string, string>; body?: string } = { headers: {} };
    const r = {
      header(k: string, v: string) {
        sent.headers[k] = v;
        return r;
      },
      send(b: string) {
        sent.body = b;
        return r;
      },
    };
    return { sent, reply: r as unknown as FastifyReply };
  };
  const controller = (config: Partial<HubConfig>) => new MetricsController(metrics, { METRICS_ENABLED: false, METRICS_TOKEN: undefined, ...config } as HubConfig);
  const codeOf = async (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e instanceof DomainError ? e.code : String(e)));

  it('is off (404) unless METRICS_ENABLED or METRICS_TOKEN is set', async () => {
    expect(await codeOf(controller({}).scrape(undefined, reply().reply))).toBe(ErrorCode.NotFound);
  });

  it('is open with METRICS_ENABLED alone', async () => {
    const r = reply();
    expect(await codeOf(controller({ METRICS_ENABLED: true }).scrape(undefined, r.reply))).toBe('ok');
    expect(r.sent.body).toContain('leadline_database_up 1');
    expect(r.sent.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('with METRICS_TOKEN wants exactly that bearer token (401 and a WWW-Authenticate otherwise), enabled or not', async () => {
    const token = 'metrics-token-0123456789';
    for (const enabled of [false, true]) {
      const c = controller({ METRICS_TOKEN: token, METRICS_ENABLED: enabled });
      for (const header of [undefined, 'Bearer wrong', `Basic ${token}`, `Bearer ${token}x`]) {
        const r = reply();
        expect(await codeOf(c.scrape(header, r.reply))).toBe(ErrorCode.Unauthorized);
        expect(r.sent.headers['www-authenticate']).toBe('Bearer realm="metrics"');
      }
      expect(await codeOf(c.scrape(`Bearer ${token}`, reply().reply))).toBe('ok');
    }
  });
});
