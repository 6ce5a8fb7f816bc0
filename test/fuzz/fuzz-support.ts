import fc from 'fast-check';
import type { InjectResponse, TestHub } from '../support/test-hub';

/**
 * Property-based fuzzing of the hub's doors. Seeds are fixed so a failure reproduces; `npm test` runs
 * a few dozen cases per property (seconds), FUZZ_RUNS=2000 a long run, FUZZ_SEED another sequence.
 */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 25);
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 19_2026);
export const fuzzParams = (offset = 0) => ({ numRuns: FUZZ_RUNS, seed: FUZZ_SEED + offset, endOnFailure: true });
/** Long runs need room: about 60 ms a case on a shared machine, plus a hub start. */
export const FUZZ_TIMEOUT_MS = 120_000 + FUZZ_RUNS * 400;

/** What people and attackers paste: NUL, lone surrogates, RTL/zero-width marks, CR/LF, markup, SQL, huge numbers. */
const NASTY = [
  '\u0000',
  '%00',
  '\ud800',
  '\udfff',
  '\udbff\udfff',
  '\u202e',
  '\u200f',
  '\u200b',
  '\ufeff',
  '\r\n',
  '\u2028',
  '\u001b[31m',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "'; DROP TABLE contact; --",
  '${7*7}{{7*7}}',
  '__proto__',
  'constructor',
  '🙂👍🏽',
  'Ａ１',
  '\u0660\u0661',
  '1e309',
  '-0',
  'null',
  '00994501234567',
  '8~10 375 29 123 45 67',
];

/** Strings over every code unit (lone surrogates included), mixed with the nasty ones. */
export const hostileString = (maxLength = 60): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength }) },
    { weight: 2, arbitrary: fc.array(fc.oneof(fc.constantFrom(...NASTY), fc.string({ unit: 'binary', maxLength: 8 })), { maxLength: 6 }).map((parts) => parts.join('')) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength }) },
  );

/** Sometimes huge (past the body limits), usually not. */
export const hostileText = (): fc.Arbitrary<string> =>
  fc.oneof({ weight: 9, arbitrary: hostileString(200) }, { weight: 1, arbitrary: fc.tuple(hostileString(5), fc.integer({ min: 1_000, max: 120_000 })).map(([s, n]) => s.repeat(Math.ceil(n / Math.max(1, s.length))).slice(0, n) || 'x'.repeat(n)) });

/** JSON values nested up to `depth` (a few levels usually; the depth limit is tested separately). */
export const hostileJson = (depth = 4): fc.Arbitrary<unknown> =>
  fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true, maxDepth: depth },
      hostileString(),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(hostileString(12), tie('value'), { maxKeys: 4 }),
    ),
  })).value;

/** JSON text nested `levels` deep around a value. */
export function deeplyNested(levels: number, inner = '"x"'): string {
  return `${'['.repeat(levels)}${inner}${']'.repeat(levels)}`;
}

/** No door may answer 5xx while the database is up. */
export function expectNo5xx(res: InjectResponse, what: string): void {
  if (res.status >= 500) throw new Error(`${what} answered ${res.status}: ${res.text.slice(0, 500)}`);
}

/** Every 2xx of a lead door means the lead is stored (processed receipt with its contact) or kept as a failed receipt. */
export async function expectStoredOrKept(hub: TestHub, receiptId: string, what: string): Promise<void> {
  const [row] = await hub.query<{ status: string; raw: string | null; contact: string | null }>(
    `SELECT r.status, r.raw, (SELECT c.id::text FROM contact c WHERE c.id::text = r.result->>'contactId') AS contact FROM inbound_receipt r WHERE r.id = $1`,
    [receiptId],
  );
  if (!row) throw new Error(`${what}: 2xx but no receipt ${receiptId}`);
  if (row.status === 'processed' && !row.contact) throw new Error(`${what}: processed receipt ${receiptId} without its contact`);
  if (row.status === 'failed' && (row.raw === null || JSON.parse(row.raw) === undefined)) throw new Error(`${what}: failed receipt ${receiptId} without a replayable raw payload`);
}
