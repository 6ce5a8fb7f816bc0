import { cleanup, fireEvent, render, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { I18nProvider } from './i18n';
import { renderTemplate, TemplatePicker } from './pages/TemplatePicker';

// WhatsApp after the 24-hour window (issue 17): the composer offers approved templates to fill in and send.
const TEMPLATES = [
  { name: 'callback_reminder', language: 'ru', text: 'Здравствуйте, {{1}}! Вы писали нам о {{2}}.', params: 2 },
  { name: 'hello_world', language: 'en_US', text: 'Welcome and congratulations!!', params: 0 },
];

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('TemplatePicker', () => {
  it('renders the body with the values in place, leaving unfilled placeholders', () => {
    expect(renderTemplate('Здравствуйте, {{1}}! Вы писали нам о {{ 2 }}.', ['Айгуль', 'доставке'])).toBe('Здравствуйте, Айгуль! Вы писали нам о доставке.');
    expect(renderTemplate('Hi {{1}} {{2}}', ['A', ' '])).toBe('Hi A {{2}}');
  });

  it('lists the channel\'s templates, asks for each value, previews and sends the template with its rendered text', async () => {
    const calls: Array<{ url: string; body: unknown }> = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string, init: RequestInit) => {
        calls.push({ url, body: init.body ? JSON.parse(String(init.body)) : undefined });
        const body = url.endsWith('/templates') ? TEMPLATES : { activityId: 'a1', channel: 'whatsapp', outboxId: 'o1', dealId: null };
        return new Response(JSON.stringify(body), { status: url.endsWith('/templates') ? 200 : 201, headers: { 'content-type': 'application/json' } });
      }),
    );
    const sent = vi.fn();
    const view = render(
      <I18nProvider>
        <TemplatePicker contactId="c1" channel="whatsapp" onSent={sent} />
      </I18nProvider>,
    );
    const select = await waitFor(() => view.getByRole('combobox'));
    expect(calls[0].url).toBe('/api/channels/whatsapp/templates');
    fireEvent.change(select, { target: { value: 'callback_reminder:ru' } });
    const inputs = view.getAllByRole('textbox');
    expect(inputs).toHaveLength(2);
    const send = view.getByRole('button');
    expect((send as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(inputs[0], { target: { value: 'Айгуль' } });
    fireEvent.change(inputs[1], { target: { value: 'доставке' } });
    expect(view.getByTestId('template-preview').textContent).toBe('Здравствуйте, Айгуль! Вы писали нам о доставке.');
    fireEvent.click(send);
    await waitFor(() => expect(sent).toHaveBeenCalled());
    expect(calls[1]).toEqual({
      url: '/api/contacts/c1/messages',
      body: { channel: 'whatsapp', text: 'Здравствуйте, Айгуль! Вы писали нам о доставке.', template: { name: 'callback_reminder', language: 'ru', params: ['Айгуль', 'доставке'] } },
    });
  });
});
