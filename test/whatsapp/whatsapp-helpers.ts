import { whatsappSignature } from '@leadline/channels';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestHub, type InjectResponse } from '../support/test-hub';
import type { FakeGraphApi } from './fake-graph-api';

export const ACCESS_TOKEN = 'EAAGtestSystemUserAccessToken0123456789';
export const APP_SECRET = '5e1f0c2b9a8d7e6f5a4b3c2d1e0f9a8b';
export const VERIFY_TOKEN = 'leadline-verify-7Hq2';
export const PHONE_NUMBER_IDS = ['106540352242922', '113344556677889'];
/** A hub on PGlite starts in seconds, but on a machine shared with many test runs it has taken over a minute. */
export const HUB_START_MS = 180_000;

const FIXTURES = join(__dirname, '../../libs/channels/src/whatsapp/__fixtures__');
/** A documented payload exactly as stored (bytes, not re-serialised). */
export const fixtureText = (name: string): string => readFileSync(join(FIXTURES, `${name}.json`), 'utf8');

let seq = 0;
/**
 * The fixture as another delivery: every wamid made unique for this test (so tests do not dedupe each
 * other), Meta's timestamps moved to now (as a live delivery has them), the sender changed when asked.
 * Stays text, so the signature covers exactly what is sent.
 */
export function delivery(name: string, opts: { from?: string } = {}): string {
  const n = ++seq;
  const now = Math.floor(Date.now() / 1000);
  let text = fixtureText(name)
    .replace(/"id": "(wamid\.[^"]+)"/g, (_m, id: string) => `"id": "${id}.t${n}"`)
    .replace(/"timestamp": "(\d+)"/g, (_m, ts: string) => `"timestamp": "${now + (Number(ts) - 1765050000)}"`);
  if (opts.from) text = text.replace(/77011234567/g, opts.from);
  return text;
}

export function startWhatsAppHub(graph: FakeGraphApi, env: Record<string, string> = {}): Promise<TestHub> {
  return TestHub.start({
    WHATSAPP_ACCESS_TOKEN: ACCESS_TOKEN,
    WHATSAPP_APP_SECRET: APP_SECRET,
    WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN,
    WHATSAPP_GRAPH_BASE_URL: graph.url,
    WHATSAPP_GRAPH_VERSION: 'v21.0',
    WHATSAPP_PHONE_NUMBER_IDS: PHONE_NUMBER_IDS.join(','),
    ...env,
  });
}

/** POSTs raw bytes as Meta does: application/json with X-Hub-Signature-256 over exactly those bytes. */
export function postDelivery(hub: TestHub, body: string, opts: { signature?: string | null } = {}): Promise<InjectResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'facebookexternalua' };
  if (opts.signature !== null) headers['x-hub-signature-256'] = opts.signature ?? whatsappSignature(APP_SECRET, Buffer.from(body, 'utf8'));
  return hub.request({ method: 'POST', url: '/api/inbound/whatsapp', body, headers });
}

/** A documented status webhook (status-*.json) about our message `wamid`, dated `at`, as Meta posts it. */
export function statusDelivery(name: string, wamid: string, at: Date = new Date()): string {
  return fixtureText(name)
    .replace(/"id": "wamid\.[^"]+"/g, `"id": "${wamid}"`)
    .replace(/"timestamp": "\d+"/g, `"timestamp": "${Math.floor(at.getTime() / 1000)}"`);
}
