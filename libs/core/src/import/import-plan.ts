import { DEAL_STAGES, type DealStage } from '../deals/pipeline';
import { normalizeEmail } from '../identity/email';
import { normalizePhone } from '../identity/phone';
import type { ImportTable } from './import-file';
import type { ImportMapping } from './import-mapping';

export interface ImportDeal {
  row: number;
  title: string | null;
  amount: number | null;
  stage: DealStage;
}

/** One person of the file: a row, or several rows sharing a phone or email (merged). */
export interface ImportGroup {
  rows: number[];
  name: string | null;
  phones: string[];
  emails: string[];
  company: string | null;
  ownerId: string | null;
  tags: string[];
  notes: Array<{ row: number; text: string }>;
  deals: ImportDeal[];
}

export type RowOutcome =
  | { row: number; outcome: 'created'; contactId?: string }
  | { row: number; outcome: 'merged'; contactId?: string; mergedIntoRow?: number; reason: string }
  | { row: number; outcome: 'skipped'; reason: string };

const STAGE_WORDS: Record<string, DealStage> = {};
const stageKey = (s: string) => s.toLowerCase().replace(/ё/g, 'е').replace(/[\s_-]+/g, ' ').trim();
for (const [stage, words] of Object.entries({
  new: ['new', 'новая', 'новый', 'новое', 'неразобранное', 'неразобранные'],
  first_contact: ['first contact', 'contacted', 'первичный контакт', 'первый контакт', 'контакт установлен'],
  qualified: ['qualified', 'qualification', 'квалифицирован', 'квалифицирована', 'квалификация', 'переговоры', 'negotiation'],
  proposal: ['proposal', 'offer', 'quote', 'предложение', 'кп', 'коммерческое предложение', 'отправлено кп'],
  won: ['won', 'closed won', 'success', 'выиграна', 'выиграно', 'успешно', 'успешно реализовано', 'оплачено', 'продажа'],
  lost: ['lost', 'closed lost', 'проиграна', 'проиграно', 'отказ', 'закрыто и не реализовано', 'не реализовано'],
} as Record<DealStage, string[]>)) {
  for (const w of [stage, ...words]) STAGE_WORDS[stageKey(w)] = stage as DealStage;
}

export function parseStage(input: string): DealStage | null {
  return STAGE_WORDS[stageKey(input)] ?? null;
}

