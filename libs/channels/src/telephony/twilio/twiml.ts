import type { CallTarget } from '@leadline/core';
import { twilioSdk } from './twilio-sdk';

/** What the TwiML answers need besides the call itself. */
export interface TwimlSettings {
  publicUrl: string;
  ringSeconds: number;
  record: boolean;
  voiceLocale: 'ru-RU' | 'en-US';
  afterHoursMessage: string | null;
  companyNumber: string | null;
}

const VOICES = { 'ru-RU': 'Polly.Tatyana', 'en-US': 'Polly.Joanna' } as const;

const TEXT = {
  'ru-RU': {
    afterHours: 'Спасибо за звонок. Сейчас мы не работаем. Оставьте сообщение после сигнала, и мы вам перезвоним.',
    voicemail: 'Сейчас никто не может ответить. Оставьте сообщение после сигнала, и мы вам перезвоним.',
  },
  'en-US': {
    afterHours: 'Thank you for calling. We are closed now. Please leave a message after the tone and we will call you back.',
    voicemail: 'Nobody can take your call right now. Please leave a message after the tone and we will call you back.',
  },
} as const;

const VOICEMAIL_MAX_SECONDS = 120;

function url(s: TwimlSettings, path: string, query: Record<string, string | number>): string {
  const q = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString();
  return `${s.publicUrl}${path}${q ? `?${q}` : ''}`;
}

function recordingCallback(s: TwimlSettings): string {
  return url(s, '/api/inbound/twilio/recording', {});
}

/**
 * Rings one manager (leg `leg` of the hunt list). Each leg is its own <Dial> whose action reports how
 * it ended, so the hub knows who answered and decides the next leg or voicemail.
 */
export function dialLegTwiml(s: TwimlSettings, callId: string, leg: number, target: CallTarget, callerId: string | null): string {
  const r = new (twilioSdk().twiml.VoiceResponse)();
  const dial = r.dial({
    action: url(s, '/api/inbound/twilio/dial', { callId, leg }),
    method: 'POST',
    timeout: s.ringSeconds,
    ...(callerId ? { callerId } : {}),
    ...(s.record ? { record: 'record-from-answer' as const, recordingStatusCallback: recordingCallback(s), recordingStatusCallbackEvent: ['completed', 'absent'] as never } : {}),
  });
  dial.number(target.phone);
  return r.toString();
}

/**
 * Rings every target at once (up to ten <Number>s, Twilio's limit): the first phone to pick up is
 * bridged and the others stop ringing. Each <Number> reports its "answered" to the leg callback (child
 * CallSid + the manager's phone as To), and the Dial action names the bridged leg (DialCallSid), so
 * the hub knows who answered.
 */
export function dialAllTwiml(s: TwimlSettings, callId: string, targets: CallTarget[], callerId: string | null): string {
  const r = new (twilioSdk().twiml.VoiceResponse)();
  const dial = r.dial({
    action: url(s, '/api/inbound/twilio/dial', { callId, leg: 0 }),
    method: 'POST',
    timeout: s.ringSeconds,
    ...(callerId ? { callerId } : {}),
    ...(s.record ? { record: 'record-from-answer' as const, recordingStatusCallback: recordingCallback(s), recordingStatusCallbackEvent: ['completed', 'absent'] as never } : {}),
  });
  for (const target of targets.slice(0, 10)) {
    dial.number({ statusCallback: url(s, '/api/inbound/twilio/leg', { callId }), statusCallbackMethod: 'POST', statusCallbackEvent: ['answered'] as never }, target.phone);
  }
  return r.toString();
}

/** The caller leaves a message; the recording is attached to the call. */
export function voicemailTwiml(s: TwimlSettings, callId: string, message: 'afterHours' | 'voicemail'): string {
  const r = new (twilioSdk().twiml.VoiceResponse)();
  const text = message === 'afterHours' ? (s.afterHoursMessage ?? TEXT[s.voiceLocale].afterHours) : TEXT[s.voiceLocale].voicemail;
  r.say({ voice: VOICES[s.voiceLocale], language: s.voiceLocale }, text);
  r.record({
    action: url(s, '/api/inbound/twilio/voicemail', { callId }),
    method: 'POST',
    maxLength: VOICEMAIL_MAX_SECONDS,
    playBeep: true,
    recordingStatusCallback: recordingCallback(s),
    recordingStatusCallbackEvent: ['completed', 'absent'] as never,
  });
  r.hangup();
  return r.toString();
}

/** Click-to-call, once the manager picked up: connect them to the contact, showing the company number. */
export function outboundBridgeTwiml(s: TwimlSettings, callId: string, contactPhone: string): string {
  const r = new (twilioSdk().twiml.VoiceResponse)();
  const dial = r.dial({
    action: url(s, '/api/inbound/twilio/dial', { callId, leg: 0 }),
    method: 'POST',
    timeout: s.ringSeconds,
    ...(s.companyNumber ? { callerId: s.companyNumber } : {}),
    ...(s.record ? { record: 'record-from-answer' as const, recordingStatusCallback: recordingCallback(s), recordingStatusCallbackEvent: ['completed', 'absent'] as never } : {}),
  });
  dial.number(contactPhone);
  return r.toString();
}

export function hangupTwiml(): string {
  const r = new (twilioSdk().twiml.VoiceResponse)();
  r.hangup();
  return r.toString();
}
