import { cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { TimelineEntry } from './api';
import { I18nProvider } from './i18n';
import { TimelineItem } from './pages/TimelineItem';
import { SessionContext, type Session } from './session';

// WhatsApp entries (issue 17, inbound): files are shown through the hub like Telegram's.
const session: Session = { user: { id: 'm1', name: 'Mia', role: 'manager' }, managers: [], managerName: () => null };

function show(media: Record<string, unknown>) {
  const entry: TimelineEntry = {
    id: 'a7',
    kind: 'message_in',
    channel: 'whatsapp',
    dealId: 'd1',
    actorId: null,
    occurredAt: '2026-12-06T10:00:00.000Z',
    payload: { message: 'Вот такой диван', details: { type: media.type, media } },
  };
  return render(
    <I18nProvider>
      <SessionContext.Provider value={session}>
        <ol>
          <TimelineItem entry={entry} />
        </ol>
      </SessionContext.Provider>
    </I18nProvider>,
  );
}

afterEach(cleanup);

describe('TimelineItem: WhatsApp files', () => {
  it('shows a WhatsApp image inline from the hub media route, and a document as a download link', () => {
    const image = show({ type: 'image', id: '1043225387213416', mimeType: 'image/jpeg' });
    expect(image.container.querySelector('img.media')?.getAttribute('src')).toBe('/api/activities/a7/media');
    cleanup();
    const doc = show({ type: 'document', id: '2256911731357410', fileName: 'ТЗ кухня.pdf' });
    const link = doc.container.querySelector('a[href="/api/activities/a7/media"]');
    expect(link?.textContent).toBe('ТЗ кухня.pdf');
    cleanup();
    const voice = show({ type: 'voice', id: '871349834836612' });
    expect(voice.container.querySelector('audio')?.getAttribute('src')).toBe('/api/activities/a7/media');
  });
});
