import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChannelAvailability, Contact } from './api';
import { I18nProvider } from './i18n';
import { Composer } from './pages/ContactPage';

const base = { capabilities: { inbound: true, reply: true, media: false, templates: false, calls: false, subject: false }, identityKinds: [], receives: true, sends: true, calls: false, enableWith: [] };
// GET /api/channels with a channel this UI has no code for: a messenger with a reply window and templates.
const channels: ChannelAvailability[] = [
  { ...base, key: 'email', label: { en: 'Email', ru: 'Email' }, iconKey: 'email', identityKinds: ['email'], capabilities: { ...base.capabilities, subject: true } },
  { ...base, key: 'pigeon', label: { en: 'Pigeon post', ru: 'Голубиная почта' }, iconKey: 'bird', capabilities: { ...base.capabilities, templates: true } },
];
const contact: Contact = { id: 'c1', name: 'Polly', ownerId: null, identities: [{ kind: 'phone', value: '+79120000001' }, { kind: 'email', value: 'p@x.io' }], lastActivityAt: '', createdAt: '', aliases: [], company: null, phoneDisplay: {}, deals: [] };

let replyChannels: unknown[];
const posted: unknown[] = [];
beforeEach(() => {
  posted.length = 0;
  vi.stubGlobal(
    'fetch',
    vi.fn(async (path: string, init: { method?: string; body?: string }) => {
      const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
      if (path === '/api/channels') return json(channels);
      if (path === '/api/contacts/c1/reply-channels') return json(replyChannels);
      if (path === '/api/channels/pigeon/templates') return json([{ name: 'come_back', language: 'en', text: 'Hello {{1}}, shall we talk?', params: 1 }]);
      if (path === '/api/contacts/c1/messages' && init.method === 'POST') {
        posted.push(JSON.parse(init.body ?? '{}'));
        return json({ activityId: 'a1' }, 201);
      }
      return json({ error: 'not_found', message: 'no' }, 404);
    }),
  );
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const show = () =>
  render(
    <I18nProvider>
      <Composer contact={contact} onSent={() => undefined} />
    </I18nProvider>,
  );

describe('Composer: channels from the hub', () => {
  it('offers the channels the hub says this contact can be written to, named by the hub, with a subject where the channel has one', async () => {
    replyChannels = [
      { channel: 'pigeon', address: '+79120000001', ok: true },
      { channel: 'email', address: 'p@x.io', ok: true },
    ];
    show();
    const select = (await screen.findByRole('combobox', { name: /via/ })) as HTMLSelectElement;
    expect([...select.options].map((o) => [o.value, o.textContent])).toEqual([
      ['pigeon', 'via Pigeon post'],
      ['email', 'via Email'],
    ]);
    expect(screen.queryByRole('textbox', { name: 'Subject' })).toBeNull();
    fireEvent.change(select, { target: { value: 'email' } });
    expect(screen.getByRole('textbox', { name: 'Subject' })).toBeTruthy();
    fireEvent.change(screen.getByRole('textbox', { name: 'Message' }), { target: { value: 'Hi' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    await waitFor(() => expect(posted).toEqual([{ text: 'Hi', channel: 'email' }]));
  });

  it('says why a channel refuses free text now, and offers its templates instead', async () => {
    replyChannels = [{ channel: 'pigeon', address: '+79120000001', ok: false, reason: 'window_closed' }];
    show();
    // A reason code the UI knows is said in words (WhatsApp's 24-hour window, issue 17).
    expect((await screen.findByTestId('composer-refused')).textContent).toBe('Pigeon post: cannot write now (more than 24 hours since the client last wrote; only an approved template can be sent)');
    const select = (await screen.findByRole('combobox', { name: /via/ })) as HTMLSelectElement;
    expect([...select.options].map((o) => o.textContent)).toEqual(['via Pigeon post: template']);
    const value = await screen.findByRole('textbox', { name: 'Value 1' });
    expect(screen.queryByRole('textbox', { name: 'Message' })).toBeNull();
    expect((screen.getByRole('button', { name: 'Send' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(value, { target: { value: 'Polly' } });
    expect(screen.getByTestId('template-preview').textContent).toBe('Hello Polly, shall we talk?');
    fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    await waitFor(() =>
      expect(posted).toEqual([{ channel: 'pigeon', text: 'Hello Polly, shall we talk?', template: { name: 'come_back', language: 'en', params: ['Polly'] } }]),
    );
  });
});
