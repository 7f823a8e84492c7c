import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/cli/settings.js';

/** The options `wirerelay start ARGS` runs with, with no variables and no config file. */
const optionsFromArgs = (args: string[]) => loadSettings([...args, ...(args.includes('--data-dir') ? [] : ['--data-dir', '/nonexistent/wirerelay-test'])], {}).options;
import { resolveConfig } from '../../src/node/config.js';
import { hasErrorCode } from '../../src/errors.js';

describe('wirerelay start options', () => {
  it('maps every flag onto the relay options', () => {
    const o = optionsFromArgs([
      '--network', 'testnet4', '--listen', '[::1]:1234', '--connect', '1.2.3.4:8333', '--connect', '5.6.7.8:8333',
      '--add-peer', '9.9.9.9:8333', '--mesh', '10.0.0.2:18444', '--data-dir', '/tmp/x', '--max-inbound', '5',
      '--target-outbound', '3', '--ban-threshold', '50', '--ban-duration', '2h', '--whitelist', '10.0.0.0/8',
      '--workers', '2', '--pool-min-bytes', '65536', '--receive-rate', '0', '--log-level', 'warn', '--http', 'off',
      '--trickle-ms', '500', '--retry-base-ms', '100', '--retry-max-ms', '1000', '--rejoin-after-leave',
      '--max-inbound-per-address', '2', '--max-inbound-per-group', '4', '--max-pending-inbound', '3',
      '--onlynet', 'ipv4', '--onlynet', 'loopback', '--gossip-dial-scope', 'local', '--transport', 'v1only',
      '--relay-cache-max-age', '60s',
    ]);
    const c = resolveConfig(o);
    expect(c).toMatchObject({
      network: 'testnet4',
      listen: { host: '::1', port: 1234 },
      connect: ['1.2.3.4:8333', '5.6.7.8:8333'],
      addPeer: ['9.9.9.9:8333'],
      mesh: ['10.0.0.2:18444'],
      dataDir: '/tmp/x',
      maxInbound: 5,
      targetOutbound: 3,
      banThreshold: 50,
      banDurationMs: 2 * 3600_000,
      whitelist: ['10.0.0.0/8'],
      workers: 2,
      poolMinBytes: 65536,
      receiveRateBytesPerSec: 0,
      logLevel: 'warn',
      http: null,
      trickleIntervalMs: 500,
      retryBaseMs: 100,
      retryMaxMs: 1000,
      rejoinAfterLeave: true,
      maxInboundPerAddress: 2,
      maxInboundPerGroup: 4,
      maxPendingInbound: 3,
      onlynet: ['ipv4', 'loopback'],
      gossipDialScope: 'local',
      transport: 'v1only',
      relayCacheMaxAgeMs: 60_000,
    });
  });

  it('defaults work offline on loopback: regtest on 127.0.0.1, admin on 127.0.0.1:9464', () => {
    const c = resolveConfig(optionsFromArgs([]));
    // The library alone opens no admin port.
    expect(resolveConfig({}).http).toBeNull();
    expect(c.network).toBe('regtest');
    expect(c.listen).toEqual({ host: '127.0.0.1', port: 18444 });
    expect(c.http).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(c.whitelist).toEqual([]);
    expect(c.transport).toBe('v2');
    // Bitcoin Core's RELAY_TX_CACHE_TIME.
    expect(c.relayCacheMaxAgeMs).toBe(15 * 60_000);
    expect(() => resolveConfig({ relayCacheMaxAgeMs: 0 })).toThrow(/relayCacheMaxAgeMs/);
  });

  const bad: Array<[string, string[] | Record<string, unknown>, RegExp]> = [
    ['a non-numeric count', ['--max-inbound', 'many'], /--max-inbound/],
    ['a negative count', ['--max-inbound', '-5'], /^--max-inbound: must be a non-negative integer, got "-5"$/],
    ['a negative count after =', ['--target-outbound=-1'], /^--target-outbound: must be a non-negative integer/],
    ['a CIDR prefix out of range', ['--whitelist', '10.0.0.0/99'], /^--whitelist: "10\.0\.0\.0\/99" is not an IP address or CIDR subnet/],
    ['an unknown flag', ['--max-inbond', '3'], /^unknown option --max-inbond$/],
    ['a flag without its value', ['--listen'], /^--listen needs a value/],
    ['an unknown option key', { maxInbond: 3 }, /^unknown option "maxInbond"$/],
    ['a bad duration', ['--ban-duration', 'forever'], /--ban-duration/],
    ['an unknown network', { network: 'moonnet' }, /unknown network "moonnet"/],
    ['a listen address without a port', { listen: '127.0.0.1' }, /listen: expected HOST:PORT/],
    ['a connect address without a port', { connect: ['1.2.3.4'] }, /connect: expected HOST:PORT/],
    ['a whitelist entry that is not an IP', { whitelist: ['example.com'] }, /whitelist: "example.com"/],
    ['a zero ban threshold', { banThreshold: 0 }, /banThreshold must be an integer from 1/],
    ['a backup URL of another scheme', { backup: 'http://x' }, /backup must be file:\/\/\/PATH or socket:\/\/HOST:PORT/],
    ['a retry base above the cap', { retryBaseMs: 10_000, retryMaxMs: 1000 }, /retryBaseMs \(10000\) must not exceed retryMaxMs/],
    ['an unknown log level', { logLevel: 'loud' }, /logLevel must be one of/],
    ['an unknown transport flag', ['--transport', 'v3'], /^--transport: expected one of v2, v1only, v2only, got "v3"$/],
    ['an unknown transport', { transport: 'v3' }, /^transport must be one of v2, v1only, v2only, got "v3"$/],
  ];
  for (const [what, input, message] of bad) {
    it(`rejects ${what} with a ConfigError naming the option`, () => {
      let err: unknown;
      try {
        resolveConfig(Array.isArray(input) ? optionsFromArgs(input) : (input as never));
      } catch (e) {
        err = e;
      }
      expect(hasErrorCode(err, 'ERR_CONFIG')).toBe(true);
      expect((err as Error).message).toMatch(message);
    });
  }
});
