import { DomainError } from '../errors/domain-error';

/** What a column can be imported as. Several columns may map to phone, email, tags or note. */
export const IMPORT_FIELDS = ['name', 'firstName', 'lastName', 'phone', 'email', 'company', 'owner', 'tags', 'note', 'dealTitle', 'dealAmount', 'dealStage'] as const;
export type ImportField = (typeof IMPORT_FIELDS)[number];
/** Column header → field, or 'skip' (columns left out are skipped too). */
export type ImportMapping = Record<string, ImportField | 'skip'>;

const MULTI: ReadonlySet<ImportField> = new Set(['phone', 'email', 'tags', 'note']);

// Header words people use, English and Russian, compared without case, spaces and punctuation.
const SYNONYMS: Record<ImportField, string[]> = {
  name: ['name', 'fullname', 'contact', 'contactname', 'client', 'customer', 'фио', 'имя', 'контакт', 'клиент', 'названиеконтакта', 'полноеимя'],
  firstName: ['firstname', 'givenname', 'first'],
  lastName: ['lastname', 'surname', 'familyname', 'last', 'фамилия'],
  phone: ['phone', 'phonenumber', 'tel', 'telephone', 'mobile', 'mobilephone', 'cell', 'workphone', 'телефон', 'тел', 'мобильный', 'мобильныйтелефон', 'рабочийтелефон', 'номертелефона', 'сотовый'],
  email: ['email', 'emailaddress', 'mail', 'почта', 'электроннаяпочта', 'емейл', 'имейл'],
  company: ['company', 'companyname', 'organization', 'organisation', 'account', 'компания', 'организация', 'названиекомпании', 'фирма'],
  owner: ['owner', 'manager', 'responsible', 'assignee', 'ответственный', 'менеджер', 'владелец'],
  tags: ['tags', 'tag', 'labels', 'label', 'теги', 'тег', 'метки', 'метка'],
  note: ['note', 'notes', 'comment', 'comments', 'description', 'примечание', 'заметка', 'заметки', 'комментарий', 'описание'],
  dealTitle: ['deal', 'dealname', 'dealtitle', 'opportunity', 'сделка', 'названиесделки'],
  dealAmount: ['amount', 'dealamount', 'value', 'budget', 'sum', 'price', 'сумма', 'бюджет', 'суммасделки', 'стоимость'],
  dealStage: ['stage', 'dealstage', 'status', 'этап', 'стадия', 'статус', 'этапсделки'],
};

const key = (h: string) => h.toLowerCase().replace(/ё/g, 'е').replace(/\(\d+\)$/, '').replace(/[^a-zа-я0-9]/g, '');
const LOOKUP = new Map<string, ImportField>();
for (const [field, words] of Object.entries(SYNONYMS) as Array<[ImportField, string[]]>) for (const w of words) LOOKUP.set(key(w), field);

/** A mapping guessed from the headers; a single-value field goes to the first column that names it. */
export function suggestMapping(headers: string[]): ImportMapping {
  const mapping: ImportMapping = {};
  const taken = new Set<ImportField>();
  for (const h of headers) {
    const k = key(h);
    let field = LOOKUP.get(k);
    if (!field) {
      // "Телефон рабочий", "E-mail 2", "Mobile phone (home)": a known word at the start.
      for (const [word, f] of LOOKUP) if (word.length >= 4 && k.startsWith(word) && MULTI.has(f)) field = f;
    }
    if (field && (MULTI.has(field) || !taken.has(field))) {
      mapping[h] = field;
      taken.add(field);
    } else mapping[h] = 'skip';
  }
  return mapping;
}

/** Checks a client's mapping against the file's headers (400 naming `mapping`). */
export function checkMapping(mapping: unknown, headers: string[]): ImportMapping {
  if (!mapping || typeof mapping !== 'object' || Array.isArray(mapping)) throw DomainError.invalid('invalid mapping', { mapping: 'an object { "column header": field }' });
  const out: ImportMapping = {};
  const single = new Map<string, string>();
  for (const [header, field] of Object.entries(mapping as Record<string, unknown>)) {
    if (!headers.includes(header)) throw DomainError.invalid('invalid mapping', { mapping: `the file has no column "${header}"` });
    if (field !== 'skip' && !(IMPORT_FIELDS as readonly string[]).includes(field as string)) {
      throw DomainError.invalid('invalid mapping', { mapping: `"${String(field)}" is not one of ${IMPORT_FIELDS.join(', ')}, skip` });
    }
    const f = field as ImportField | 'skip';
    if (f !== 'skip' && !MULTI.has(f)) {
      if (single.has(f)) throw DomainError.invalid('invalid mapping', { mapping: `${f} is mapped from both "${single.get(f)}" and "${header}"` });
      single.set(f, header);
    }
    out[header] = f;
  }
  const fields = new Set(Object.values(out));
  if (!fields.has('phone') && !fields.has('email')) throw DomainError.invalid('invalid mapping', { mapping: 'map at least one column to phone or email: they identify a contact' });
  return out;
}
