import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const CORPUS_DIR = join(__dirname, '..', '..', '..', 'libs', 'channels', 'src', 'email', '__fixtures__', 'corpus');

export function corpusFile(name: string): Buffer {
  return readFileSync(join(CORPUS_DIR, name));
}

export function corpusFiles(): string[] {
  return readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.eml')).sort();
}

let seq = 0;
/** A plain message from a person, as a mail client would send it. */
export function plainMessage(o: { from: string; name?: string; subject?: string; text?: string; messageId?: string; inReplyTo?: string; references?: string[]; headers?: Record<string, string> }): string {
  const id = o.messageId ?? `<gen-${Date.now()}-${++seq}@client.example>`;
  const lines = [
    `From: ${o.name ? `${o.name} <${o.from}>` : o.from}`,
    'To: crm@test.local',
    `Subject: ${o.subject ?? 'Hello'}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: ${id}`,
    ...(o.inReplyTo ? [`In-Reply-To: ${o.inReplyTo}`] : []),
    ...(o.references?.length ? [`References: ${o.references.join(' ')}`] : []),
    ...Object.entries(o.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    o.text ?? 'Hello, please call me back.',
    '',
  ];
  return lines.join('\r\n');
}
