/**
 * The admin CLI commands against a real admin server on loopback, called through their `run()`
 * with captured output (the spawned-binary path is covered in cli-spawn.test.ts).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/admin/cli-runner.js';
import { AdminServer } from '../../src/admin/http-server.js';
import * as ban from '../../src/cli/commands/ban.js';
import * as connect from '../../src/cli/commands/connect.js';
import * as disconnect from '../../src/cli/commands/disconnect.js';
import * as flows from '../../src/cli/commands/flows.js';
import * as health from '../../src/cli/commands/health.js';
import * as leave from '../../src/cli/commands/leave.js';
import * as peers from '../../src/cli/commands/peers.js';
import * as status from '../../src/cli/commands/status.js';
import * as unban from '../../src/cli/commands/unban.js';
import { makeFlow, MemoryBackend } from './memory-backend.js';

interface Captured {
  code: number;
  out: string;
  err: string;
}

type Command = { run(args: string[], io?: CliIo): Promise<number> };

async function cli(cmd: Command, args: string[]): Promise<Captured> {
  let out = '';
  let err = '';
  const code = await cmd.run(args, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

/** A port with nothing listening: bound once, then released. */
async function deadPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

let dataDir: string;
let backend: MemoryBackend;
let server: AdminServer;
let endpoint: string;
let common: string[];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'wirerelay-cli-test-'));
  backend = new MemoryBackend();
  backend.addPeer('10.0.0.1:8333', { banScore: 10, rttMs: 12.4, bytesIn: 2048, userAgent: '/Satoshi:27.0.0/' });
  backend.addPeer('[2001:db8::1]:8333', { direction: 'inbound', mesh: true, state: 'handshaking', rttMs: null, transport: 'v1', sessionId: null });
  backend.setHealth('10.0.0.1:8333', { uptimeRatio: 0.9, flapCount: 2, tier: 0 });
  backend.setHealth('[2001:db8::1]:8333', { uptimeRatio: 0.25, flapCount: 17, tier: 2, lastFlap: null });
  server = new AdminServer({ backend, dataDir });
  const addr = await server.start('127.0.0.1', 0);
  endpoint = addr.addr;
  common = ['--http', endpoint, '--data-dir', dataDir];
});

