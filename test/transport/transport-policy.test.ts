/**
 * The transport of each connection and what dialled addresses teach (src/transport/transport-policy.ts):
 * a manual peer with nothing known gets a key-only v2 probe, what an address showed is remembered
 * (and recorded durably), the operator's word wins, v2only never falls back, and the table is bounded.
 */
import { describe, expect, it } from 'vitest';
import { FrameVerifier } from '../../src/framing/frame-verifier.js';
import { Logger } from '../../src/log.js';
import type { TransportMode } from '../../src/types.js';
import type { SpokenTransport } from '../../src/persist/state-model.js';
import type { TransportContext } from '../../src/transport/transport.js';
import { MAX_REMEMBERED_TRANSPORTS, TransportPolicy } from '../../src/transport/transport-policy.js';
import { V2Transport } from '../../src/transport/v2/transport.js';
import { FrameScanner } from '../../src/wasm/frame-scanner.js';
import { NODE_P2P_V2, NODE_WITNESS } from '../../src/wire/constants.js';
import { REGTEST, frameOf, versionMessage } from '../helpers/raw-peer.js';

const verifier = new FrameVerifier(undefined, { poolMinBytes: 1 << 30 }, new FrameScanner());

function context(addr: string, direction: 'inbound' | 'outbound' = 'outbound'): { ctx: TransportContext; written: Uint8Array[] } {
  const written: Uint8Array[] = [];
  const ctx: TransportContext = {
    magic: REGTEST,
    verifier,
    direction,
    addr,
    sink: { onBatch: () => {}, onError: () => {}, onReady: () => {}, writeRaw: (b) => written.push(b) },
  };
  return { ctx, written };
}

interface Setup {
  mode?: TransportMode;
  overrides?: Record<string, SpokenTransport>;
  learnt?: Record<string, SpokenTransport>;
  advertised?: Record<string, bigint>;
  manual?: string[];
}

function policy(s: Setup = {}): { policy: TransportPolicy; records: Array<[string, SpokenTransport | null]>; lines: string[] } {
  const records: Array<[string, SpokenTransport | null]> = [];
  const lines: string[] = [];
  const p = new TransportPolicy({
    mode: s.mode ?? 'v2',
    overrides: s.overrides ?? {},
    learnt: s.learnt ?? {},
    record: (addr, speaks) => records.push([addr, speaks]),
    advertised: (addr) => s.advertised?.[addr] ?? 0n,
    isManual: (addr) => (s.manual ?? []).includes(addr),
    onFailure: () => {},
    log: new Logger('info', (l) => lines.push(l)),
  });
  return { policy: p, records, lines };
}

/** What a dial of `addr` starts as: 'v1', 'v2' (key and garbage) or 'probe' (key alone). */
function dialOf(p: TransportPolicy, addr: string): 'v1' | 'v2' | 'probe' {
  const { ctx, written } = context(addr);
  const t = p.transportFor(ctx);
  t.start();
  if (t.name === 'v1') return 'v1';
  const probe = (t as V2Transport).probe;
  if (probe) expect(written.reduce((n, b) => n + b.byteLength, 0)).toBe(64);
  return probe ? 'probe' : 'v2';
}

/** A v2 dial of `addr` whose peer answers with a v1 version message. */
function answeredInV1(p: TransportPolicy, addr: string): V2Transport {
  const { ctx } = context(addr);
  const t = p.transportFor(ctx) as V2Transport;
  t.start();
  t.receive(frameOf(versionMessage()));
  expect(t.failure).toBe('v1-reply');
  return t;
}

