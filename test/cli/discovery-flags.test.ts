/**
 * The discovery, proxy and connection-budget flags: parsed from flags, variables and the config
 * file like every other setting, checked by createRelay's own rules, errors naming the option.
 */
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/cli/settings.js';
import { resolveConfig } from '../../src/node/config.js';
import { DNS_SEEDS } from '../../src/conn/discovery.js';

const noFile = { WIRERELAY_DATA_DIR: '/nonexistent-wirerelay-dir' };

describe('discovery and proxy flags', () => {
  it('parse into the relay options', () => {
    const s = loadSettings(
      ['--dns-seed', 'seed.a.test', '--dns-seed', 'seed.b.test', '--dns-server', '127.0.0.1:5353', '--seednode', '127.0.0.2:18444', '--proxy', '127.0.0.1:9050', '--onion', '127.0.0.1:9051', '--block-relay-only', '1'],
      noFile,
    );
    expect(s.options).toMatchObject({
      dnsSeed: ['seed.a.test', 'seed.b.test'],
      dnsServer: '127.0.0.1:5353',
      seedNode: ['127.0.0.2:18444'],
      proxy: '127.0.0.1:9050',
      onion: '127.0.0.1:9051',
      blockRelayOnly: 1,
    });
    expect(loadSettings(['--no-dns-seed'], noFile).options).toMatchObject({ noDnsSeed: true });
  });

  it('default to Core\'s seeds per network; --no-dns-seed empties them', () => {
    expect(resolveConfig({ network: 'mainnet' }).dnsSeed).toEqual(DNS_SEEDS.mainnet);
    expect(resolveConfig({ network: 'regtest' }).dnsSeed).toEqual([]);
    expect(resolveConfig({ network: 'mainnet', noDnsSeed: true }).dnsSeed).toEqual([]);
    expect(resolveConfig({ network: 'mainnet', dnsSeed: ['seed.example.'] }).dnsSeed).toEqual(['seed.example']);
    expect(resolveConfig({}).blockRelayOnly).toBe(2);
  });

  it.each([
    [['--proxy', 'nowhere'], /--proxy.*HOST:PORT/],
    [['--dns-server', '127.0.0.1'], /--dns-server.*HOST:PORT/],
    [['--dns-seed', 'bad name!'], /--dns-seed.*not a host name/],
    [['--seednode', 'x'], /--seednode/],
    [['--block-relay-only', '101'], /--block-relay-only/],
  ])('%j is refused naming the flag', (args, message) => {
    expect(() => loadSettings(args, noFile)).toThrow(message);
  });
});
