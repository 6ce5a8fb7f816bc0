import { Client } from 'pg';

/** A start-up failure with a plain remedy: main prints its message as the one line and exits. */
export class StartupError extends Error {
  readonly name = 'StartupError';
}

export interface StartupOptions {
  url: string;
  /** Attempts while the server cannot be reached, the first included. */
  attempts: number;
  /** Pause between attempts. */
  retryMs: number;
  /** Connect timeout of one attempt. */
  connectTimeoutMs: number;
  /** One line per failed attempt (the hub's logger at warn). */
  onRetry: (line: string, fields: Record<string, unknown>) => void;
  /** When the database was missing and has been created. */
  onCreated?: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);
// Cannot connect now (starting up / shutting down) and too many connections: worth waiting for.
const TRANSIENT_SQLSTATE = new Set(['57P03', '57P01', '53300']);

/**
 * Before the application is assembled on PostgreSQL: waits for the server (bounded, one line per
 * attempt), creates the database named in DATABASE_URL when it is missing and the role may, and
 * otherwise stops with one line that says what to do. Returns when the database accepts connections.
 */
export async function prepareDatabase(o: StartupOptions): Promise<void> {
  const target = describeUrl(o.url);
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let attempt = 1; ; attempt++) {
    const err = await tryConnect(o.url, o.connectTimeoutMs);
    if (!err) return;
    const code = errorCode(err);
    if (code === '3D000') {
      await createDatabase(o, target);
      continue;
    }
    if (!isTransient(err)) throw new StartupError(`Cannot use the database ${target.display}: ${plainCause(err)}${remedy(code, target)}`);
    if (attempt >= o.attempts) {
      throw new StartupError(
        `The database server ${target.server} was not reachable after ${o.attempts} attempt${o.attempts > 1 ? 's' : ''} (${plainCause(err)}); start PostgreSQL or fix DATABASE_URL.`,
      );
    }
    o.onRetry(`database server ${target.server} not reachable (${plainCause(err)}), attempt ${attempt} of ${o.attempts}, retrying in ${Math.round(o.retryMs / 100) / 10} s`, {
      attempt,
      attempts: o.attempts,
      cause: plainCause(err),
    });
    await sleep(o.retryMs);
  }
}

async function tryConnect(url: string, timeoutMs: number): Promise<unknown | null> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  // A socket error after connect must not crash the process; the attempt's own result decides.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    return err;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function createDatabase(o: StartupOptions, target: Target): Promise<void> {
  const maintenance = new URL(o.url);
  maintenance.pathname = '/postgres';
  const client = new Client({ connectionString: maintenance.toString(), connectionTimeoutMillis: o.connectTimeoutMs });
  client.on('error', () => undefined);
  const command = `createdb -h ${target.host} -p ${target.port} -U ${target.user} ${target.database}   (or: psql -h ${target.host} -p ${target.port} -U postgres -c 'CREATE DATABASE "${target.database}" OWNER "${target.user}"')`;
  try {
    await client.connect();
    await client.query(`CREATE DATABASE ${quoteIdent(target.database)}`);
    o.onCreated?.(`database "${target.database}" did not exist on ${target.server}: created it`);
  } catch (err) {
    // A twin hub starting at the same moment created it first: fine.
    if (errorCode(err) === '42P04') return;
    const why = errorCode(err) === '42501' ? `role "${target.user}" may not create databases` : plainCause(err);
    throw new StartupError(`The database "${target.database}" does not exist on ${target.server} and could not be created (${why}). Create it with: ${command}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

interface Target {
  host: string;
  port: string;
  user: string;
  database: string;
  server: string;
  display: string;
}

/** Host, port, user and database of a URL; never the password. */
function describeUrl(url: string): Target {
  const u = new URL(url);
  const host = decodeURIComponent(u.hostname) || 'localhost';
  const port = u.port || '5432';
  const user = decodeURIComponent(u.username) || process.env.USER || 'postgres';
  const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || user;
  return { host, port, user, database, server: `${host}:${port}`, display: `"${database}" on ${host}:${port} as "${user}"` };
}

function isTransient(err: unknown): boolean {
  const code = errorCode(err);
  if (UNREACHABLE.has(code) || TRANSIENT_SQLSTATE.has(code) || code.startsWith('08')) return true;
  return /timeout|Connection terminated|ECONNREFUSED/i.test(String((err as Error)?.message ?? ''));
}

function errorCode(err: unknown): string {
  const e = err as { code?: unknown; errors?: Array<{ code?: unknown }> };
  if (typeof e?.code === 'string') return e.code;
  // Node's AggregateError when localhost resolves to ::1 and 127.0.0.1 and both refuse.
  const inner = e?.errors?.find((x) => typeof x?.code === 'string');
  return typeof inner?.code === 'string' ? inner.code : '';
}

function plainCause(err: unknown): string {
  const code = errorCode(err);
  const message = String((err as Error)?.message ?? err).split('\n')[0] || code;
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

function remedy(code: string, target: Target): string {
  if (code === '28P01' || code === '28000') return `; check the user and password in DATABASE_URL`;
  if (code === '42501') return `; grant role "${target.user}" access to database "${target.database}"`;
  return '';
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
