import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';

/** The process's structured logger: one JSON line per event on stdout. */
export function createRootLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, base: { service: 'leadline-hub' }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

// Nest's start-up chatter (every module and route) is debug detail, not an event.
const FRAMEWORK_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/** Lets NestJS (and `new Logger(context)` in services) log through pino, keeping objects as fields. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly root: Logger) {}

  log(message: unknown, ...rest: unknown[]) {
    const context = rest[rest.length - 1];
    this.write(typeof context === 'string' && FRAMEWORK_CONTEXTS.has(context) ? 'debug' : 'info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]) {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]) {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]) {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]) {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]) {
    this.write('fatal', message, rest);
  }

  private write(level: pino.Level, message: unknown, rest: unknown[]) {
    // Nest passes the context as the last string argument; an error stack may precede it.
    const context = typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    const stack = typeof rest[0] === 'string' && level === 'error' ? (rest.shift() as string) : undefined;
    const fields: Record<string, unknown> = { context };
    if (stack) fields.stack = stack;
    if (message instanceof Error) this.root[level]({ ...fields, err: message }, message.message);
    else if (message && typeof message === 'object') {
      const { msg, ...obj } = message as Record<string, unknown>;
      this.root[level]({ ...fields, ...obj }, typeof msg === 'string' ? msg : '');
    } else this.root[level](fields, String(message));
  }
}
