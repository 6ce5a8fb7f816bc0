import type { EntityManager } from 'typeorm';
import { normalizeEmail } from '../identity/email';
import { normalizePhone } from '../identity/phone';
import type { CallManagerRef } from './call-event';
import { queryRow } from '../database/query-rows';

const UUID = /^[0-9a-f-]{36}$/i;

/** The manager a provider names (our id, the phone in their profile, or their login email); null when none matches. */
export async function resolveCallManager(em: EntityManager, ref: CallManagerRef | null | undefined, phoneRegion: string): Promise<string | null> {
  if (!ref) return null;
  if (ref.id && UUID.test(ref.id)) {
    const m = await queryRow<{ id: string }>(em, `SELECT id FROM manager WHERE id = $1`, [ref.id]);
    if (m) return m.id;
  }
  const phone = normalizePhone(ref.phone, phoneRegion);
  if (phone) {
    const m = await queryRow<{ id: string }>(em, `SELECT id FROM manager WHERE phone = $1 ORDER BY active DESC LIMIT 1`, [phone]);
    if (m) return m.id;
  }
  const email = normalizeEmail(ref.email ?? '');
  if (email) {
    const m = await queryRow<{ id: string }>(em, `SELECT id FROM manager WHERE email = $1`, [email]);
    if (m) return m.id;
  }
  return null;
}
