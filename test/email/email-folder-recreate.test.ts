import { ChannelStatusRegistry } from '@leadline/core';
import { TestHub } from '../support/test-hub';
import { plainMessage } from './support/corpus';
import { Dovecot } from './support/dovecot';
import { waitFor } from './support/wait';

/**
 * The watched folder is deleted and created again while the hub watches it (a mail admin "cleaning
 * up", a client app's rules): the new folder has a new UIDVALIDITY and starts again at UID 1. The
 * watcher must notice, rescan, and take what arrives there — not sit "connected" on a dead folder.
 */
describe('a watched folder deleted and recreated', () => {
  let dovecot: Dovecot;
  let hub: TestHub;
  const FOLDER = 'Leads';

  beforeAll(async () => {
    dovecot = await Dovecot.start();
    await dovecot.createFolder(FOLDER);
    hub = await TestHub.start({ ...dovecot.imapEnv({ IMAP_FOLDER: FOLDER }), MAIL_FROM: 'crm@test.local', IMAP_POLL_SECONDS: '2', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' });
  });
  afterAll(async () => {
    await hub?.close();
    await dovecot?.destroy();
  });

  const contactByEmail = async (email: string) =>
    (await hub.query(`SELECT c.id FROM contact c JOIN contact_identity i ON i.contact_id = c.id WHERE i.kind = 'email' AND i.value = $1`, [email]))[0];
  const mailbox = async () => (await hub.query(`SELECT status, last_error FROM mailbox`))[0];

  it('notices every time, rescans the new folder and takes its mail (5 runs in a row)', async () => {
    const [first] = await dovecot.deliver([plainMessage({ from: 'before@recreate.example', messageId: '<before@recreate.example>' })], FOLDER);
    await waitFor('first message taken', async () => Number((await hub.query(`SELECT last_uid FROM mailbox_state`))[0]?.last_uid ?? 0) >= first);
    for (let run = 1; run <= 5; run++) {
      const before = Number((await hub.query(`SELECT uid_validity FROM mailbox_state`))[0].uid_validity);
      await dovecot.deleteFolder(FOLDER);
      await dovecot.createFolder(FOLDER);
      const from = `run${run}@recreate.example`;
      await dovecot.deliver([plainMessage({ from, messageId: `<run-${run}@recreate.example>` })], FOLDER);
      const started = Date.now();
      await waitFor(`run ${run}: the message in the recreated folder taken`, async () => {
        const [state] = await hub.query(`SELECT uid_validity, last_uid FROM mailbox_state`);
        return Number(state.uid_validity) !== before && Number(state.last_uid) === 1 && !!(await contactByEmail(from));
      }, 30_000);
      expect(await mailbox()).toMatchObject({ status: 'connected', last_error: null });
      // eslint-disable-next-line no-console
      if (process.env.TEST_LOG_TIMES) console.log(`run ${run}: taken after ${Date.now() - started} ms`);
    }
    // The message from before the first rebuild is not taken again by any rescan.
    expect((await hub.query(`SELECT count(*)::int AS n FROM activity WHERE channel = 'email' AND kind IN ('lead', 'message_in', 'repeat_lead')`))[0].n).toBe(6);
  });

  it('a folder that stays gone turns the mailbox to error with a clear message; it recovers and the error text goes', async () => {
    await dovecot.deleteFolder(FOLDER);
    await waitFor('mailbox error naming the folder', async () => {
      const m = await mailbox();
      return m.status === 'error' && /folder "Leads" does not exist/.test(m.last_error ?? '');
    }, 30_000);
    const live = hub.app.get(ChannelStatusRegistry).list().find((s) => s.channel === 'email');
    expect(live).toMatchObject({ status: 'error' });

    await dovecot.createFolder(FOLDER);
    await dovecot.deliver([plainMessage({ from: 'back@recreate.example', messageId: '<back@recreate.example>' })], FOLDER);
    await waitFor('taken after the folder came back', async () => !!(await contactByEmail('back@recreate.example')), 60_000);
    await waitFor('connected, old error text gone', async () => {
      const m = await mailbox();
      return m.status === 'connected' && m.last_error === null;
    });
    expect(hub.app.get(ChannelStatusRegistry).list().find((s) => s.channel === 'email')).toMatchObject({ status: 'connected', lastError: null });
  });
});
