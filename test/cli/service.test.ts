/**
 * The node as a service, run as an operator runs it: `npm start` (a real npm, a real node child),
 * signals sent to the process the operator knows about, ports on loopback. Needs the build
 * (`npm test` builds first): bin/wirerelay.js runs dist/.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/wirerelay.js');
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** The env of a child with no WIRERELAY_* setting leaking in from the test runner. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WIRERELAY_')));
  return { ...env, ...extra };
}

interface LogLine {
  msg: string;
  pid: number;
  listen?: string;
  http?: string;
}

function readLog(path: string): LogLine[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as LogLine);
}

/** Waits until the log file holds a line with `msg` (the node writes it synchronously). */
async function waitForLine(path: string, msg: string, child: ChildProcess): Promise<LogLine> {
  for (;;) {
    const line = readLog(path).find((l) => l.msg === msg);
    if (line !== undefined) return line;
    if (child.exitCode !== null) throw new Error(`exited ${child.exitCode} before logging "${msg}"`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once('exit', (code) => r(code)));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function bindable(hostPort: string): Promise<boolean> {
  const [host, port] = [hostPort.slice(0, hostPort.lastIndexOf(':')), Number(hostPort.slice(hostPort.lastIndexOf(':') + 1))];
  return new Promise((r) => {
    const s = createServer();
    s.once('error', () => r(false));
    s.listen(port, host, () => s.close(() => r(true)));
  });
}

function run(args: string[], env: NodeJS.ProcessEnv = cleanEnv()): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env, timeout: 30_000 }, (err, stdout, stderr) => {
      done({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

describe('wirerelay as a service', () => {
  it('npm start: SIGHUP reopens the log file and keeps running, SIGTERM to npm stops the node and frees its ports', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wirerelay-svc-'));
    const logFile = join(dir, 'wirerelay.log');
    const npm = spawn(
      'npm',
      ['start', '--silent', '--', '--data-dir', join(dir, 'data'), '--listen', '127.0.0.1:0', '--http', '127.0.0.1:0', '--target-outbound', '0', '--log-file', logFile],
      { cwd: ROOT, env: cleanEnv(), stdio: 'ignore' },
    );
    children.push(npm);
    const started = await waitForLine(logFile, 'relay started', npm);
    expect(started.pid).not.toBe(npm.pid);
    expect(await bindable(started.listen!)).toBe(false);

    // The admin CLI without --data-dir tries the default cookie, and says so.
    const home = mkdtempSync(join(tmpdir(), 'wirerelay-home-'));
    const leave = await run(['leave', '--http', started.http!], cleanEnv({ HOME: home }));
    expect(leave.code).toBe(1);
    expect(leave.stderr).toContain(`tried ${join(home, '.wirerelay', '.cookie')} (the default: no --data-dir, WIRERELAY_DATA_DIR or --cookie was given)`);
    expect(leave.stderr).toContain('--data-dir DIR');
    // The node's WIRERELAY_DATA_DIR, as a container or unit sets it, names the cookie for the CLI too.
    const ban = await run(['ban', '203.0.113.5', '--http', started.http!], cleanEnv({ HOME: home, WIRERELAY_DATA_DIR: join(dir, 'data') }));
    expect(ban.stderr).toBe('');
    expect(ban.stdout).toMatch(/^banned 203\.0\.113\.5/);

    // logrotate: move the file, SIGHUP the node; it writes on at the path and keeps running.
    renameSync(logFile, `${logFile}.1`);
    process.kill(started.pid, 'SIGHUP');
    await waitForLine(logFile, 'log file reopened', npm);
    expect(alive(started.pid)).toBe(true);

    npm.kill('SIGTERM');
    await exited(npm);
    expect(readLog(logFile).map((l) => l.msg)).toContain('relay stopped');
    // npm waits for its child: once npm is gone, so is the node, and both ports are free.
    for (let i = 0; i < 100 && alive(started.pid); i++) await new Promise((r) => setTimeout(r, 50));
    expect(alive(started.pid)).toBe(false);
    expect(await bindable(started.listen!)).toBe(true);
    expect(await bindable(started.http!)).toBe(true);
  });

  it('a port in use names the flag, exits 1 and writes nothing to the data directory', async () => {
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    try {
      const dir = mkdtempSync(join(tmpdir(), 'wirerelay-busy-'));
      const dataDir = join(dir, 'data');
      const p2p = await run(['start', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`, '--http', 'off']);
      expect(p2p.code).toBe(1);
      expect(p2p.stderr).toMatch(new RegExp(`^wirerelay start: --listen 127\\.0\\.0\\.1:${port}: address already in use`, 'm'));
      const conf = join(dir, 'node.conf');
      writeFileSync(conf, `http=127.0.0.1:${port}\n`);
      const admin = await run(['start', '--config', conf, '--data-dir', dataDir, '--listen', '127.0.0.1:0']);
      expect(admin.code).toBe(1);
      expect(admin.stderr).toMatch(new RegExp(`^wirerelay start: --http \\(from ${conf}:1\\) 127\\.0\\.0\\.1:${port}: address already in use`, 'm'));
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      await new Promise((r) => busy.close(r));
    }
  });

  it('usage errors exit 2 and name the flag; config shows each value\'s source; --version prints the package version', async () => {
    const neg = await run(['start', '--max-inbound', '-5']);
    expect(neg.code).toBe(2);
    expect(neg.stderr).toMatch(/^wirerelay start: --max-inbound: must be a non-negative integer, got "-5"/);
    const cidr = await run(['start', '--whitelist', '10.0.0.0/99']);
    expect(cidr.code).toBe(2);
    expect(cidr.stderr).toMatch(/^wirerelay start: --whitelist: "10\.0\.0\.0\/99"/);
    const dir = mkdtempSync(join(tmpdir(), 'wirerelay-cfg-'));
    writeFileSync(join(dir, 'wirerelay.conf'), '# test\nmax-inbound=9\n');
    const config = await run(['config', '--data-dir', dir, '--json'], cleanEnv({ WIRERELAY_WORKERS: '0' }));
    expect(config.code).toBe(0);
    expect(JSON.parse(config.stdout)).toMatchObject({
      'max-inbound': { value: '9', source: `${join(dir, 'wirerelay.conf')}:2` },
      workers: { value: '0', source: 'WIRERELAY_WORKERS' },
      'data-dir': { value: dir, source: '--data-dir' },
      network: { value: 'regtest', source: 'default' },
    });
    const version = await run(['--version']);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(version.stdout).toBe(`wirerelay ${pkg.version}\n`);
  });
});
