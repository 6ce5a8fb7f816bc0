import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The README's `npm start` path: the built hub on a fresh embedded database prints an admin login
 * and a working curl example; a second start keeps the data; a wrong setting stops it in one line.
 */
const root = join(__dirname, '..', '..');
const main = join(root, 'dist', 'apps', 'hub', 'src', 'main.js');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Running {
  child: ChildProcess;
  stdout: () => string;
}

function startHub(env: Record<string, string>): Promise<Running> {
  const childEnv: Record<string, string> = { ...(process.env as Record<string, string>), ...env };
  delete childEnv.DATABASE_URL;
  delete childEnv.ADMIN_PASSWORD;
  const child = spawn(process.execPath, [main], { cwd: root, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hub did not start in time:\n${out}\n${err}`)), 60_000);
    child.on('exit', (code) => reject(new Error(`hub exited with ${code}:\n${out}\n${err}`)));
    const poll = setInterval(() => {
      if (out.includes('Try it:')) {
        clearInterval(poll);
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({ child, stdout: () => out });
      }
    }, 100);
  });
}

function stop(r: Running | undefined): Promise<void> {
  if (!r || r.child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    r.child.on('exit', () => resolve());
    r.child.kill('SIGTERM');
  });
}

describe('npm start (built hub, embedded database)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'leadline-start-'));
  let hub: Running | undefined;

  beforeAll(() => {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'pipe' });
  }, 120_000);
  afterAll(async () => {
    await stop(hub);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints a generated admin password and a curl example that creates a lead', async () => {
    const port = await freePort();
    hub = await startHub({ PORT: String(port), PGLITE_DATA_DIR: join(dataDir, 'pglite'), LOG_LEVEL: 'warn' });
    const out = hub.stdout();
    const password = /Password:\s+(\S+)\s+\(generated now/.exec(out)?.[1];
    expect(password).toBeDefined();
    expect(out).toContain('Admin:      admin@leadline.local');
    const endpoint = new RegExp(`curl -sS -X POST (http://localhost:${port}/api/inbound/forms/f_[\\w-]+)`).exec(out)?.[1];
    expect(endpoint).toBeDefined();
    const body = /-d '(\{.*\})'/.exec(out)?.[1];
    expect(body).toBeDefined();

    const lead = await fetch(endpoint!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body! });
    expect(lead.status).toBe(201);
    const ids = (await lead.json()) as { contactId: string };
    const login = await fetch(`http://localhost:${port}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@leadline.local', password }),
    });
    expect(login.status).toBe(200);
    const { token } = (await login.json()) as { token: string };
    const contact = await fetch(`http://localhost:${port}/api/contacts/${ids.contactId}`, { headers: { authorization: `Bearer ${token}` } });
    expect(await contact.json()).toMatchObject({ name: 'Anna Petrova', identities: expect.arrayContaining([{ kind: 'phone', value: '+79991234567' }]) });
    expect((await fetch(`http://localhost:${port}/health`)).status).toBe(200);

    // `npm start` built the admin UI too: the printed address serves it, under its CSP.
    expect(out).toContain(`Admin UI:   http://localhost:${port}/admin`);
    const ui = await fetch(`http://localhost:${port}/admin/contacts`);
    expect(ui.status).toBe(200);
    expect(ui.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await ui.text();
    const script = /<script type="module" crossorigin src="(\/admin\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect((await fetch(`http://localhost:${port}${script}`)).status).toBe(200);
  }, 90_000);

  it('keeps the data and the admin on a second start, without printing a password again', async () => {
    await stop(hub);
    const port = await freePort();
    hub = await startHub({ PORT: String(port), PGLITE_DATA_DIR: join(dataDir, 'pglite'), LOG_LEVEL: 'warn' });
    expect(hub.stdout()).toContain('account exists; password unchanged');
    expect(hub.stdout()).not.toContain('generated now');
  }, 90_000);

  it('a second hub on the same data directory stops with one line naming the hub that has it', () => {
    let failure: { status: number; stderr: string; stdout: string } | undefined;
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, PORT: '1', PGLITE_DATA_DIR: join(dataDir, 'pglite'), LOG_LEVEL: 'warn' };
      delete env.DATABASE_URL;
      // Bounded: without the lock this hub would open the directory and keep running.
      execFileSync(process.execPath, [main], { cwd: root, env, stdio: 'pipe', timeout: 30_000 });
    } catch (e) {
      const err = e as { status: number; stderr: Buffer; stdout: Buffer };
      failure = { status: err.status, stderr: err.stderr.toString(), stdout: err.stdout.toString() };
    }
    expect(failure?.status).toBe(1);
    // Checked before the application is assembled: no error dump from dependency injection.
    expect(failure?.stdout).toBe('');
    expect(failure?.stderr).toMatch(new RegExp(`^The embedded database in \\S+ is in use by another Leadline hub \\(process ${hub!.child.pid} on [^,]+, since [\\dT:.Z-]+\\)\\. Stop that hub first, .*\\n$`));
    expect(failure?.stderr.split('\n')).toHaveLength(2);
  }, 60_000);

  it('after a hub is killed (no clean shutdown) the next one takes its data directory over', async () => {
    await new Promise<void>((resolve) => {
      hub!.child.on('exit', () => resolve());
      hub!.child.kill('SIGKILL');
    });
    const port = await freePort();
    hub = await startHub({ PORT: String(port), PGLITE_DATA_DIR: join(dataDir, 'pglite'), LOG_LEVEL: 'warn' });
    expect(hub.stdout()).toContain('account exists; password unchanged');
  }, 90_000);

  it('stops with one line naming a wrong variable', () => {
    let failure: { status: number; stderr: string } | undefined;
    try {
      execFileSync(process.execPath, [main], { cwd: root, env: { ...process.env, PORT: 'eighty' }, stdio: 'pipe' });
    } catch (e) {
      const err = e as { status: number; stderr: Buffer };
      failure = { status: err.status, stderr: err.stderr.toString() };
    }
    expect(failure).toEqual({ status: 1, stderr: 'Invalid configuration: PORT must be a whole number from 1 to 65535 (got "eighty")\n' });
  });
});
