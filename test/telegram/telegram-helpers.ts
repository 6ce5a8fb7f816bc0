import { OutboxWorker } from '@leadline/core';
import { TestHub } from '../support/test-hub';
import { FakeBotApi } from './fake-bot-api';

export const CLIENT_TOKEN = '7001001001:AAHclient-token-for-tests-0123456789';
export const MANAGER_TOKEN = '7002002002:AAHmanager-token-for-tests-012345678';
export const SECRET = 'test-webhook-secret-0123456789';
export const CLIENT_BOT_ID = 7001001001;
/** A hub on PGlite starts in seconds, but on a machine shared with many test runs it has taken over a minute. */
export const HUB_START_MS = 180_000;

let nextUpdateId = 500_000_000;
let nextMessageId = 1;
export const updateId = () => nextUpdateId++;

export interface TgPerson {
  id: number;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

export const anna: TgPerson = { id: 555000111, first_name: 'Анна', last_name: 'Петрова', username: 'anna_p', language_code: 'ru' };
export const boris: TgPerson = { id: 555000222, first_name: 'Boris', username: 'boris_b', language_code: 'en' };

export function textUpdate(from: TgPerson, text: string, extra: Record<string, unknown> = {}) {
  const isCommand = text.startsWith('/');
  return {
    update_id: updateId(),
    message: {
      message_id: nextMessageId++,
      from: { ...from, is_bot: false },
      chat: { id: from.id, first_name: from.first_name, username: from.username, type: 'private' },
      date: Math.floor(Date.now() / 1000),
      text,
      ...(isCommand ? { entities: [{ offset: 0, length: text.split(' ')[0].length, type: 'bot_command' }] } : {}),
      ...extra,
    },
  };
}

export function messageUpdate(from: TgPerson, fields: Record<string, unknown>) {
  return {
    update_id: updateId(),
    message: { message_id: nextMessageId++, from: { ...from, is_bot: false }, chat: { id: from.id, first_name: from.first_name, type: 'private' }, date: Math.floor(Date.now() / 1000), ...fields },
  };
}

export function callbackUpdate(from: TgPerson, message: { message_id: number; text?: string }, data: string) {
  return {
    update_id: updateId(),
    callback_query: {
      id: `cq${nextUpdateId}`,
      from: { ...from, is_bot: false },
      message: { ...message, chat: { id: from.id, type: 'private' }, date: Math.floor(Date.now() / 1000) },
      chat_instance: '-1',
      data,
    },
  };
}

/** A hub with Telegram on, in webhook mode (https PUBLIC_URL), talking to the fake Bot API. */
export async function startTelegramHub(fake: FakeBotApi, env: Record<string, string> = {}): Promise<TestHub> {
  fake.addBot(CLIENT_TOKEN, 'leadline_test_bot');
  fake.addBot(MANAGER_TOKEN, 'leadline_team_bot');
  return TestHub.start({
    TELEGRAM_BOT_TOKEN: CLIENT_TOKEN,
    TELEGRAM_WEBHOOK_SECRET: SECRET,
    TELEGRAM_API_ROOT: fake.url,
    TELEGRAM_DEFAULT_LOCALE: 'en',
    PUBLIC_URL: 'https://crm.example.com',
    ...env,
  });
}

export function postUpdate(hub: TestHub, update: unknown, opts: { bot?: string; secret?: string | null; raw?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.secret !== null) headers['x-telegram-bot-api-secret-token'] = opts.secret ?? SECRET;
  return hub.request({ method: 'POST', url: `/api/inbound/telegram/${opts.bot ?? 'client'}`, body: opts.raw ?? update, headers });
}

/** Runs the outbox until nothing is due (notices fan out into Telegram rows, which need a second round). */
export async function drainOutbox(hub: TestHub): Promise<void> {
  const worker = hub.app.get(OutboxWorker);
  for (let i = 0; i < 10; i++) {
    const r = await worker.runOnce(50);
    if (r.claimed === 0) return;
  }
}

/** Binds a Telegram person to a manager through a link code, as a manager would. */
export async function bind(hub: TestHub, managerId: string, person: TgPerson, bot = 'client'): Promise<void> {
  const link = await hub.request({ method: 'POST', url: `/api/managers/${managerId}/telegram-link`, token: await hub.adminToken() });
  if (link.status !== 201) throw new Error(`link failed: ${link.status} ${link.text}`);
  const res = await postUpdate(hub, textUpdate(person, `/start ${link.body.code}`), { bot });
  if (res.status !== 200) throw new Error(`bind failed: ${res.status}`);
}