/** "1 234,56 ₽", "1,234.56", "$1500" → number; null when it is not an amount. */
export function parseAmount(input: string): number | null {
  let s = input.replace(/[\s\u00a0\u202f']/g, '').replace(/(руб\.?|р\.|₽|\$|€|usd|eur|rub)/gi, '');
  if (!s) return null;
  if (/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(s)) s = s.replace(/,/g, '');
  else if (/^\d+,\d{1,2}$/.test(s)) s = s.replace(',', '.');
  if (!/^\d+(\.\d+)?$/.test(s)) return null;
  const n = Number(s);
  return n <= 999_999_999_999 ? Math.round(n * 100) / 100 : null;
}

const splitList = (v: string) => v.split(/[,;\n|]/).map((s) => s.trim()).filter(Boolean);

class UnionFind {
  private parent: number[] = [];
  add(): number {
    this.parent.push(this.parent.length);
    return this.parent.length - 1;
  }
  find(i: number): number {
    while (this.parent[i] !== i) i = this.parent[i] = this.parent[this.parent[i]];
    return i;
  }
  union(a: number, b: number): void {
    const [ra, rb] = [this.find(a), this.find(b)];
    // The earlier row stays the root: the group is named after its first row.
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

/**
 * Turns rows into people: normalises phones (as intake does) and emails, checks owners, amounts and stages,
 * and merges rows that share a phone or email. Rows that cannot be imported come back with a reason.
 */
export function planImport(
  table: ImportTable,
  mapping: ImportMapping,
  opts: { defaultRegion: string; managersByEmail: Map<string, string> },
): { groups: ImportGroup[]; skipped: RowOutcome[]; duplicates: RowOutcome[] } {
  const columns = (field: string) => table.headers.map((h, i) => (mapping[h] === field ? i : -1)).filter((i) => i >= 0);
  const col = Object.fromEntries(
    ['name', 'firstName', 'lastName', 'phone', 'email', 'company', 'owner', 'tags', 'note', 'dealTitle', 'dealAmount', 'dealStage'].map((f) => [f, columns(f)]),
  ) as Record<string, number[]>;
  const first = (cells: string[], field: string) => col[field].map((i) => cells[i]).find((v) => v) ?? '';

  interface Parsed extends Omit<ImportGroup, 'rows' | 'deals' | 'notes'> {
    row: number;
    deal: ImportDeal | null;
    notes: string[];
  }
  const parsed: Parsed[] = [];
  const skipped: RowOutcome[] = [];
  table.rows.forEach((cells, index) => {
    const row = table.rowNumbers[index];
    const phonesRaw = col.phone.flatMap((i) => splitList(cells[i]));
    const emailsRaw = col.email.flatMap((i) => splitList(cells[i]).flatMap((v) => v.split(/\s+/)));
    const phones = [...new Set(phonesRaw.map((p) => normalizePhone(p, opts.defaultRegion)).filter((p): p is string => !!p))];
    const emails = [...new Set(emailsRaw.map((e) => normalizeEmail(e.replace(/^mailto:/i, ''))).filter((e): e is string => !!e))];
    if (!phones.length && !emails.length) {
      const why =
        phonesRaw.length || emailsRaw.length
          ? `no valid phone or email (${[...phonesRaw.map((p) => `phone "${p}"`), ...emailsRaw.map((e) => `email "${e}"`)].slice(0, 3).join(', ')})`
          : 'no phone or email';
      skipped.push({ row, outcome: 'skipped', reason: why });
      return;
    }
    const ownerEmail = first(cells, 'owner').toLowerCase();
    let ownerId: string | null = null;
    if (ownerEmail) {
      ownerId = opts.managersByEmail.get(ownerEmail) ?? null;
      if (!ownerId) {
        skipped.push({ row, outcome: 'skipped', reason: `owner "${ownerEmail}" is not an active manager's email` });
        return;
      }
    }
    let deal: ImportDeal | null = null;
    const title = first(cells, 'dealTitle');
    const amountRaw = first(cells, 'dealAmount');
    const stageRaw = first(cells, 'dealStage');
    if (title || amountRaw || stageRaw) {
      const amount = amountRaw ? parseAmount(amountRaw) : null;
      if (amountRaw && amount === null) {
        skipped.push({ row, outcome: 'skipped', reason: `deal amount "${amountRaw}" is not a number` });
        return;
      }
      const stage = stageRaw ? parseStage(stageRaw) : 'new';
      if (!stage) {
        skipped.push({ row, outcome: 'skipped', reason: `deal stage "${stageRaw}" is not one of ${DEAL_STAGES.join(', ')}` });
        return;
      }
      deal = { row, title: title || null, amount, stage };
    }
    const name = first(cells, 'name') || [first(cells, 'firstName'), first(cells, 'lastName')].filter(Boolean).join(' ');
    parsed.push({
      row,
      name: name ? name.slice(0, 300) : null,
      phones,
      emails,
      company: first(cells, 'company').slice(0, 300) || null,
      ownerId,
      tags: [...new Set(col.tags.flatMap((i) => splitList(cells[i])).map((t) => t.slice(0, 100)))],
      notes: col.note.map((i) => cells[i]).filter(Boolean),
      deal,
    });
  });

  // Rows sharing any phone or email are one person.
  const uf = new UnionFind();
  const byIdentity = new Map<string, number>();
  parsed.forEach((p, i) => {
    uf.add();
    for (const id of [...p.phones.map((v) => `phone:${v}`), ...p.emails.map((v) => `email:${v}`)]) {
      const seen = byIdentity.get(id);
      if (seen === undefined) byIdentity.set(id, i);
      else uf.union(seen, i);
    }
  });
  const groups = new Map<number, ImportGroup>();
  const duplicates: RowOutcome[] = [];
  parsed.forEach((p, i) => {
    const root = uf.find(i);
    let g = groups.get(root);
    if (!g) {
      g = { rows: [], name: null, phones: [], emails: [], company: null, ownerId: null, tags: [], notes: [], deals: [] };
      groups.set(root, g);
    } else duplicates.push({ row: p.row, outcome: 'merged', mergedIntoRow: parsed[root].row, reason: `same person as row ${parsed[root].row}` });
    g.rows.push(p.row);
    g.name ??= p.name;
    g.company ??= p.company;
    g.ownerId ??= p.ownerId;
    for (const v of p.phones) if (!g.phones.includes(v)) g.phones.push(v);
    for (const v of p.emails) if (!g.emails.includes(v)) g.emails.push(v);
    for (const t of p.tags) if (!g.tags.includes(t)) g.tags.push(t);
    for (const text of p.notes) if (!g.notes.some((n) => n.text === text)) g.notes.push({ row: p.row, text });
    // A repeated row repeats its deal: the same title, amount and stage is one deal.
    if (p.deal && !g.deals.some((d) => d.title === p.deal!.title && d.amount === p.deal!.amount && d.stage === p.deal!.stage)) g.deals.push(p.deal);
  });
  return { groups: [...groups.values()], skipped, duplicates };
}
