import type { CallEvent } from '@leadline/core';
import { z } from 'zod';

const phone = z.string().trim().max(40);

/** The documented payload (docs/telephony-generic-webhook.md). */
export const genericCallPayload = z
  .object({
    callId: z.string().trim().min(1).max(200),
    event: z.enum(['started', 'ringing', 'answered', 'completed', 'missed', 'recording']),
    direction: z.enum(['inbound', 'outbound']).default('inbound'),
    from: phone.nullish(),
    to: phone.nullish(),
    occurredAt: z.iso.datetime({ offset: true }).nullish(),
    sequence: z.number().int().min(0).nullish(),
    callerName: z.string().trim().max(200).nullish(),
    manager: z.object({ id: z.string().max(100).nullish(), phone: phone.nullish(), email: z.string().max(320).nullish() }).nullish(),
    answered: z.boolean().nullish(),
    durationSeconds: z.number().int().min(0).max(86_400).nullish(),
    status: z.string().trim().max(40).nullish(),
    recording: z.object({ id: z.string().trim().max(200).nullish(), url: z.url({ protocol: /^https?$/ }), durationSeconds: z.number().int().min(0).nullish() }).nullish(),
  })
  .refine((p) => p.event !== 'recording' || !!p.recording, { message: 'a recording event needs recording.url', path: ['recording'] });

export type GenericCallPayload = z.infer<typeof genericCallPayload>;

/** One PBX report → the core's call event. The event name (and the recording) is the dedupe key per call. */
export function mapGenericCall(p: GenericCallPayload): CallEvent {
  const recordingId = p.recording ? (p.recording.id ?? p.recording.url) : null;
  return {
    provider: 'generic',
    providerCallId: p.callId,
    type: p.event,
    eventKey: p.event === 'recording' ? `recording:${recordingId}` : `event:${p.event}`,
    direction: p.direction,
    from: p.from ?? null,
    to: p.to ?? null,
    occurredAt: p.occurredAt ? new Date(p.occurredAt) : undefined,
    sequence: p.sequence ?? null,
    status: p.status ?? (p.event === 'missed' ? 'no-answer' : p.event === 'answered' ? 'in-progress' : p.event),
    manager: p.manager ?? null,
    answered: p.answered ?? null,
    durationSeconds: p.durationSeconds ?? null,
    recording: p.recording ? { id: recordingId!, url: p.recording.url, durationSeconds: p.recording.durationSeconds ?? null, status: 'completed' } : null,
    raw: p,
  };
}
