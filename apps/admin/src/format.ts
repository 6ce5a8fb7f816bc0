import type { Pipeline, Stage, TimelineEntry } from './api';

/** The hub's built-in pipeline, used when the hub has no pipelines API (GET /api/pipelines → 404). */
export const DEFAULT_STAGES: Stage[] = [
  { key: 'new', name: 'New', position: 0, kind: 'open' },
  { key: 'first_contact', name: 'First contact', position: 1, kind: 'open' },
  { key: 'qualified', name: 'Qualified', position: 2, kind: 'open' },
  { key: 'proposal', name: 'Proposal', position: 3, kind: 'open' },
  { key: 'won', name: 'Won', position: 4, kind: 'won' },
  { key: 'lost', name: 'Lost', position: 5, kind: 'lost' },
];

/** Stages of the chosen pipeline (else the default one, else the first), in board order. */
export function boardStages(pipelines: Pipeline[] | null, pipelineId?: string): Stage[] {
  const p = pipelines?.find((x) => x.id === pipelineId) ?? pipelines?.find((x) => x.isDefault) ?? pipelines?.[0];
  if (!p || p.stages.length === 0) return DEFAULT_STAGES;
  return [...p.stages].sort((a, b) => a.position - b.position);
}

export const isLostStage = (s: Stage): boolean => s.kind === 'lost' || s.key === 'lost';

/** Appends a fetched page, dropping entries already shown (a new entry can shift the pages). */
export function appendPage<T extends { id: string }>(shown: T[], page: T[]): T[] {
  const seen = new Set(shown.map((x) => x.id));
  return [...shown, ...page.filter((x) => !seen.has(x.id))];
}

/** A fresh first page on top of what is shown: its entries win, older shown entries follow. */
export function mergeNewest<T extends { id: string }>(shown: T[] | null, newest: T[]): T[] {
  if (!shown) return newest;
  const ids = new Set(newest.map((x) => x.id));
  const oldestNew = newest.length ? shown.findIndex((x) => x.id === newest[newest.length - 1].id) : -1;
  // Keep only what lies beyond the fresh page (entries after its last one in the shown list).
  const rest = oldestNew >= 0 ? shown.slice(oldestNew + 1) : [];
  return [...newest, ...rest.filter((x) => !ids.has(x.id))];
}

/** 75 → "1:15", 3725 → "1:02:05". */
export function formatDuration(seconds: number | null | undefined): string {
  const s = Math.max(0, Math.round(Number(seconds) || 0));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

export type DueState = 'overdue' | 'today' | 'later';
export function dueState(dueAt: string, now: Date = new Date()): DueState {
  const due = new Date(dueAt);
  if (due < now) return 'overdue';
  const endOfDay = new Date(now);
  endOfDay.setHours(23, 59, 59, 999);
  return due <= endOfDay ? 'today' : 'later';
}

/** Form fields of a lead as label/value rows (what the visitor typed besides name/phone/email). */
export function leadFields(payload: Record<string, unknown>): Array<[string, string]> {
  const fields = payload.fields;
  if (!fields || typeof fields !== 'object') return [];
  return Object.entries(fields as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]);
}

export function leadUtm(payload: Record<string, unknown>): Array<[string, string]> {
  const source = payload.source as Record<string, unknown> | undefined;
  const utm = source?.utm as Record<string, unknown> | undefined;
  if (!utm || typeof utm !== 'object') return [];
  return Object.entries(utm).map(([k, v]) => [`utm_${k}`, String(v)]);
}

/** The text a timeline entry carries, if any (messages, notes). */
export function entryText(e: TimelineEntry): string | null {
  const p = e.payload;
  for (const k of ['text', 'message']) if (typeof p[k] === 'string' && p[k]) return p[k] as string;
  return null;
}
