import type { HubConfig } from '../config/config.schema';
import { storageKind } from '../database/data-source.options';
import type { FirstStartReport } from './first-start.service';

/** The human part of start-up: where things are, how to log in, a ready curl for the form. */
export function printWelcome(config: HubConfig, report: FirstStartReport): void {
  const url = config.PUBLIC_URL;
  const lines = [
    '',
    `Leadline hub is running on ${url} (database: ${storageKind(config) === 'pglite' ? `embedded PGlite in ${config.PGLITE_DATA_DIR}` : 'PostgreSQL'})`,
    `  Admin UI:   ${url}/admin   (log in with the admin email and password below)`,
    `  API docs:   ${url}/api/docs`,
    `  Health:     ${url}/health`,
  ];
  if (report.adminCreated) {
    lines.push(`  Admin:      ${report.adminEmail}`);
    lines.push(
      report.generatedPassword
        ? `  Password:   ${report.generatedPassword}   (generated now and shown only once; set ADMIN_PASSWORD to choose it)`
        : '  Password:   the ADMIN_PASSWORD you configured',
    );
  } else {
    lines.push(`  Admin:      ${report.adminEmail} (account exists; password unchanged)`);
  }
  if (report.formKey) {
    const endpoint = `${url}/api/inbound/forms/${report.formKey}`;
    lines.push(`  Web form:   POST ${endpoint}`);
    lines.push('  Try it:');
    lines.push(`    curl -sS -X POST ${endpoint} -H 'Content-Type: application/json' \\`);
    lines.push(`      -d '{"name":"Anna Petrova","phone":"+7 999 123-45-67","email":"anna@example.com","message":"Please call me back","utm_source":"google"}'`);
  }
  lines.push('');
  process.stdout.write(lines.join('\n') + '\n');
}
