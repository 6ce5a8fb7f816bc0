import { nextDeliveryStatus } from './delivery-status';
import { serviceWindow } from './service-window';

describe('nextDeliveryStatus (provider reports arrive out of order and more than once)', () => {
  it('moves forward only: sent → delivered → read', () => {
    expect(nextDeliveryStatus('queued', 'sent')).toBe('sent');
    expect(nextDeliveryStatus(null, 'sent')).toBe('sent');
    expect(nextDeliveryStatus('sent', 'delivered')).toBe('delivered');
    expect(nextDeliveryStatus('delivered', 'read')).toBe('read');
  });

  it('ignores a step that comes after a later one (delivered before sent, read before delivered) and repeats', () => {
    expect(nextDeliveryStatus('delivered', 'sent')).toBeNull();
    expect(nextDeliveryStatus('read', 'delivered')).toBeNull();
    expect(nextDeliveryStatus('read', 'sent')).toBeNull();
    expect(nextDeliveryStatus('sent', 'sent')).toBeNull();
    expect(nextDeliveryStatus('sent', 'read')).toBe('read');
  });

  it('fails a message that has not reached the client; a failure report cannot undo a delivery', () => {
    expect(nextDeliveryStatus('sent', 'failed')).toBe('failed');
    expect(nextDeliveryStatus('queued', 'failed')).toBe('failed');
    expect(nextDeliveryStatus('failed', 'failed')).toBeNull();
    expect(nextDeliveryStatus('delivered', 'failed')).toBeNull();
    expect(nextDeliveryStatus('read', 'failed')).toBeNull();
    // Reported delivered after a failure: it did reach the phone.
    expect(nextDeliveryStatus('failed', 'delivered')).toBe('delivered');
    expect(nextDeliveryStatus('failed', 'sent')).toBeNull();
  });
});

describe('serviceWindow (WhatsApp 24-hour customer-service window)', () => {
  const wrote = new Date('2026-12-06T10:00:00Z');

  it('is open for 24 hours after the client last wrote, to the millisecond', () => {
    expect(serviceWindow(wrote, new Date('2026-12-06T10:00:00Z'))).toMatchObject({ open: true, closesAt: new Date('2026-12-07T10:00:00Z'), reason: null });
    expect(serviceWindow(wrote, new Date('2026-12-07T09:59:59.999Z')).open).toBe(true);
    const closed = serviceWindow(wrote, new Date('2026-12-07T10:00:00Z'));
    expect(closed.open).toBe(false);
    expect(closed.reason).toMatch(/more than 24 hours.*template/);
  });

  it('is closed when the client never wrote on WhatsApp', () => {
    expect(serviceWindow(null, wrote)).toMatchObject({ open: false, closesAt: null });
    expect(serviceWindow(null, wrote).reason).toMatch(/has not written/);
  });
});
