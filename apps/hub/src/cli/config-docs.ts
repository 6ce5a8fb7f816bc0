import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_REFERENCE } from '../config/config.reference';
import { configDocsCheck, configReferenceProblems, configVariables, GENERATED_CONFIG_FILES, generatedConfigFiles } from '../config/config-docs';

/**
 * npm run docs:config: writes docs/configuration.md and .env.example from config.schema.ts (defaults)
 * and config.reference.ts (descriptions). `-- --check`: writes nothing, exits 1 when they are stale.
 * Refuses to write while a variable is undescribed, so the hand-written comment of a variable another
 * branch added to .env.example is still there to copy into the reference.
 */
const root = process.cwd();
const fail = (problems: string[]) => {
  process.stderr.write(`docs:config:\n${problems.map((p) => `- ${p}`).join('\n')}\n`);
  process.exit(1);
};

if (process.argv.includes('--check')) {
  const problems = configDocsCheck(root);
  if (problems.length) fail(problems);
  process.stdout.write(`${GENERATED_CONFIG_FILES.join(' and ')} are up to date\n`);
} else {
  const problems = configReferenceProblems(configVariables(), CONFIG_REFERENCE, readFileSync(join(root, '.env.example'), 'utf8'));
  if (problems.length) fail(problems);
  const files = generatedConfigFiles();
  for (const file of GENERATED_CONFIG_FILES) writeFileSync(join(root, file), files[file]);
  process.stdout.write(`${GENERATED_CONFIG_FILES.join(' and ')} written\n`);
}
