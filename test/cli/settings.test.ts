import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeSettings, loadSettings, settingsHelp } from '../../src/cli/settings.js';
import { NETWORKS } from '../../src/wire/constants.js';
import { LOG_COMPONENTS } from '../../src/log.js';

function dataDirWith(conf: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'wirerelay-conf-'));
  writeFileSync(join(dir, 'wirerelay.conf'), conf);
  return dir;
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('wirerelay settings: flags, WIRERELAY_* variables and wirerelay.conf', () => {
  it('reads wirerelay.conf from the data directory: key=value, comments, a key repeated for a list', () => {
    const dir = dataDirWith(
      ['# a node on a LAN', '', 'network=testnet4', 'max-inbound = 40   # fewer slots', 'whitelist=10.0.0.0/8', 'whitelist=192.168.0.0/16', 'rejoin-after-leave=1', 'http=off'].join('\n'),
    );
    const s = loadSettings(['--data-dir', dir], {});
    expect(s.configFile).toBe(join(dir, 'wirerelay.conf'));
    expect(s.options).toMatchObject({ network: 'testnet4', maxInbound: 40, whitelist: ['10.0.0.0/8', '192.168.0.0/16'], rejoinAfterLeave: true, http: null });
    expect(s.given.get('max-inbound')!.source).toBe(`${join(dir, 'wirerelay.conf')}:4`);
  });

  it('flags win over variables, variables over the file, the file over the defaults', () => {
    const dir = dataDirWith('max-inbound=40\ntarget-outbound=4\nworkers=2\n');
    const env = { WIRERELAY_MAX_INBOUND: '30', WIRERELAY_TARGET_OUTBOUND: '3', WIRERELAY_CONNECT: '10.0.0.1:8333, 10.0.0.2:8333', HOME: '/x' };
    const s = loadSettings(['--data-dir', dir, '--max-inbound', '20'], env);
    expect(s.options).toMatchObject({ maxInbound: 20, targetOutbound: 3, workers: 2, connect: ['10.0.0.1:8333', '10.0.0.2:8333'] });
    const rows = new Map(describeSettings(s).map((r) => [r.name, r]));
    expect(rows.get('max-inbound')).toEqual({ name: 'max-inbound', value: '20', source: '--max-inbound' });
    expect(rows.get('target-outbound')).toEqual({ name: 'target-outbound', value: '3', source: 'WIRERELAY_TARGET_OUTBOUND' });
    expect(rows.get('workers')).toEqual({ name: 'workers', value: '2', source: `${join(dir, 'wirerelay.conf')}:3` });
    expect(rows.get('ban-threshold')).toEqual({ name: 'ban-threshold', value: '100', source: 'default' });
    expect(rows.get('http')).toEqual({ name: 'http', value: '127.0.0.1:9464', source: 'default' });
    expect(rows.get('ban-duration')!.value).toBe('1d');
  });

  it('--backup-policy and --backup-buffer reach the node options', () => {
    const s = loadSettings(['--backup', 'socket://127.0.0.1:9', '--backup-policy', 'stop', '--backup-buffer', '500'], {});
    expect(s.options).toMatchObject({ backup: 'socket://127.0.0.1:9', backupPolicy: 'stop', backupBufferChanges: 500 });
    expect(errorOf(() => loadSettings(['--backup-policy', 'drop'], {})).message).toMatch(/--backup-policy/);
  });

  it('--config names the file; a missing one is an error naming it', () => {
    const dir = dataDirWith('workers=3\n');
    const other = join(dir, 'other.conf');
    writeFileSync(other, 'workers=0\n');
    expect(loadSettings(['--data-dir', dir, '--config', other], {}).options.workers).toBe(0);
    expect(loadSettings(['--data-dir', dir], { WIRERELAY_CONFIG: other }).options.workers).toBe(0);
    expect(errorOf(() => loadSettings(['--config', join(dir, 'nope.conf')], {})).message).toBe(`--config: config file ${join(dir, 'nope.conf')} does not exist`);
  });

  const bad: Array<[string, string, Record<string, string>, (dir: string) => RegExp]> = [
    ['an empty value in the file', 'workers=\n', {}, (d) => new RegExp(`^${d}/wirerelay.conf:1: workers: must be a non-negative integer, got ""$`)],
    ['an empty address in the file', 'backup=\n', {}, (d) => new RegExp(`^${d}/wirerelay.conf:1: backup: needs a value$`)],
    ['a bad count on a later line', '# x\n\nban-threshold=-1\n', {}, (d) => new RegExp(`^${d}/wirerelay.conf:3: ban-threshold: must be a non-negative integer, got "-1"$`)],
    ['an unknown key', 'max-inbond=3\n', {}, (d) => new RegExp(`^${d}/wirerelay.conf:1: unknown key "max-inbond"`)],
    ['a line without =', 'listen 127.0.0.1:1\n', {}, (d) => new RegExp(`^${d}/wirerelay.conf:1: expected key=value`)],
    ['a scalar key set twice', 'workers=1\nworkers=2\n', {}, (d) => new RegExp(`^${d}/wirerelay.conf:2: workers is already set at ${d}/wirerelay.conf:1$`)],
    ['a bad CIDR in the file', 'whitelist=10.0.0.0/99\n', {}, (d) => new RegExp(`^${d}/wirerelay.conf:1: whitelist: "10.0.0.0/99" is not an IP address or CIDR subnet`)],
    ['a bad variable', '', { WIRERELAY_LISTEN: '127.0.0.1' }, () => /^WIRERELAY_LISTEN: expected HOST:PORT/],
    ['an unknown variable', '', { WIRERELAY_MAXINBOUND: '3' }, () => /^WIRERELAY_MAXINBOUND: no such setting/],
    ['two related values', 'retry-base-ms=9000\n', { WIRERELAY_RETRY_MAX_MS: '1000' }, (d) => new RegExp(`^${d}/wirerelay.conf:1, WIRERELAY_RETRY_MAX_MS: retryBaseMs \\(9000\\) must not exceed retryMaxMs`)],
  ];
  for (const [what, conf, env, message] of bad) {
    it(`rejects ${what}, naming the source, the key and the line`, () => {
      const dir = dataDirWith(conf);
      const err = errorOf(() => loadSettings(['--data-dir', dir], env));
      expect((err as { code?: string }).code).toBe('ERR_CONFIG');
      expect(err.message).toMatch(message(dir));
    });
  }

  it('help lists every network and every debug component', () => {
    const help = settingsHelp();
    for (const name of Object.keys(NETWORKS)) expect(help).toContain(name);
    for (const c of LOG_COMPONENTS) expect(help).toContain(c);
    expect(errorOf(() => loadSettings(['--network', 'moon'], {})).message).toBe(
      `--network: expected one of ${Object.keys(NETWORKS).join(', ')}, got "moon"`,
    );
  });
});
