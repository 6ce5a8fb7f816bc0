import { barLength, sharePoints } from './reports';

/** Horizontal bars as inline SVG (attributes only: the admin CSP forbids inline styles). */
export function BarChart({ rows, label, testId }: { rows: Array<{ key: string; label: string; value: number; note?: string }>; label: string; testId?: string }) {
  const max = Math.max(0, ...rows.map((r) => r.value));
  const rowH = 26;
  const labelW = 150;
  const barW = 220;
  const width = labelW + barW + 90;
  const height = Math.max(rowH, rows.length * rowH);
  return (
    <svg className="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label} data-testid={testId}>
      {rows.map((r, i) => (
        <g key={r.key} transform={`translate(0 ${i * rowH})`}>
          <text x={0} y={rowH / 2 + 4} className="chart-label">
            {r.label.length > 22 ? `${r.label.slice(0, 21)}…` : r.label}
          </text>
          <rect x={labelW} y={4} width={barW} height={rowH - 8} className="chart-track" rx={3} />
          <rect x={labelW} y={4} width={barLength(r.value, max, barW)} height={rowH - 8} className="chart-bar" rx={3} />
          <text x={labelW + barW + 6} y={rowH / 2 + 4} className="chart-value">
            {r.note ? `${r.value} · ${r.note}` : String(r.value)}
          </text>
        </g>
      ))}
    </svg>
  );
}

/** Daily shares 0..1 as bars with a line through them; days without leads are left empty. */
export function ShareChart({ days, label, testId }: { days: Array<{ date: string; share: number | null }>; label: string; testId?: string }) {
  const width = 480;
  const height = 120;
  const pad = 4;
  const plotH = height - pad * 2;
  const slot = days.length ? width / days.length : width;
  const points = sharePoints(
    days.map((d) => d.share),
    width - slot,
    plotH,
  );
  return (
    <svg className="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label} data-testid={testId}>
      <line x1={0} x2={width} y1={pad} y2={pad} className="chart-grid" />
      <line x1={0} x2={width} y1={pad + plotH / 2} y2={pad + plotH / 2} className="chart-grid" />
      <line x1={0} x2={width} y1={height - pad} y2={height - pad} className="chart-grid" />
      {days.map((d, i) =>
        d.share === null ? null : (
          <rect key={d.date} x={i * slot + slot * 0.15} width={Math.max(1, slot * 0.7)} y={pad + (1 - d.share) * plotH} height={d.share * plotH} className="chart-bar chart-bar-soft">
            <title>{`${d.date}: ${Math.round(d.share * 100)}%`}</title>
          </rect>
        ),
      )}
      {points.length > 1 && (
        <polyline className="chart-line" fill="none" points={points.map((p) => `${p.x + slot / 2},${p.y + pad}`).join(' ')} />
      )}
    </svg>
  );
}
