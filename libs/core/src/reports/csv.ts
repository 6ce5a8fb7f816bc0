/** CSV for spreadsheets: RFC 4180 quoting, CRLF rows, and cells that a spreadsheet would run as a formula defused. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : String(value);
  // A text cell starting with = + - @ is a formula in Excel/LibreOffice (CSV injection); numbers and phone
  // numbers ("+7 912 …", several separated by spaces) stay as they are.
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s) && !/^[+-]?[\d\s().+-]+$/.test(s)) s = `'${s}`;
  return /[",\r\n;]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(values: unknown[]): string {
  return values.map(csvCell).join(',') + '\r\n';
}

export function toCsv(header: string[], rows: unknown[][]): string {
  return csvLine(header) + rows.map(csvLine).join('');
}
