/** `--name value` and `--name=value` pairs of the allowed names; anything else is an error. */
export function cliArgs(argv: string[], allowed: string[]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m || !allowed.includes(m[1])) throw new CliUsageError(`unknown argument "${argv[i]}" (expected ${allowed.map((a) => `--${a}`).join(', ')})`);
    out[m[1]] = m[2] ?? argv[++i];
  }
  return out;
}

export class CliUsageError extends Error {}
