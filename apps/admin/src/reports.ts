/** Report URLs, chart scaling and number formatting for the reports pages (pure, unit-tested). */

export type ReportKind = 'funnel' | 'sources' | 'managers' | 'sla';

export interface ReportFilters {
  from: string;
  to: string;
  ownerId: string;
  channel: string;
  pipelineId: string;
}

export const EMPTY_FILTERS: ReportFilters = { from: '', to: '', ownerId: '', channel: '', pipelineId: '' };

/**
 * GET /api/reports/<kind> with the non-empty filters; `csv` adds format=csv (a download over the session
 * cookie) with the column titles in `lang`, the UI's language.
 */
export function reportUrl(kind: ReportKind, f: ReportFilters, csv = false, lang?: 'en' | 'ru'): string {
  const params = new URLSearchParams();
  if (f.from) params.set('from', f.from);
  if (f.to) params.set('to', f.to);
  if (f.ownerId) params.set('ownerId', f.ownerId);
  if (f.channel) params.set('channel', f.channel);
  if (f.pipelineId && kind === 'funnel') params.set('pipelineId', f.pipelineId);
  if (csv) params.set('format', 'csv');
  if (csv && lang) params.set('lang', lang);
  const qs = params.toString();
  return `/api/reports/${kind}${qs ? `?${qs}` : ''}`;
}

/** Bar length in chart units for `value` against the largest value (0 when nothing to scale by; a non-zero value shows at least 1 unit). */
export function barLength(value: number, max: number, full: number): number {
  if (!(max > 0) || !(value > 0)) return 0;
  return Math.max(1, Math.round((Math.min(value, max) / max) * full * 10) / 10);
}

/** A share 0..1 as "42%" (one decimal below 10%); null → "—". */
export function percent(share: number | null | undefined): string {
  if (share === null || share === undefined || Number.isNaN(share)) return '—';
  const p = share * 100;
  return `${p !== 0 && Math.abs(p) < 10 ? p.toFixed(1) : Math.round(p)}%`;
}

/** Seconds as "45s", "3m 05s", "2h 10m"; null → "—". */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Points of a polyline for daily shares (null days are skipped), x spread over `width`, y = 0 at the bottom of `height`. */
export function sharePoints(shares: Array<number | null>, width: number, height: number): Array<{ x: number; y: number; i: number }> {
  const step = shares.length > 1 ? width / (shares.length - 1) : 0;
  const out: Array<{ x: number; y: number; i: number }> = [];
  shares.forEach((s, i) => {
    if (s === null) return;
    const clamped = Math.max(0, Math.min(1, s));
    out.push({ x: Math.round(i * step * 10) / 10, y: Math.round((1 - clamped) * height * 10) / 10, i });
  });
  return out;
}