describe('choosing the transport of a dial', () => {
  const table: Array<[string, Setup, string, 'v1' | 'v2' | 'probe']> = [
    ['a manual peer with nothing known gets a key-only probe', { manual: ['10.0.0.1:8333'] }, '10.0.0.1:8333', 'probe'],
    ['an automatic peer with nothing known gets v1', {}, '10.0.0.1:8333', 'v1'],
    ['gossip advertising NODE_P2P_V2 gets v2 with garbage', { advertised: { '10.0.0.1:8333': NODE_P2P_V2 } }, '10.0.0.1:8333', 'v2'],
    ['an address that showed v2 gets v2 with garbage', { learnt: { '10.0.0.1:8333': 'v2' }, manual: ['10.0.0.1:8333'] }, '10.0.0.1:8333', 'v2'],
    ['an address that showed v1 gets v1, manual or not', { learnt: { '10.0.0.1:8333': 'v1' }, manual: ['10.0.0.1:8333'] }, '10.0.0.1:8333', 'v1'],
    ['the operator\'s v1 beats gossip', { overrides: { '10.0.0.1:8333': 'v1' }, advertised: { '10.0.0.1:8333': NODE_P2P_V2 } }, '10.0.0.1:8333', 'v1'],
    ['the operator\'s v2 beats what was learnt', { overrides: { '10.0.0.1:8333': 'v2' }, learnt: { '10.0.0.1:8333': 'v1' } }, '10.0.0.1:8333', 'v2'],
    ['v1only dials v1 even where v2 is known', { mode: 'v1only', learnt: { '10.0.0.1:8333': 'v2' } }, '10.0.0.1:8333', 'v1'],
    ['v2only probes where v2 is not known', { mode: 'v2only', learnt: { '10.0.0.1:8333': 'v1' } }, '10.0.0.1:8333', 'probe'],
    ['v2only sends garbage where v2 is known', { mode: 'v2only', learnt: { '10.0.0.1:8333': 'v2' } }, '10.0.0.1:8333', 'v2'],
  ];
  for (const [name, setup, addr, want] of table) {
    it(name, () => expect(dialOf(policy(setup).policy, addr)).toBe(want));
  }

  it('accepts v1 and v2 inbound on one port unless v1only or v2only', () => {
    const { ctx } = context('10.0.0.9:50000', 'inbound');
    expect(policy().policy.transportFor(ctx)).toBeInstanceOf(V2Transport);
    expect(policy({ mode: 'v1only' }).policy.transportFor(ctx).name).toBe('v1');
  });
});

describe('what a dial teaches', () => {
  it('a v1 answer to the probe is remembered, recorded once, and the address redialled at once with v1', () => {
    const { policy: p, records, lines } = policy({ manual: ['10.0.0.1:8333'] });
    expect(p.onClosed('10.0.0.1:8333', answeredInV1(p, '10.0.0.1:8333'))).toBe('redial-now');
    expect(records).toEqual([['10.0.0.1:8333', 'v1']]);
    expect(lines.some((l) => l.includes('answered the v2 key in v1'))).toBe(true);
    expect(dialOf(p, '10.0.0.1:8333')).toBe('v1');
    expect(dialOf(p, '10.0.0.1:8333')).toBe('v1');
  });

  it('a v2 dial closed before the key exchange without a word gets one v1 dial, not a durable verdict (Core)', () => {
    const { policy: p, records } = policy({ manual: ['10.0.0.1:8333'] });
    const { ctx } = context('10.0.0.1:8333');
    const t = p.transportFor(ctx);
    t.start();
    t.close('ended');
    expect(p.onClosed('10.0.0.1:8333', t)).toBe('redial-now');
    expect(records).toEqual([]);
    expect(dialOf(p, '10.0.0.1:8333')).toBe('v1');
    expect(dialOf(p, '10.0.0.1:8333')).toBe('probe');
  });

  it('a peer\'s own version message decides: NODE_P2P_V2 → v2, without it → v1; unchanged knowledge is not recorded again', () => {
    const { policy: p, records } = policy();
    p.onVersion('10.0.0.1:8333', NODE_WITNESS | NODE_P2P_V2);
    p.onVersion('10.0.0.1:8333', NODE_WITNESS | NODE_P2P_V2);
    p.onVersion('10.0.0.2:8333', NODE_WITNESS);
    expect(records).toEqual([['10.0.0.1:8333', 'v2'], ['10.0.0.2:8333', 'v1']]);
    expect(dialOf(p, '10.0.0.1:8333')).toBe('v2');
    expect(dialOf(p, '10.0.0.2:8333')).toBe('v1');
  });

  it('v2only: a v1 answer fails with a clear line and no redial', () => {
    const { policy: p, lines } = policy({ mode: 'v2only' });
    expect(p.onClosed('10.0.0.1:8333', answeredInV1(p, '10.0.0.1:8333'))).toBe('none');
    expect(lines.some((l) => l.includes('speaks v1 only and this node is v2only'))).toBe(true);
  });

  it('remembers at most MAX_REMEMBERED_TRANSPORTS addresses, forgetting (durably) the oldest', () => {
    const { policy: p, records } = policy();
    for (let i = 0; i <= MAX_REMEMBERED_TRANSPORTS; i++) p.onVersion(`10.1.${i >> 8}.${i & 255}:8333`, 0n);
    expect(records.at(-1)).toEqual(['10.1.0.0:8333', null]);
    expect(p.known('10.1.0.0:8333')).toBeUndefined();
    expect(p.known('10.1.0.1:8333')).toBe('v1');
  });
});
