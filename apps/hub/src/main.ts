import 'reflect-metadata';
import { FirstStartService } from './bootstrap/first-start.service';
import { printWelcome } from './bootstrap/welcome';
import { ConfigError, loadConfig } from './config/load-config';
import { createHubApp } from './create-app';
import { assertDataDirFree, DataDirInUseError } from './database/data-dir-lock';
import { storageKind } from './database/data-source.options';
import { createRootLogger } from './logging/logger';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  if (storageKind(config) === 'pglite') assertDataDirFree(config.PGLITE_DATA_DIR);
  const logger = createRootLogger(config.LOG_LEVEL);
  const app = await createHubApp(config, logger);
  app.enableShutdownHooks();
  const report = await app.get(FirstStartService).run();
  await app.listen({ port: config.PORT, host: config.HOST });
  logger.info({ port: config.PORT, storage: storageKind(config), publicUrl: config.PUBLIC_URL }, 'hub listening');
  printWelcome(config, report);
}

main().catch((err) => {
  // A known condition with a plain remedy gets one line; anything else its stack.
  const known = err instanceof DataDirInUseError;
  process.stderr.write(known ? `${err.message}\n` : `Leadline hub failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