afterEach(async () => {
  await server.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('read commands', () => {
  it('status prints a key/value block, or the JSON with --json', async () => {
    const text = await cli(status, common);
    expect(text.code).toBe(0);
    expect(text.err).toBe('');
    expect(text.out).toMatch(/^network: +regtest$/m);
    expect(text.out).toMatch(/^peers: +1 established \(1 in, 1 out\)$/m);
    expect(text.out).toMatch(/^version: +0\.1\.0$/m);
    expect(text.out).toMatch(/^data dir: +\/var\/lib\/wirerelay$/m);
    expect(text.out).toMatch(/^received: +12\.5 msgs\/s 4\.0 KiB\/s \(10 s\), 12\.5 msgs\/s 2\.0 KiB\/s \(1 min\)$/m);
    expect(text.out).toMatch(/^process: +CPU 12\.5%, RSS 80\.0 MiB$/m);
    expect(text.out).not.toMatch(/^warning:/m);
    backend.warnings = ['no outbound peers: the node hears only from peers that dial it'];
    expect((await cli(status, common)).out).toMatch(/^warning: +no outbound peers: the node hears only from peers that dial it$/m);
    const json = await cli(status, [...common, '--json']);
    expect(JSON.parse(json.out)).toEqual(backend.status());
  });

  it('status needs no cookie from a loopback endpoint', async () => {
    const r = await cli(status, ['--http', endpoint, '--data-dir', join(dataDir, 'missing')]);
    expect(r.code).toBe(0);
  });

  it('peers prints one aligned row per peer', async () => {
    const r = await cli(peers, common);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ADDR +DIR +STATE +TRANSPORT +FLAGS +SCORE +PING +MINPING +SEND +RECV +IN +OUT +CONNTIME +VER +AGENT +SESSION$/);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^10\.0\.0\.1:8333 +out +established +v2 +- +10 +12ms +40ms +\d+d \d+h +\d+d \d+h +2\.0 KiB +7\.7 KiB +\d+d \d+h +70016 +\/Satoshi:27\.0\.0\/ +abababababababab$/);
    expect(lines[2]).toMatch(/^\[2001:db8::1\]:8333 +in +handshaking +v1 +mesh +0 +- .* -$/);
    // The header and rows line up: the SCORE column ends at the same offset everywhere.
    const end = lines[0]!.indexOf('SCORE') + 'SCORE'.length;
    expect(lines[1]!.slice(end - 2, end)).toBe('10');
    const json = await cli(peers, [...common, '--json']);
    expect(JSON.parse(json.out)).toEqual(backend.peers());
  });

  it('peers -v prints what getpeerinfo shows, per peer', async () => {
    backend.peerMap.clear();
    backend.addPeer('10.0.0.1:8333', { permanent: true, whitelisted: true, rttMs: 12.4, minRttMs: 9.6 });
    const r = await cli(peers, [...common, '-v']);
    expect(r.code).toBe(0);
    const block = r.out.split('\n');
    expect(block[0]).toBe('10.0.0.1:8333');
    expect(r.out).toMatch(/^  direction: +outbound \(perm,wl\)$/m);
    expect(r.out).toMatch(/^  services: +NETWORK WITNESS NETWORK_LIMITED \(0x409\)$/m);
    expect(r.out).toMatch(/^  ping: +12ms \(min 10ms\)$/m);
    expect(r.out).toMatch(/^  version: +70016 \/Satoshi:27\.0\.0\/$/m);
    expect(r.out).toMatch(/^  sent: +7\.7 KiB in 80 msgs: inv 7\.6 KiB, version 126 B$/m);
    expect(r.out).toMatch(/^  received: +120\.6 KiB in 100 msgs: tx 120\.4 KiB, version 126 B$/m);
    expect(r.out).toMatch(/^  state: +established, connected \d+d \d+h ago \(2023-11-14T22:13:20Z\)$/m);
    expect(r.out).toMatch(/^  transport: +v2, session id (ab){32}$/m);
  });

  it('peers prints control characters from a user agent as ?', async () => {
    backend.addPeer('10.0.0.3:8333', { userAgent: '/x\u001b[2J\u001b]0;hi\u0007/' });
    const r = await cli(peers, common);
    expect(r.out).toContain('/x?[2J?]0;hi?/');
    expect(r.out).not.toContain('\u001b');
  });

  it('flows passes --top/--by and prints a table', async () => {
    backend.flowRows = [
      makeFlow('10.0.0.1:8333', '[2001:db8::1]:8333', 4096, 10),
      makeFlow('[2001:db8::1]:8333', '10.0.0.1:8333', 100, 2048),
    ];
    const r = await cli(flows, [...common, '--top', '1', '--by', 'rate']);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SRC +DST +PACKETS +BYTES +RATE +DROPS +LAST ACTIVE$/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^\[2001:db8::1\]:8333 +10\.0\.0\.1:8333 .* 2\.0 KiB\/s /);
    const json = await cli(flows, [...common, '--json']);
    expect(JSON.parse(json.out).map((f: { bytes: number }) => f.bytes)).toEqual([4096, 100]);
    expect((await cli(flows, [...common, '--by', 'speed'])).code).toBe(2);
    const tooMany = await cli(flows, [...common, '--top', '5000']);
    expect(tooMany.code).toBe(1);
    expect(tooMany.err).toMatch(/"top" must be an integer from 1 to 1000 \(ERR_BAD_REQUEST\)/);
  });

  it('health shows one peer, IPv6 included', async () => {
    const r = await cli(health, [...common, '[2001:db8::1]:8333']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^tier: +2$/m);
    expect(r.out).toMatch(/^uptime: +25\.0% /m);
    expect(r.out).toMatch(/^flaps: +17$/m);
    expect(r.out).toMatch(/^last flap: +-$/m);
    const json = await cli(health, [...common, '--json', '10.0.0.1:8333']);
    expect(JSON.parse(json.out)).toEqual(backend.health('10.0.0.1:8333'));
  });

  it('health of an unknown peer fails with the endpoint message', async () => {
    const r = await cli(health, [...common, '10.9.9.9:8333']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('wirerelay health: no health record for 10.9.9.9:8333 (ERR_UNKNOWN_TARGET)\n');
  });
});

