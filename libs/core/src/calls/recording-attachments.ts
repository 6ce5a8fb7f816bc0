import type { EntityManager } from 'typeorm';
import type { CallEvent } from './call-event';
import { recordingPayload, type CallRow } from './call-queries';
import { execute } from '../database/query-rows';

/**
 * Attaches a provider's recording to its call and to the call's timeline entry (when the call has
 * ended already; otherwise the entry is written with it). A recording that failed or is absent only
 * marks the call, never replaces a recording already attached.
 */
export async function attachRecording(em: EntityManager, call: CallRow, recording: NonNullable<CallEvent['recording']>): Promise<void> {
  const status = recording.status ?? 'completed';
  if (status !== 'completed') {
    await execute(em, `UPDATE call SET recording_status = $2, updated_at = now() WHERE id = $1 AND recording_url IS NULL`, [call.id, status]);
    return;
  }
  await execute(
    em,
    `UPDATE call SET recording_sid = $2, recording_url = $3, recording_duration_seconds = $4, recording_status = 'completed', updated_at = now() WHERE id = $1`,
    [call.id, recording.id, recording.url, recording.durationSeconds],
  );
  call.recording_sid = recording.id;
  call.recording_url = recording.url;
  call.recording_duration_seconds = recording.durationSeconds;
  call.recording_status = 'completed';
  if (call.activity_id) {
    await execute(em, `UPDATE activity SET payload = payload || $2::jsonb WHERE id = $1`, [call.activity_id, JSON.stringify({ recording: recordingPayload(call) })]);
  }
}
