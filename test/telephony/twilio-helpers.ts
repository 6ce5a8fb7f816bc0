import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { SaxesParser } from 'saxes';
import type { InjectResponse, TestHub } from '../support/test-hub';

/** A parsed XML element (tag, attributes, child elements, text). */
export interface XmlElement {
  tagName: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/**
 * Parses XML with saxes, a strict (well-formedness checking) XML parser that ships with jsdom: any
 * malformed TwiML throws and fails the test.
 */
export function parseXml(xml: string): XmlElement {
  const parser = new SaxesParser();
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  parser.on('error', (err) => {
    throw err;
  });
  parser.on('opentag', (tag) => {
    const el: XmlElement = { tagName: tag.name, attributes: { ...(tag.attributes as Record<string, string>) }, children: [], text: '' };
    if (stack.length) stack[stack.length - 1].children.push(el);
    else root = el;
    stack.push(el);
  });
  parser.on('text', (t) => {
    if (stack.length) stack[stack.length - 1].text += t;
  });
  parser.on('closetag', () => void stack.pop());
  parser.write(xml).close();
  if (!root) throw new Error('no root element');
  return root;
}

export const PUBLIC_URL = 'https://crm.example.com';
export const ACCOUNT = { sid: 'AC0123456789abcdef0123456789abcdef', token: 'f3a1c2b4d5e6f708192a3b4c5d6e7f80' };
export const SUBACCOUNT = { sid: 'ACfedcba9876543210fedcba9876543210', token: '0a1b2c3d4e5f60718293a4b5c6d7e8f9' };
export const COMPANY_NUMBER = '+74951234567';

/** Posts form parameters the way Twilio does: signed over PUBLIC_URL + path and query with the account's token. */
export function twilioPost(hub: TestHub, path: string, params: Record<string, string>, opts: { token?: string; signedUrl?: string; signature?: string | null } = {}): Promise<InjectResponse> {
  const signature = opts.signature === undefined ? getExpectedTwilioSignature(opts.token ?? ACCOUNT.token, opts.signedUrl ?? `${PUBLIC_URL}${path}`, params) : opts.signature;
  return hub.request({ method: 'POST', url: path, body: params, form: true, headers: signature === null ? {} : { 'x-twilio-signature': signature } });
}

/** A TwiML answer parsed as XML; fails on anything that is not a well-formed <Response> document. */
export function parseTwiml(res: InjectResponse): XmlElement {
  expect(res.status).toBe(200);
  expect(String(res.headers['content-type'])).toMatch(/^text\/xml/);
  const root = parseXml(res.text);
  expect(root.tagName).toBe('Response');
  return root;
}

export interface Verb {
  verb: string;
  attrs: Record<string, string>;
  text: string;
  children: Array<{ verb: string; text: string; attrs: Record<string, string> }>;
}

/** The verbs of the response in order, with their attributes, text and nested nouns. */
export function verbs(doc: XmlElement): Verb[] {
  const el = (e: XmlElement) => ({ verb: e.tagName, attrs: e.attributes, text: e.children.length ? '' : e.text });
  return doc.children.map((e) => ({ ...el(e), children: e.children.map(el) }));
}

let callSeq = 0;
/** A fresh Call SID. */
export function newCallSid(): string {
  callSeq++;
  return `CA${String(Date.now().toString(16) + callSeq.toString(16)).padStart(32, '0').slice(-32)}`;
}
