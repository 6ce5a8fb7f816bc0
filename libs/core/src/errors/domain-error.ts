/** Codes the HTTP layer maps to status codes; one enum for the whole domain keeps the mapping in one place. */
export enum ErrorCode {
  NotFound = 'not_found',
  Conflict = 'conflict',
  Invalid = 'invalid',
  Forbidden = 'forbidden',
  Unauthorized = 'unauthorized',
  Unavailable = 'unavailable',
  /** The thing now lives under another id (a contact merged into another): HTTP 301 to it. */
  Moved = 'moved',
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Field name → what is wrong with it (for `invalid`). */
    readonly fields?: Record<string, string>,
  ) {
    super(message);
    this.name = 'DomainError';
  }

  static notFound(what: string): DomainError {
    return new DomainError(ErrorCode.NotFound, `${what} not found`);
  }
  static conflict(message: string): DomainError {
    return new DomainError(ErrorCode.Conflict, message);
  }
  static invalid(message: string, fields?: Record<string, string>): DomainError {
    return new DomainError(ErrorCode.Invalid, message, fields);
  }
}

/** A merged (absorbed) record: answered with a redirect to the survivor, whose id the body names too. */
export class MovedError extends DomainError {
  constructor(
    what: string,
    readonly fromId: string,
    readonly toId: string,
  ) {
    super(ErrorCode.Moved, `this ${what} was merged into ${toId}`);
  }
}

/** The database could not be reached: callers answer 503 so providers retry. */
export class DatabaseUnavailableError extends DomainError {
  constructor(readonly cause?: unknown) {
    super(ErrorCode.Unavailable, 'database unavailable');
  }
}

const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);

/**
 * True when an error means "cannot talk to the database" rather than "our code or data is wrong".
 * SQLSTATE class 08 is connection exception; 57P01–57P03 are admin shutdown / cannot connect now;
 * 57014 is a statement cancelled by statement_timeout (a database too slow to answer); 53300 is too
 * many connections. Data errors (22xxx such as 22P05/22021, 23xxx, 42xxx) are never "unavailable".
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown };
  if (e.driverError && isDatabaseUnavailable(e.driverError)) return true;
  if (e instanceof DatabaseUnavailableError) return true;
  const code = typeof e.code === 'string' ? e.code : '';
  if (UNAVAILABLE_NODE_CODES.has(code)) return true;
  if (/^08/.test(code) || ['57P01', '57P02', '57P03', '57014', '53300'].includes(code)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|server closed the connection|Connection is closed/i.test(
    message,
  );
}

/** "<SQLSTATE or node code> <message>" of a database error, for one log line (never the query or its parameters). */
export function databaseErrorCause(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown; driverError?: { code?: unknown; message?: unknown } } | null;
  const code = e?.driverError?.code ?? e?.code;
  const message = e?.driverError?.message ?? e?.message ?? String(err);
  return `${code ? `${String(code)} ` : ''}${String(message)}`.slice(0, 300);
}
