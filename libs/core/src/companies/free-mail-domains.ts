/**
 * Public mailbox providers: an address there says nothing about the employer, so these domains never
 * suggest (or get) a company.
 */
export const FREE_MAIL_DOMAINS: ReadonlySet<string> = new Set([
  'gmail.com', 'googlemail.com', 'yahoo.com', 'yahoo.co.uk', 'ymail.com', 'hotmail.com', 'hotmail.co.uk', 'outlook.com', 'live.com',
  'msn.com', 'icloud.com', 'me.com', 'mac.com', 'aol.com', 'proton.me', 'protonmail.com', 'pm.me', 'gmx.com', 'gmx.de', 'gmx.net',
  'web.de', 'mail.com', 'zoho.com', 'yandex.ru', 'yandex.com', 'yandex.by', 'yandex.kz', 'yandex.ua', 'ya.ru', 'narod.ru', 'mail.ru',
  'inbox.ru', 'list.ru', 'bk.ru', 'internet.ru', 'rambler.ru', 'lenta.ru', 'autorambler.ru', 'myrambler.ru', 'ro.ru', 'qip.ru',
  'ukr.net', 'i.ua', 'tut.by', 'mail.kz', 'inbox.lv', 'bigmir.net', 'meta.ua', 'qq.com', '163.com', '126.com', 'sina.com',
  'seznam.cz', 'wp.pl', 'o2.pl', 'interia.pl', 'libero.it', 'orange.fr', 'free.fr', 'laposte.net', 't-online.de', 'tutanota.com',
  'tuta.io', 'fastmail.com', 'hey.com', 'rediffmail.com',
]);

/** The lower-cased domain of an email address, or of a bare domain / URL as typed into a company form. */
export function normalizeDomain(input: string | null | undefined): string | null {
  if (!input) return null;
  let v = String(input).trim().toLowerCase();
  if (v.includes('@')) v = v.slice(v.lastIndexOf('@') + 1);
  v = v.replace(/^[a-z]+:\/\//, '').replace(/^www\./, '').split(/[/?#:]/)[0].replace(/\.$/, '');
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(v) || v.length > 253) return null;
  return v;
}

export const isFreeMailDomain = (domain: string): boolean => FREE_MAIL_DOMAINS.has(domain.toLowerCase());
