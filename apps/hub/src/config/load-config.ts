import { config as loadDotenv } from 'dotenv';
import { existsSync } from 'node:fs';
import { envSchema, type HubConfig } from './config.schema';

export class ConfigError extends Error {}

/** Parses configuration once. A wrong value becomes one line naming the variable. */
export function parseConfig(env: Record<string, string | undefined>): HubConfig {
  const parsed = envSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const variable = issue.path[0] ? String(issue.path[0]) : '';
  const message = issue.message.startsWith(variable) ? issue.message : `${variable}: ${issue.message}`;
  throw new ConfigError(`Invalid configuration: ${message}`);
}

/** Reads `.env` (if present; real environment variables win) and the process environment. */
export function loadConfig(): HubConfig {
  if (existsSync('.env')) loadDotenv({ path: '.env', quiet: true });
  return parseConfig(process.env);
}

export const HUB_CONFIG = Symbol('HUB_CONFIG');
