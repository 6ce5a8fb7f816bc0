'use strict';
/**
 * A local Telegram Bot API for the benchmarks (plain Node; the tests' richer one is
 * test/telegram/fake-bot-api.ts): `/bot<token>/<method>`, JSON in, `{ok, result}` out; getUpdates
 * as a long poll that stays empty; sendMessage answered at once and recorded with the time it
 * arrived (Date.now()). `failNext(chatId, retryAfter)` answers the next sendMessage to that chat 429.
 */
const http = require('node:http');

async function startFakeBotApi() {
  const fake = { sent: [], calls: 0, url: '', onSend: null, failures: new Map() };
  let nextMessageId = 1;
  const waiting = new Set();
  const queues = new Map(); // token -> updates not yet confirmed
  const pendingFor = (token, offset) => {
    const q = (queues.get(token) || []).filter((u) => u.update_id >= offset);
    queues.set(token, q);
    return q;
  };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      fake.calls++;
      const m = /^\/bot([^/]+)\/(\w+)/.exec(req.url || '');
      const reply = (status, body) => {
        if (res.writableEnded || res.destroyed) return;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (!m) return reply(404, { ok: false, error_code: 404, description: 'Not Found' });
      const [, token, method] = m;
      let params = {};
      try {
        params = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
      } catch {
        return reply(400, { ok: false, error_code: 400, description: 'Bad Request: invalid JSON' });
      }
      const botId = Number(token.split(':')[0]);
      switch (method) {
        case 'getMe':
          return reply(200, { ok: true, result: { id: botId, is_bot: true, first_name: 'Bench', username: `bench_${botId}_bot` } });
        case 'deleteWebhook':
        case 'setWebhook':
        case 'answerCallbackQuery':
          return reply(200, { ok: true, result: true });
        case 'getUpdates': {
          const timeout = Number(params.timeout || 0) * 1000;
          const offset = Number(params.offset || 0);
          const ready = pendingFor(token, offset);
          if (ready.length || !timeout) return reply(200, { ok: true, result: ready });
          const timer = setTimeout(() => {
            waiting.delete(entry);
            reply(200, { ok: true, result: [] });
          }, timeout);
          const entry = { timer, res, token, offset, wake: () => (clearTimeout(timer), waiting.delete(entry), reply(200, { ok: true, result: pendingFor(token, offset) })) };
          waiting.add(entry);
          res.on('close', () => {
            clearTimeout(timer);
            waiting.delete(entry);
          });
          return;
        }
        case 'sendMessage':
        case 'editMessageText': {
          const chat = String(params.chat_id);
          const retryAfter = fake.failures.get(chat);
          if (retryAfter !== undefined && method === 'sendMessage') {
            fake.failures.delete(chat);
            fake.sent.push({ token, method, chat, text: String(params.text || ''), at, status: 429 });
            return reply(429, { ok: false, error_code: 429, description: `Too Many Requests: retry after ${retryAfter}`, parameters: { retry_after: retryAfter } });
          }
          const call = { token, method, chat, text: String(params.text || ''), at, status: 200 };
          if (fake.record !== false) fake.sent.push(call);
          if (fake.onSend) fake.onSend(call);
          return reply(200, {
            ok: true,
            result: { message_id: nextMessageId++, from: { id: botId, is_bot: true, first_name: 'Bench' }, chat: { id: Number(params.chat_id), type: 'private' }, date: Math.floor(at / 1000), text: params.text },
          });
        }
        default:
          return reply(200, { ok: true, result: true });
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${server.address().port}`;
  fake.failNext = (chatId, retryAfter) => fake.failures.set(String(chatId), retryAfter);
  let updateId = 1;
  /** Queues a text message from a Telegram user to a bot (served by getUpdates). */
  fake.pushText = (token, userId, text) => {
    const update = {
      update_id: updateId++,
      message: { message_id: updateId, from: { id: userId, is_bot: false, first_name: `User ${userId}` }, chat: { id: userId, type: 'private' }, date: Math.floor(Date.now() / 1000), text, ...(text.startsWith('/') ? { entities: [{ offset: 0, length: text.split(' ')[0].length, type: 'bot_command' }] } : {}) },
    };
    queues.set(token, [...(queues.get(token) || []), update]);
    for (const w of [...waiting]) if (w.token === token) w.wake();
  };
  fake.stop = () =>
    new Promise((resolve) => {
      for (const w of waiting) {
        clearTimeout(w.timer);
        w.res.destroy();
      }
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}

/**
 * The environment of a hub as in production (outbox worker and SLA scheduler on) whose client and
 * manager bots talk to this fake Bot API.
 */
function telegramHubEnv(fake, { clientToken, managerToken }) {
  return {
    OUTBOX_WORKER: 'true',
    SLA_SCHEDULER: 'true',
    TELEGRAM_BOT_TOKEN: clientToken,
    TELEGRAM_MANAGER_BOT_TOKEN: managerToken,
    TELEGRAM_API_ROOT: fake.url,
    TELEGRAM_DEFAULT_LOCALE: 'en',
  };
}

module.exports = { startFakeBotApi, telegramHubEnv };