describe('write commands', () => {
  it('ban with --duration and --reason, then list and unban', async () => {
    const r = await cli(ban, [...common, '10.0.0.5', '--duration', '24h', '--reason', 'spam']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`banned 10.0.0.5 until 2023-11-15T22:13:20Z\n`);
    expect(backend.banMap.get('10.0.0.5')).toEqual({ target: '10.0.0.5', createdAt: backend.clock.now(), until: backend.clock.now() + 86_400_000, reason: 'spam' });

    expect((await cli(ban, [...common, '10.1.0.0/16', '--duration', '60'])).code).toBe(0);
    expect(backend.banMap.get('10.1.0.0/16')?.until).toBe(backend.clock.now() + 60_000);

    const list = await cli(ban, common);
    const rows = list.out.split('\n');
    expect(rows[0]).toMatch(/^TARGET +CREATED +EXPIRES +REASON$/);
    expect(rows[1]).toMatch(/^10\.0\.0\.5 +2023-11-14T22:13:20Z +2023-11-15T22:13:20Z \(in .+\) +spam$/);
    expect(list.out).toContain('10.1.0.0/16');
    expect(JSON.parse((await cli(ban, [...common, '--json'])).out)).toHaveLength(2);

    const un = await cli(unban, [...common, '10.0.0.5']);
    expect(un).toEqual({ code: 0, out: 'unbanned 10.0.0.5\n', err: '' });
    expect(backend.banMap.has('10.0.0.5')).toBe(false);
    const again = await cli(unban, [...common, '10.0.0.5']);
    expect(again.code).toBe(1);
    expect(again.err).toContain('10.0.0.5 is not banned');
  });

  it('ban --json prints the endpoint reply', async () => {
    const r = await cli(ban, [...common, '--json', '::1']);
    expect(JSON.parse(r.out)).toEqual({ ok: true, ban: backend.bans()[0] });
  });

  it('ban rejects a bad duration or target', async () => {
    const badDuration = await cli(ban, [...common, '10.0.0.5', '--duration', 'soon']);
    expect(badDuration.code).toBe(2);
    expect(badDuration.err).toMatch(/--duration must be like 24h/);
    const badTarget = await cli(ban, [...common, 'example.com']);
    expect(badTarget.code).toBe(1);
    expect(badTarget.err).toMatch(/not an IP address or CIDR subnet \(ERR_BAD_TARGET\)/);
    expect(backend.banMap.size).toBe(0);
  });

  it('connect (permanent), disconnect and leave', async () => {
    const c = await cli(connect, [...common, '[2001:db8::7]:18444', '--permanent']);
    expect(c).toEqual({ code: 0, out: 'connecting to [2001:db8::7]:18444 (permanent)\n', err: '' });
    expect(backend.peerMap.get('[2001:db8::7]:18444')?.permanent).toBe(true);

    const d = await cli(disconnect, [...common, '10.0.0.1:8333']);
    expect(d).toEqual({ code: 0, out: 'disconnected 10.0.0.1:8333\n', err: '' });
    const d2 = await cli(disconnect, [...common, '10.0.0.1:8333']);
    expect(d2.code).toBe(1);
    expect(d2.err).toContain('no peer 10.0.0.1:8333');

    const l = await cli(leave, [...common, '--json']);
    expect(JSON.parse(l.out)).toEqual({ ok: true });
    expect(backend.left).toBe(true);
  });

  it('says "bad or missing cookie, pass --data-dir" without a readable cookie', async () => {
    const missing = await cli(ban, ['--http', endpoint, '--data-dir', join(dataDir, 'nowhere'), '10.0.0.5']);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^wirerelay ban: bad or missing cookie, pass --data-dir/);
    expect(missing.err).toContain(join(dataDir, 'nowhere', '.cookie'));

    const stale = join(dataDir, 'stale.cookie');
    await writeFile(stale, `__cookie__:${'ab'.repeat(32)}`);
    const wrong = await cli(leave, ['--http', endpoint, '--cookie', stale]);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/^wirerelay leave: bad or missing cookie, pass --data-dir/);
    expect(backend.left).toBe(false);
    expect(backend.banMap.size).toBe(0);
  });

  it('finds the cookie through --cookie for a node without a data dir', async () => {
    const tmpNode = new AdminServer({ backend, dataDir: null });
    const addr = await tmpNode.start('127.0.0.1', 0);
    try {
      const r = await cli(disconnect, ['--http', addr.addr, '--cookie', tmpNode.cookiePath!, '10.0.0.1:8333']);
      expect(r.code).toBe(0);
    } finally {
      await tmpNode.close();
    }
  });
});

describe('failures and usage', () => {
  it('says it cannot reach the endpoint when no node listens, exit 1', async () => {
    const port = await deadPort();
    for (const cmd of [status, peers, leave] as Command[]) {
      const r = await cli(cmd, ['--http', `127.0.0.1:${port}`, '--data-dir', dataDir]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(new RegExp(`cannot reach the admin endpoint at 127\\.0\\.0\\.1:${port} \\(connection refused`));
    }
  });

  it.each([
    ['unknown option', status, ['--bogus']],
    ['extra argument', peers, ['extra']],
    ['missing TARGET', unban, []],
    ['missing ADDR', connect, []],
    ['bad --http', status, ['--http', 'localhost']],
    ['option value missing', flows, ['--top']],
    ['--reason without TARGET', ban, ['--reason', 'x']],
  ] as Array<[string, Command, string[]]>)('exits 2 on %s', async (_name, cmd, args) => {
    const r = await cli(cmd, [...args, ...(args.includes('--http') ? [] : ['--http', endpoint])]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/\nusage: wirerelay \w+/);
    expect(r.out).toBe('');
  });

  it('--help prints usage and the common options, exit 0', async () => {
    const r = await cli(ban, ['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^usage: wirerelay ban \[TARGET/);
    expect(r.out).toContain('--data-dir DIR');
    expect(r.out).toContain('default 127.0.0.1:9464');
  });
});
