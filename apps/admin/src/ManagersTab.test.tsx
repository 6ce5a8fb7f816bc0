import { cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { Manager } from './api';
import { I18nProvider } from './i18n';
import { TelegramLink } from './pages/settings/ManagersTab';

// "Linked" comes from the managers API's generic `bindings` (issue 16), not a Telegram column.
const manager = (bindings: Manager['bindings']): Manager => ({
  id: 'm1',
  name: 'Oleg',
  email: 'oleg@example.com',
  role: 'manager',
  phone: null,
  active: true,
  available: true,
  capacity: null,
  weight: 1,
  timezone: 'UTC',
  locale: 'en',
  shift: null,
  receivesLeads: true,
  createdAt: '2026-12-01T09:00:00.000Z',
  updatedAt: '2026-12-01T09:00:00.000Z',
  openDeals: 0,
  onShift: true,
  receivingLeads: true,
  bindings,
});

const show = (m: Manager) =>
  render(
    <I18nProvider>
      <TelegramLink manager={m} />
    </I18nProvider>,
  );

describe('TelegramLink', () => {
  afterEach(cleanup);

  it('shows "Linked" for a manager with a Telegram binding', () => {
    const { container } = show(manager([{ channel: 'telegram', label: '@oleg_sales', linkedAt: '2026-12-07T01:00:00.000Z' }]));
    expect(container.querySelector('.pill.ok')?.textContent).toMatch(/^(Linked|Привязан)$/);
  });

  it('shows no pill without one, or with only another channel’s binding', () => {
    expect(show(manager([])).container.querySelector('.pill.ok')).toBeNull();
    cleanup();
    expect(show(manager([{ channel: 'vk', label: null, linkedAt: null }])).container.querySelector('.pill.ok')).toBeNull();
  });
});
