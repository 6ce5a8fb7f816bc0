import { cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { TimelineEntry } from './api';
import { I18nProvider } from './i18n';
import { TimelineItem } from './pages/TimelineItem';
import { SessionContext, type Session } from './session';

const session: Session = { user: { id: 'm1', name: 'Mia', role: 'manager' }, managers: [], managerName: () => null };

function show(entry: Partial<TimelineEntry>) {
  const full: TimelineEntry = { id: 'a1', kind: 'lead', channel: 'email', dealId: 'd1', actorId: null, occurredAt: '2026-11-23T10:00:00.000Z', payload: {}, ...entry };
  return render(
    <I18nProvider>
      <SessionContext.Provider value={session}>
        <ol>
          <TimelineItem entry={full} />
        </ol>
      </SessionContext.Provider>
    </I18nProvider>,
  );
}

afterEach(cleanup);

describe('TimelineItem: time truth and phones found in text (email area)', () => {
  it('shows the sender\'s claimed time as "sent at" beside the time we received it', () => {
    const { container } = show({ payload: { message: 'Call me', claimedAt: '2026-11-23T09:30:00.000Z' } });
    const claimed = container.querySelector('time.tl-claimed');
    expect(claimed?.getAttribute('dateTime')).toBe('2026-11-23T09:30:00.000Z');
    expect(claimed?.textContent).toMatch(/sent at|отправлено/);
  });

  it('says nothing extra when the claim matches the receipt or is missing', () => {
    expect(show({ payload: { claimedAt: '2026-11-23T10:00:20.000Z' } }).container.querySelector('time.tl-claimed')).toBeNull();
    cleanup();
    expect(show({ payload: {} }).container.querySelector('time.tl-claimed')).toBeNull();
  });

  it('marks a phone identity that was found in the message text', () => {
    const { container } = show({ kind: 'identity_added', payload: { identities: [{ kind: 'phone', value: '+79991234567' }], foundInText: true } });
    expect(container.querySelector('.tl-found-in-text')?.textContent).toMatch(/found in the message text|найден в тексте/);
  });
});
