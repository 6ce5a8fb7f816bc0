import { whatsappSignature } from '@leadline/channels';
import type { TestHub } from '../support/test-hub';
import { FakeGraphApi } from './fake-graph-api';
import { ACCESS_TOKEN, APP_SECRET, delivery, fixtureText, HUB_START_MS, postDelivery, startWhatsAppHub, VERIFY_TOKEN } from './whatsapp-helpers';

describe('WhatsApp Cloud API inbound (signed webhook, fake Graph API)', () => {
  let graph: FakeGraphApi;
  let hub: TestHub;

  beforeAll(async () => {
    graph = await FakeGraphApi.start(ACCESS_TOKEN);
    hub = await startWhatsAppHub(graph);
    await hub.createManager({ name: 'Dana' });
  }, HUB_START_MS);
  afterAll(async () => {
    await hub?.close();
    await graph?.stop();
  }, HUB_START_MS);

  const contactByPhone = async (phone: string) =>
    (await hub.query(`SELECT c.* FROM contact c JOIN contact_identity ci ON ci.contact_id = c.id WHERE ci.kind = 'phone' AND ci.value = $1 AND c.merged_into_id IS NULL`, [phone]))[0];
  const activitiesOf = (contactId: string) =>
    hub.query(`SELECT id, kind, channel, deal_id, occurred_at, payload FROM activity WHERE contact_id = $1 AND kind IN ('lead', 'repeat_lead', 'message_in') ORDER BY occurred_at, created_at`, [contactId]);

  describe('verification handshake', () => {
    const verify = (q: Record<string, string>) => hub.request({ url: `/api/inbound/whatsapp?${new URLSearchParams(q)}` });

    it('echoes hub.challenge as text/plain when the verify token matches', async () => {
      const res = await verify({ 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': '1158201444' });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.text).toBe('1158201444');
    });

    it('answers 403 to a wrong token or another mode, with a JSON reason', async () => {
      const wrong = await verify({ 'hub.mode': 'subscribe', 'hub.verify_token': 'guess', 'hub.challenge': '1' });
      expect(wrong.status).toBe(403);
      expect(wrong.body).toMatchObject({ error: 'forbidden' });
      expect((await verify({ 'hub.mode': 'unsubscribe', 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': '1' })).status).toBe(403);
      expect((await verify({ 'hub.challenge': '1' })).status).toBe(403);
    });
  });

  describe('signatures', () => {
    it('refuses a missing or wrong X-Hub-Signature-256 with 401 and stores nothing', async () => {
      const body = delivery('text', { from: '77010000001' });
      const good = whatsappSignature(APP_SECRET, body);
      expect((await postDelivery(hub, body, { signature: null })).status).toBe(401);
      const wrongSecret = await postDelivery(hub, body, { signature: whatsappSignature('ffffffffffffffffffffffffffffffff', body) });
      expect(wrongSecret.status).toBe(401);
      expect(wrongSecret.body).toMatchObject({ error: 'unauthorized' });
      // Signed bytes and sent bytes must be the same: a body changed by one character fails.
      expect((await postDelivery(hub, body.replace('Алматы', 'Астана'), { signature: good })).status).toBe(401);
      expect(await hub.query(`SELECT 1 FROM inbound_receipt WHERE channel = 'whatsapp'`)).toHaveLength(0);
      expect(await contactByPhone('+77010000001')).toBeUndefined();
    });

    it('checks the raw bytes: emoji and \\u-escaped Unicode both verify and store the same text', async () => {
      const plain = delivery('text', { from: '77010000002' });
      expect(plain).toContain('🚚');
      // The same JSON value as Meta may write it: non-ASCII as \u escapes (surrogate pair for the emoji).
      const escaped = delivery('text', { from: '77010000002' }).replace(/[^\x00-\x7f]/gu, (ch) =>
        [...Buffer.from(ch, 'utf16le').reduce<string[]>((acc, _b, i, buf) => (i % 2 ? acc : [...acc, `\\u${buf.readUInt16LE(i).toString(16).padStart(4, '0')}`]), [])].join(''),
      );
      expect(escaped).toContain('\\ud83d\\ude9a');
      // Re-serialising the parsed JSON would give other bytes: its signature must not pass.
      expect((await postDelivery(hub, escaped, { signature: whatsappSignature(APP_SECRET, JSON.stringify(JSON.parse(escaped))) })).status).toBe(401);
      expect((await postDelivery(hub, plain)).status).toBe(200);
      expect((await postDelivery(hub, escaped)).status).toBe(200);
      const contact = await contactByPhone('+77010000002');
      const texts = (await activitiesOf(contact.id)).map((a: { payload: { message: string } }) => a.payload.message);
      expect(texts).toEqual(['Здравствуйте! Сколько стоит доставка в Алматы? 🚚', 'Здравствуйте! Сколько стоит доставка в Алматы? 🚚']);
    });
  });

  it('turns the first message into a lead with a callback task, and later ones into messages on the open deal', async () => {
    const first = await postDelivery(hub, delivery('text'));
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ ok: true, stored: 1 });
    const contact = await contactByPhone('+77011234567');
    expect(contact.name).toBe('Айгуль Сапарова');
    const [deal] = await hub.query(`SELECT id, source_channel AS channel, owner_id FROM deal WHERE contact_id = $1`, [contact.id]);
    expect(deal.channel).toBe('whatsapp');
    expect(deal.owner_id).not.toBeNull();
    const tasks = await hub.query(`SELECT kind, status FROM task WHERE deal_id = $1`, [deal.id]);
    expect(tasks).toEqual([{ kind: 'callback', status: 'open' }]);

    const types = ['image', 'document', 'audio-voice', 'audio', 'video', 'sticker', 'location', 'contacts', 'button', 'interactive-button-reply', 'interactive-list-reply', 'reaction', 'unsupported'];
    for (const t of types) expect((await postDelivery(hub, delivery(t))).body).toMatchObject({ stored: 1 });

    const rows = await activitiesOf(contact.id);
    expect(rows.map((r: { kind: string }) => r.kind)).toEqual(['lead', ...types.map(() => 'message_in')]);
    expect(new Set(rows.map((r: { channel: string }) => r.channel))).toEqual(new Set(['whatsapp']));
    expect(new Set(rows.map((r: { deal_id: string }) => r.deal_id))).toEqual(new Set([deal.id]));
    expect(rows.map((r: { payload: { details: { type: string } } }) => r.payload.details.type)).toEqual([
      'text', 'image', 'document', 'audio', 'audio', 'video', 'sticker', 'location', 'contacts', 'button', 'interactive', 'interactive', 'reaction', 'unsupported',
    ]);
    expect(rows[2].payload).toMatchObject({ message: 'Техзадание', details: { media: { type: 'document', id: '2256911731357410', fileName: 'ТЗ кухня.pdf' } } });
    expect(rows[3].payload.details.media).toMatchObject({ type: 'voice', id: '871349834836612' });
    expect(rows[12].payload.message).toBe('👍');
    // Conversation, not new enquiries: still the one callback task; one contact with one phone identity.
    expect(await hub.query(`SELECT 1 FROM task WHERE deal_id = $1`, [deal.id])).toHaveLength(1);
    expect(await hub.query(`SELECT kind, value FROM contact_identity WHERE contact_id = $1`, [contact.id])).toEqual([{ kind: 'phone', value: '+77011234567' }]);
    expect(await hub.query(`SELECT 1 FROM deal WHERE contact_id = $1`, [contact.id])).toHaveLength(1);
  });

  it('handles a batch of entries, changes and senders in one POST; statuses of messages the hub did not send are acknowledged and change nothing', async () => {
    const res = await postDelivery(hub, delivery('batched'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ stored: 4, statuses: 0, ignored: 1, failed: 0 });
    const danijar = await contactByPhone('+77051112233');
    const olga = await contactByPhone('+79161234567');
    const timur = await contactByPhone('+998901234567');
    expect([danijar.name, olga.name, timur.name]).toEqual(['Данияр', 'Olga Smirnova', 'Timur']);
    expect((await activitiesOf(danijar.id)).map((a: { kind: string }) => a.kind)).toEqual(['lead', 'message_in']);
    const [timurLead] = await activitiesOf(timur.id);
    expect(timurLead.payload.details).toMatchObject({ phoneNumberId: '113344556677889', displayPhoneNumber: '77272000000' });

    const before = (await hub.query(`SELECT count(*)::int AS n FROM inbound_receipt`))[0].n;
    const statuses = await postDelivery(hub, delivery('statuses'));
    expect(statuses.status).toBe(200);
    expect(statuses.body).toMatchObject({ stored: 0, statuses: 0, ignored: 3 });
    expect((await hub.query(`SELECT count(*)::int AS n FROM inbound_receipt`))[0].n).toBe(before);
  });

  it('stores a redelivered message once (Meta retries until it gets 200)', async () => {
    const body = delivery('image', { from: '77010000003' });
    const first = await postDelivery(hub, body);
    const again = await postDelivery(hub, body);
    const third = await Promise.all([postDelivery(hub, body), postDelivery(hub, body)]);
    expect(first.body).toMatchObject({ stored: 1, duplicates: 0 });
    expect(again.body).toMatchObject({ stored: 0, duplicates: 1 });
    expect(third.map((r) => r.body.duplicates)).toEqual([1, 1]);
    const contact = await contactByPhone('+77010000003');
    expect(await activitiesOf(contact.id)).toHaveLength(1);
    expect(await hub.query(`SELECT 1 FROM task WHERE contact_id = $1`, [contact.id])).toHaveLength(1);
  });

  it('makes a form lead and a WhatsApp message from the same phone one contact', async () => {
    const form = await hub.postForm({ name: 'Марат', phone: '8 (701) 555-12-34', message: 'Нужна консультация' });
    expect(form.status).toBe(201);
    const res = await postDelivery(hub, delivery('text', { from: '77015551234' }));
    expect(res.body).toMatchObject({ stored: 1 });
    const contact = await contactByPhone('+77015551234');
    expect(contact.id).toBe(form.body.contactId);
    const rows = await activitiesOf(contact.id);
    // Meta stamps whole seconds, so the two may share a second: compare without order.
    expect(rows.map((r: { kind: string; channel: string }) => `${r.kind}:${r.channel}`).sort()).toEqual(['lead:web_form', 'message_in:whatsapp']);
    expect(await hub.query(`SELECT 1 FROM deal WHERE contact_id = $1`, [contact.id])).toHaveLength(1);
  });

  it('keeps a message it cannot read as a failed receipt, stores the rest of the batch and still answers 200', async () => {
    const good = JSON.parse(delivery('text', { from: '77010000004' }));
    const bad = JSON.parse(delivery('image', { from: '77010000005' }));
    delete bad.entry[0].changes[0].value.messages[0].image.id;
    good.entry[0].changes[0].value.messages.push(bad.entry[0].changes[0].value.messages[0]);
    good.entry[0].changes[0].value.contacts.push(bad.entry[0].changes[0].value.contacts[0]);
    const body = JSON.stringify(good);
    const res = await postDelivery(hub, body);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ stored: 1, failed: 1 });
    const wamid = bad.entry[0].changes[0].value.messages[0].id;
    const [receipt] = await hub.query(`SELECT status, error, raw FROM inbound_receipt WHERE channel = 'whatsapp' AND external_id = $1`, [wamid]);
    expect(receipt.status).toBe('failed');
    expect(receipt.error).toMatch(/media id/);
    const raw = typeof receipt.raw === 'string' ? JSON.parse(receipt.raw) : receipt.raw;
    expect(raw).toMatchObject({ phoneNumberId: '106540352242922', message: { id: wamid, type: 'image' } });
    // Listed for admins, and a replay goes through the registered WhatsApp mapper (still failing here).
    const admin = await hub.adminToken();
    const listed = await hub.request({ url: '/api/inbound/failed', token: admin });
    const item = listed.body.find((r: { externalId: string }) => r.externalId === wamid);
    expect(item).toMatchObject({ channel: 'whatsapp', error: expect.stringMatching(/media id/) });
    const replay = await hub.request({ method: 'POST', url: `/api/inbound/failed/${item.id}/replay`, token: admin });
    expect(replay.body).toMatchObject({ status: 'failed', error: expect.stringMatching(/media id/) });
    expect(await contactByPhone('+77010000005')).toBeUndefined();
  });

  it('acknowledges but does not store messages to a number this hub does not serve', async () => {
    const body = delivery('text', { from: '77010000006' }).replace(/106540352242922/g, '199999999999999');
    const res = await postDelivery(hub, body);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ stored: 0, ignored: 1 });
    expect(await contactByPhone('+77010000006')).toBeUndefined();
  });

  describe('media', () => {
    it('streams a client file through the Graph API two-step with the bearer token, for those who may see the contact', async () => {
      const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]);
      graph.addMedia('1043225387213416', jpeg, 'image/jpeg');
      await postDelivery(hub, delivery('image', { from: '77010000007' }));
      const contact = await contactByPhone('+77010000007');
      const [activity] = await activitiesOf(contact.id);
      const admin = await hub.adminToken();
      graph.requests.length = 0;
      const file = await hub.request({ url: `/api/activities/${activity.id}/media`, token: admin });
      expect(file.status).toBe(200);
      expect(file.headers['content-type']).toBe('image/jpeg');
      expect(file.headers['content-disposition']).toMatch(/^inline;/);
      expect(file.headers['x-content-type-options']).toBe('nosniff');
      expect(Buffer.from(file.text, 'latin1').length).toBeGreaterThan(0);
      expect(graph.requests.map((r) => [r.path.split('?')[0], r.authorization])).toEqual([
        ['/v21.0/1043225387213416', `Bearer ${ACCESS_TOKEN}`],
        ['/whatsapp_business/attachments/', `Bearer ${ACCESS_TOKEN}`],
      ]);
      expect((await hub.request({ url: `/api/activities/${activity.id}/media` })).status).toBe(401);
      const stranger = await hub.createManager({ name: 'Stranger', available: false });
      expect((await hub.request({ url: `/api/activities/${activity.id}/media`, token: stranger.token })).status).toBe(404);
    });

    it('serves a document of a type that could run in the browser as a download, and says when Meta no longer has a file', async () => {
      graph.addMedia('2256911731357410', Buffer.from('<script>alert(1)</script>'), 'text/html');
      const body = delivery('document', { from: '77010000008' }).replace('"application/pdf"', '"text/html"');
      await postDelivery(hub, body);
      const contact = await contactByPhone('+77010000008');
      const [doc] = await activitiesOf(contact.id);
      const admin = await hub.adminToken();
      const file = await hub.request({ url: `/api/activities/${doc.id}/media`, token: admin });
      expect(file.status).toBe(200);
      expect(file.headers['content-disposition']).toMatch(/^attachment; .*filename\*=UTF-8''%D0%A2%D0%97%20%D0%BA%D1%83%D1%85%D0%BD%D1%8F\.pdf/);
      expect(file.headers['content-security-policy']).toMatch(/sandbox/);
      expect(file.text).toBe('<script>alert(1)</script>');

      await postDelivery(hub, delivery('video', { from: '77010000009' }));
      const [video] = await activitiesOf((await contactByPhone('+77010000009')).id);
      const gone = await hub.request({ url: `/api/activities/${video.id}/media`, token: admin });
      expect(gone.status).toBe(404);
      expect(gone.body.message).toMatch(/WhatsApp no longer gives this file/);
    });
  });

  it('shows on the channel status, and a revoked access token turns it to error with a clear answer', async () => {
    const admin = await hub.adminToken();
    const row = async () => (await hub.request({ url: '/api/channels/status', token: admin })).body.find((s: { channel: string }) => s.channel === 'whatsapp');
    expect(await row()).toMatchObject({ name: 'Cloud API 106540352242922, 113344556677889', status: 'connected' });
    graph.addMedia('1318270539031499', Buffer.from('video'), 'video/mp4');
    await postDelivery(hub, delivery('video', { from: '77010000010' }).replace('1318270539031466', '1318270539031499'));
    const [video] = await activitiesOf((await contactByPhone('+77010000010')).id);
    graph.token = 'EAAGrotated';
    try {
      const refused = await hub.request({ url: `/api/activities/${video.id}/media`, token: admin });
      expect(refused.status).toBe(503);
      expect(refused.body.message).toMatch(/renew WHATSAPP_ACCESS_TOKEN/);
      expect(await row()).toMatchObject({ status: 'error', lastError: expect.stringMatching(/access token/) });
    } finally {
      graph.token = ACCESS_TOKEN;
    }
    expect((await hub.request({ url: `/api/activities/${video.id}/media`, token: admin })).status).toBe(200);
    expect(await row()).toMatchObject({ status: 'connected' });
  });

  it('keeps the documented fixtures byte-exact (signed as stored)', () => {
    expect(fixtureText('reaction')).toContain('"emoji": "👍"');
  });
});
