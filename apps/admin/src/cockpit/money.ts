/** "1500.50" RUB in Russian → "1 500,50 ₽"; without a currency just the number, grouped by locale. */
export function formatMoney(amount: string | number | null, currency: string | null, lang: string): string {
  if (amount === null || amount === '') return '';
  const n = Number(amount);
  if (!Number.isFinite(n)) return String(amount);
  const locale = lang === 'ru' ? 'ru-RU' : 'en-GB';
  try {
    if (currency) return new Intl.NumberFormat(locale, { style: 'currency', currency, maximumFractionDigits: n % 1 === 0 ? 0 : 2 }).format(n);
  } catch {
    // An unknown code: the number and the code as they are.
  }
  const text = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(n);
  return currency ? `${text} ${currency}` : text;
}

/** Sums per currency ("" = none given), for column totals: different currencies are never added up. */
export function sumByCurrency(deals: Array<{ amount: string | null; currency?: string | null }>): Array<[string, number]> {
  const sums = new Map<string, number>();
  for (const d of deals) {
    if (d.amount === null) continue;
    const n = Number(d.amount);
    if (!Number.isFinite(n)) continue;
    const key = d.currency ?? '';
    sums.set(key, (sums.get(key) ?? 0) + n);
  }
  return [...sums.entries()].sort((a, b) => a[0].localeCompare(b[0]));
}
