import type { EntityManager } from 'typeorm';
import { execute } from '../database/query-rows';

/**
 * The contact activity touch: anything that happens with a contact (a lead, a message either way, a
 * note, a call) moves its last activity to that moment — never back, since events can be recorded
 * out of order (a call's end reported after a later message). Contacts lists sort by it.
 *
 * The SET clause for a statement that updates `contact` anyway (the intake's batched write); `at` is
 * the SQL placeholder holding the moment.
 */
export function contactTouchSet(at: string): string {
  return `last_activity_at = GREATEST(last_activity_at, ${at}), updated_at = now()`;
}

/** The touch on its own, in the caller's transaction. */
export async function touchContact(em: Pick<EntityManager, 'query'>, contactId: string, at: Date): Promise<void> {
  await execute(em, `UPDATE contact SET ${contactTouchSet('$2')} WHERE id = $1`, [contactId, at]);
}
