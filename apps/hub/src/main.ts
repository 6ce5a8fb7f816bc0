import 'reflect-metadata';
import { FirstStartService } from './bootstrap/first-start.service';
import { applyHeapGrowth } from './bootstrap/heap-growth';
import { printWelcome } from './bootstrap/welcome';
import { ConfigError, loadConfig } from './config/load-config';
import { createHubApp } from './create-app';
import { assertDataDirFree } from './database/data-dir-lock';
import { prepareDatabase } from './database/database-startup';
import { storageKind } from './database/data-source.options';
import { createRootLogger } from './logging/logger';

async function main(): Promise<void> {
  const config = loadConfig();
  applyHeapGrowth(config.HEAP_GROWTH_PERCENT);
  if (storageKind(config) === 'pglite') assertDataDirFree(config.PGLITE_DATA_DIR);
  const logger = createRootLogger(config.LOG_LEVEL);
  if (config.DATABASE_URL) {
    await prepareDatabase({
      url: config.DATABASE_URL,
      attempts: config.DB_START_ATTEMPTS,
      retryMs: config.DB_START_RETRY_MS,
      connectTimeoutMs: config.DB_ACQUIRE_TIMEOUT_MS,
      onRetry: (line, fields) => logger.warn(fields, line),
      onCreated: (line) => logger.info(line),
    });
  }
  const app = await createHubApp(config, logger);
  app.enableShutdownHooks();
  const report = await app.get(FirstStartService).run();
  await app.listen({ port: config.PORT, host: config.HOST });
  logger.info({ port: config.PORT, storage: storageKind(config), publicUrl: config.PUBLIC_URL }, 'hub listening');
  printWelcome(config, report);
}

main().catch((err: unknown) => {
  // Every start-up failure is one readable line (no stack): a known condition says its remedy; anything
  // else says what failed. LOG_LEVEL=debug adds the stack for a bug report.
  const known = err instanceof Error && ['ConfigError', 'StartupError', 'DataDirInUseError'].includes(err.name);
  const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
  process.stderr.write(known || err instanceof ConfigError ? `${message}\n` : `Leadline hub failed to start: ${message}\n`);
  if (!known && process.env.LOG_LEVEL === 'debug' && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
