import type { DeliveryStatusUpdate } from '@leadline/core';
import { whatsappErrorMeaning } from './whatsapp-errors';
import type { WaStatus } from './whatsapp-payload';
import { WHATSAPP_CHANNEL } from './whatsapp.options';

const STATUSES = ['sent', 'delivered', 'read', 'failed'] as const;

/**
 * One `statuses[]` item of a delivery (a message the business sent: sent, delivered, read, failed
 * with `errors[]`) → the update for the timeline, or null for what we do not track (e.g. `deleted`,
 * `warning`, or an item without an id). Pure.
 */
export function mapWhatsAppStatus(status: WaStatus): DeliveryStatusUpdate | null {
  const id = typeof status?.id === 'string' && status.id ? status.id : null;
  const name = (STATUSES as readonly string[]).includes(String(status?.status)) ? (status.status as (typeof STATUSES)[number]) : null;
  if (!id || !name) return null;
  const seconds = Number(status.timestamp);
  const update: DeliveryStatusUpdate = { channel: WHATSAPP_CHANNEL, providerMessageId: id, status: name, at: Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000) : new Date() };
  if (name === 'failed') {
    const error = Array.isArray(status.errors) ? status.errors[0] : undefined;
    const meaning = whatsappErrorMeaning(error?.code ?? null, error?.error_data?.details ?? error?.message ?? error?.title ?? null);
    update.failure = { state: meaning.state, code: typeof error?.code === 'number' ? String(error.code) : null, reason: meaning.reason };
  }
  return update;
}
