/**
 * Site builders post their fields in shapes of their own; this brings them to one flat object of
 * field name → value before mapping.
 *
 * - Elementor Pro's Webhook action with "Advanced Data" posts urlencoded `fields[ID][value]`,
 *   `fields[ID][title]`, `form[name]`, `meta[page_url][value]` (flat keys from our urlencoded parser,
 *   or nested objects from a JSON relay). A field is named by its ID, or by its label when the ID
 *   is Elementor's generated `field_xxxxxxx`.
 * - Everything else (Tilda, Contact Form 7 via "CF7 to Webhook", Elementor's simple mode, plain
 *   HTML forms) is already flat and passes through unchanged.
 */
export function flattenSiteBuilderBody(body: Record<string, unknown>): Record<string, unknown> {
  const nested = toNested(body);
  const fields = asRecord(nested.fields);
  if (!fields || !Object.values(fields).every((f) => asRecord(f) && 'value' in (f as object))) return body;

  const out: Record<string, unknown> = {};
  for (const [id, raw] of Object.entries(fields)) {
    const f = asRecord(raw)!;
    const title = typeof f.title === 'string' && f.title.trim() ? f.title.trim() : null;
    const key = /^field_[0-9a-f]+$/i.test(id) && title ? title : id;
    out[key] = f.value;
  }
  const form = asRecord(nested.form);
  if (form?.name) out.form_name = form.name;
  if (form?.id) out.form_id = form.id;
  const meta = asRecord(nested.meta);
  if (meta) {
    for (const [k, raw] of Object.entries(meta)) {
      const m = asRecord(raw);
      const value = m ? m.value : raw;
      if (value === undefined || value === null || value === '') continue;
      if (k === 'page_url') out.page = value;
      else if (k !== 'remote_ip') out[`meta_${k}`] = value;
    }
  }
  for (const [k, v] of Object.entries(nested)) if (!['fields', 'form', 'meta'].includes(k) && !(k in out)) out[k] = v;
  return out;
}

function asRecord(v: unknown): Record<string, unknown> | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/** `a[b][c]=v` flat keys → nested objects (only for keys that look like that; others stay). */
function toNested(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    const m = /^([^[\]]+)((?:\[[^[\]]*\])+)$/.exec(key);
    if (!m) {
      out[key] = value;
      continue;
    }
    const path = [m[1], ...[...m[2].matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1])];
    let node = out;
    for (const [i, part] of path.entries()) {
      if (i === path.length - 1) node[part] = value;
      else {
        const next = asRecord(node[part]) ?? {};
        node[part] = next;
        node = next;
      }
    }
  }
  return out;
}
