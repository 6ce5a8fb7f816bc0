// Types only at load: the library itself (~25 MB of memory) is loaded on the first spreadsheet import.
import type ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { DomainError } from '../errors/domain-error';
import { normalizeEmail } from '../identity/email';
import { looksLikePhone } from '../identity/phone';
import { readCsvRecords } from './csv-reader';

/** A spreadsheet as rows of text under named columns. */
export interface ImportTable {
  format: 'csv' | 'xlsx';
  /** CSV only. */
  encoding?: 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1251';
  delimiter?: ',' | ';' | '\t';
  headers: string[];
  /** Data rows (without the header), each as long as `headers`. */
  rows: string[][];
  /** Spreadsheet row number of each data row (the header is row 1), for messages that point at the file. */
  rowNumbers: number[];
}

export const MAX_IMPORT_ROWS = 200_000;

const bad = (message: string): DomainError => DomainError.invalid(message, { file: message });

/** XLSX (and any OOXML) is a ZIP archive. */
const isZip = (buf: Buffer) => buf.length >= 4 && buf[0] === 0x50 && buf[1] === 0x4b && buf[2] === 0x03 && buf[3] === 0x04;

/** Reads an uploaded CSV or XLSX. Anything unreadable is a 400 naming `file` with what is wrong. */
export async function readImportFile(buf: Buffer, declared: 'csv' | 'xlsx' | null): Promise<ImportTable> {
  if (!buf.length) throw bad('the file is empty');
  if (declared === 'xlsx' || isZip(buf)) {
    if (!isZip(buf)) throw bad('the file is not an XLSX workbook (an .xlsx file is a ZIP archive; this one is not)');
    return readXlsx(buf);
  }
  return readCsv(buf);
}

export function decodeText(buf: Buffer): { text: string; encoding: NonNullable<ImportTable['encoding']> } {
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return { text: buf.subarray(3).toString('utf8'), encoding: 'utf-8' };
  if (buf[0] === 0xff && buf[1] === 0xfe) return { text: iconv.decode(buf.subarray(2), 'utf-16le'), encoding: 'utf-16le' };
  if (buf[0] === 0xfe && buf[1] === 0xff) return { text: iconv.decode(buf.subarray(2), 'utf-16be'), encoding: 'utf-16be' };
  const head = buf.subarray(0, 64 * 1024);
  if (head.includes(0)) throw bad('the file is binary, not CSV text (save the spreadsheet as CSV or XLSX)');
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(buf), encoding: 'utf-8' };
  } catch {
    // Not UTF-8: the other encoding Russian spreadsheets are saved in is windows-1251. Accept it only when
    // the bytes above ASCII read as Cyrillic text, so a file in some other encoding is refused, not garbled.
    const text = iconv.decode(buf, 'windows-1251');
    const high = text.match(/[^\x00-\x7f]/g) ?? [];
    const cyrillic = high.filter((ch) => /[А-Яа-яЁё№«»—–…]/.test(ch)).length;
    if (high.length && cyrillic / high.length >= 0.8) return { text, encoding: 'windows-1251' };
    throw bad('the file is neither UTF-8 nor windows-1251 text: save it as "CSV UTF-8"');
  }
}

/** The separator used most in the first line outside quotes: , ; or tab. */
export function detectDelimiter(text: string): ',' | ';' | '\t' {
  const counts = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const ch of text.slice(0, 64 * 1024)) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && ch in counts) counts[ch as keyof typeof counts]++;
  }
  const best = (Object.keys(counts) as Array<keyof typeof counts>).sort((a, b) => counts[b] - counts[a])[0];
  return counts[best] > 0 ? best : ',';
}

function readCsv(buf: Buffer): ImportTable {
  const { text, encoding } = decodeText(buf);
  const delimiter = detectDelimiter(text);
  let parsed: ReturnType<typeof readCsvRecords>;
  try {
    parsed = readCsvRecords(text, delimiter);
  } catch (err) {
    throw bad(`the CSV could not be read: ${(err as Error).message}`);
  }
  return toTable('csv', parsed.records, parsed.lines, { encoding, delimiter });
}

function cellText(v: ExcelJS.CellValue): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString().slice(0, v.getUTCHours() || v.getUTCMinutes() ? 16 : 10).replace('T', ' ');
  if (typeof v === 'object') {
    if ('richText' in v && Array.isArray(v.richText)) return v.richText.map((r) => r.text).join('');
    if ('text' in v && v.text !== undefined) return cellText(v.text as ExcelJS.CellValue);
    if ('result' in v) return cellText((v as { result?: ExcelJS.CellValue }).result ?? null);
    if ('error' in v) return '';
    return '';
  }
  if (typeof v === 'number') return Number.isInteger(v) ? v.toFixed(0) : String(v);
  return String(v);
}

async function readXlsx(buf: Buffer): Promise<ImportTable> {
  const { default: Excel } = await import('exceljs');
  const wb = new Excel.Workbook();
  try {
    await wb.xlsx.load(buf as unknown as ExcelJS.Buffer);
  } catch (err) {
    throw bad(`the XLSX workbook is broken and could not be read (${(err as Error).message.slice(0, 200)})`);
  }
  const sheet = wb.worksheets.find((ws) => ws.actualRowCount > 0);
  if (!sheet) throw bad('the workbook has no sheet with data');
  const records: string[][] = [];
  const numbers: number[] = [];
  sheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    const values = row.values as ExcelJS.CellValue[];
    const cells: string[] = [];
    for (let c = 1; c < values.length; c++) cells.push(cellText(values[c]).trim());
    if (cells.some((v) => v !== '')) {
      records.push(cells);
      numbers.push(rowNumber);
    }
  });
  return toTable('xlsx', records, numbers, {});
}

function toTable(format: ImportTable['format'], records: string[][], numbers: number[], extra: Partial<ImportTable>): ImportTable {
  const nonEmpty = records.map((r, i) => [r, numbers[i]] as const).filter(([r]) => r.some((v) => (v ?? '').trim() !== ''));
  if (!nonEmpty.length) throw bad('the file has no rows');
  const [headerRow, headerNumber] = nonEmpty[0];
  const raw = headerRow.map((h) => (h ?? '').trim());
  const dataLike = raw.filter((h) => h && (normalizeEmail(h) || (looksLikePhone(h) && /\d{6,}/.test(h.replace(/\D/g, '')))));
  if (dataLike.length || raw.every((h) => h === '' || /^[\d\s.,+-]+$/.test(h))) {
    throw bad(`row ${headerNumber} should name the columns (Name, Phone, Email…) but looks like data${dataLike.length ? ` ("${dataLike[0]}")` : ''}: add a header row`);
  }
  const seen = new Map<string, number>();
  const headers = raw.map((h, i) => {
    const base = h || `Column ${i + 1}`;
    const n = (seen.get(base.toLowerCase()) ?? 0) + 1;
    seen.set(base.toLowerCase(), n);
    return n === 1 ? base : `${base} (${n})`;
  });
  const data = nonEmpty.slice(1);
  if (!data.length) throw bad('the file has a header row but no data rows');
  if (data.length > MAX_IMPORT_ROWS) throw bad(`the file has ${data.length} rows; at most ${MAX_IMPORT_ROWS} are imported at once`);
  const width = headers.length;
  return {
    format,
    ...extra,
    headers,
    rows: data.map(([r]) => Array.from({ length: width }, (_, i) => (r[i] ?? '').trim())),
    rowNumbers: data.map(([, n]) => n),
  };
}
