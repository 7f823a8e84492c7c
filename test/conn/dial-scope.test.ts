import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { DialScope } from '../../src/conn/dial-scope.js';
import { AddrManager } from '../../src/addr/addr-manager.js';
import { ManualClock } from '../../src/clock.js';
import { resolveConfig } from '../../src/node/config.js';
import { createRelay } from '../../src/node/relay-node.js';

describe('DialScope', () => {
  it('onlynet classifies loopback, IPv4 and IPv6; DNS names given by the operator pass', () => {
    const v4only = new DialScope(['ipv4'], 'any');
    expect(v4only.refuseDial('1.2.3.4:8333')).toBeNull();
    expect(v4only.refuseDial('127.0.0.1:8333')).toMatch(/loopback, outside --onlynet ipv4/);
    expect(v4only.refuseDial('[2a01:4f8::1]:8333')).toMatch(/ipv6/);
    expect(v4only.refuseDial('seed.example.org:8333')).toBeNull();
    const lo = new DialScope(['loopback'], 'any');
    expect(lo.refuseDial('[::1]:18444')).toBeNull();
    expect(lo.refuseDial('10.0.0.1:18444')).not.toBeNull();
  });

  it('the local gossip scope allows loopback and private addresses only', () => {
    const s = new DialScope(['ipv4', 'ipv6', 'loopback'], 'local');
    for (const a of ['127.0.0.1:18444', '10.1.2.3:18444', '192.168.1.9:18444', '172.16.0.1:1', '[fd00::1]:1', '[::1]:1']) expect(s.allowsGossiped(a)).toBe(true);
    for (const a of ['8.8.8.8:18444', '[2a01:4f8::1]:18444', 'seed.example.org:8333']) expect(s.allowsGossiped(a)).toBe(false);
    expect(new DialScope(['ipv4'], 'any').allowsGossiped('8.8.8.8:8333')).toBe(true);
    expect(new DialScope(['ipv4'], 'any').allowsGossiped('127.0.0.1:8333')).toBe(false);
  });

  it('defaults: regtest keeps gossip dials local, other networks take any; bad values are refused', () => {
    expect(resolveConfig({ network: 'regtest' }).gossipDialScope).toBe('local');
    expect(resolveConfig({ network: 'mainnet' }).gossipDialScope).toBe('any');
    expect(resolveConfig({}).onlynet).toEqual(['ipv4', 'ipv6', 'loopback']);
    expect(() => resolveConfig({ onlynet: ['tor' as 'ipv4'] })).toThrow(/onlynet/);
    expect(() => resolveConfig({ onlynet: [] })).toThrow(/onlynet/);
    expect(() => resolveConfig({ gossipDialScope: 'public' as 'any' })).toThrow(/gossipDialScope/);
    expect(() => resolveConfig({ onlynet: ['ipv4'], addPeer: ['127.0.0.1:18444'] })).toThrow(/addPeer: 127\.0\.0\.1:18444 is on loopback, outside --onlynet ipv4/);
  });

  it('address selection skips what the scope forbids', () => {
    const clock = new ManualClock();
    const m = new AddrManager({ clock, allowLocal: true });
    const t = Math.floor(clock.now() / 1000);
    m.addAddresses([{ addr: '8.8.8.8:18444', timestamp: t }, { addr: '9.9.9.9:18444', timestamp: t }, { addr: '10.0.0.7:18444', timestamp: t }], '127.0.0.1:1');
    const scope = new DialScope(['ipv4', 'ipv6', 'loopback'], 'local');
    for (let i = 0; i < 20; i++) {
      const picked = m.selectOutbound({ allow: (a) => scope.allowsGossiped(a) });
      expect(picked === null || picked === '10.0.0.7:18444').toBe(true);
    }
  });

  it('a node refuses to dial outside --onlynet: the loopback listener never sees a connection', async () => {
    let connections = 0;
    const server = createServer(() => connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const node = createRelay({ listen: null, http: null, logLevel: 'silent', workers: 0, targetOutbound: 0, onlynet: ['ipv4'] });
    await node.start();
    try {
      node.connect(`127.0.0.1:${port}`);
      // The dial is refused before any socket is opened; server.close() below waits for any that were.
      expect(node.peers()).toEqual([]);
    } finally {
      await node.stop();
      await new Promise<void>((r) => server.close(() => r()));
    }
    expect(connections).toBe(0);
  });
});
