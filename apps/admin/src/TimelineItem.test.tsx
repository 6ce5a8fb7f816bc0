import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { TimelineEntry } from './api';
import { I18nProvider } from './i18n';
import { TimelineItem } from './pages/TimelineItem';
import { SessionContext, type Session } from './session';

const session: Session = {
  user: { id: 'm1', name: 'Mia', role: 'manager' },
  managers: [],
  managerName: (id) => (id === 'm1' ? 'Mia' : null),
};

function show(entry: Partial<TimelineEntry>) {
  const full: TimelineEntry = { id: 'a1', kind: 'lead', channel: 'web_form', dealId: 'd1', actorId: null, occurredAt: '2026-11-23T10:00:00.000Z', payload: {}, ...entry };
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

describe('TimelineItem', () => {
  it('shows a form submission with its fields and UTM tags under labels, empty fields left out', () => {
    show({ payload: { name: 'Anna', message: 'Call me', fields: { city: 'Samarkand', comment: '', shoe_size: '42' }, source: { utm: { source: 'google' } } } });
    expect(screen.getByText('Form submission')).toBeTruthy();
    expect(screen.getByText('Call me')).toBeTruthy();
    expect(screen.getByText('City')).toBeTruthy();
    expect(screen.getByText('Samarkand')).toBeTruthy();
    expect(screen.getByText('Ad source')).toBeTruthy();
    expect(screen.queryByText('utm_source')).toBeNull();
    expect(screen.getByText('google')).toBeTruthy();
    expect(screen.getByText('Shoe size')).toBeTruthy();
    expect(screen.queryByText('Comment')).toBeNull();
  });

  it('renders system notes from their code in the reader’s language, and a task result', () => {
    show({ kind: 'note', payload: { text: '1 open task(s) cancelled: deal lost', code: 'tasks_cancelled_closed', params: { count: 1, outcome: 'lost' } } });
    expect(screen.getByText('Open tasks cancelled: 1 (deal Lost)')).toBeTruthy();
    show({ kind: 'task_done', payload: { kind: 'callback', result: 'wrong_number' } });
    expect(screen.getByText('Wrong number')).toBeTruthy();
    expect(screen.getByText('Call back the client')).toBeTruthy();
  });

  it('renders script payloads in names and texts as inert text', () => {
    const evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
    const { container } = show({ kind: 'message_in', channel: 'telegram', payload: { name: evil, text: evil, subject: evil } });
    expect(container.querySelector('script')).toBeNull();
    expect(container.querySelector('img')).toBeNull();
    expect(container.textContent).toContain('<script>window.__pwned=2</script>');
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
  });

  it('shows email HTML only in a sandboxed iframe from the sanitising endpoint', async () => {
    const { container } = show({ kind: 'message_in', channel: 'email', payload: { subject: 'Hi', text: 'plain', details: { messageId: '<m@x>' } } });
    screen.getByText('Show email').click();
    const frame = await screen.findByTitle('Hi');
    expect(frame.getAttribute('sandbox')).toBe('');
    expect(frame.getAttribute('src')).toBe('/api/activities/a1/html');
    expect(container.innerHTML).not.toContain('srcdoc');
  });

  it('shows a call with status, duration and a recording player', () => {
    const { container } = show({ kind: 'call_in', channel: 'phone', payload: { callId: 'c1', status: 'completed', durationSeconds: 95, recording: { durationSeconds: 90, url: '/api/calls/c1/recording' } } });
    expect(screen.getByText(/1:35/)).toBeTruthy();
    expect(container.querySelector('audio')?.getAttribute('src')).toBe('/api/calls/c1/recording');
  });

  it('shows stage changes with the lost reason and assignments with their reason', () => {
    show({ kind: 'stage_changed', payload: { from: 'new', to: 'lost', lostReason: 'too expensive' } });
    expect(screen.getByText('Lost')).toBeTruthy();
    expect(screen.getByText('Reason: too expensive')).toBeTruthy();
    cleanup();
    show({ kind: 'assigned', payload: { managerId: 'm1', managerName: 'Mia', reason: 'round robin' } });
    expect(screen.getByText(/Reason: round robin/)).toBeTruthy();
  });
});
