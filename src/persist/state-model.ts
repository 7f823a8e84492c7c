/**
 * The node's durable state as plain JSON-able data, and the only way to change it: a StateChange
 * applied by `applyChange`. Every change returns an undo record so the last change can be rewound
 * without copying the whole state (the address table can be megabytes).
 */
import { StoreError } from '../errors.js';

export interface BanEntry {
  until: number;
  reason: string;
  createdAt: number;
}

export interface FlapEntry {
  count: number;
  lastFlap: number;
}

export interface NodeState {
  version: number;
  /** Keyed by IP or CIDR. */
  bans: Record<string, BanEntry>;
  /** Keyed by HOST:PORT. */
  flaps: Record<string, FlapEntry>;
  /** Opaque serialized address manager, owned by the address book. */
  addrTable: unknown | null;
  /** Keyed by HOST:PORT: the transport an outbound peer was found to speak (src/transport/transport-policy.ts). */
  transports: Record<string, SpokenTransport>;
  clocks: { membership: number; event: number };
  meta: Record<string, string>;
}

/** What a dialled address was found to speak. */
export type SpokenTransport = 'v1' | 'v2';

export type StateChange =
  | { type: 'ban'; key: string; until: number; reason: string; createdAt: number }
  | { type: 'unban'; key: string }
  | { type: 'flaps'; entries: Array<{ peer: string; count: number; lastFlap: number }> }
  | { type: 'addrTable'; table: unknown }
  /** null forgets the address (the table is bounded). */
  | { type: 'transport'; addr: string; speaks: SpokenTransport | null }
  | { type: 'clocks'; membership: number; event: number }
  | { type: 'meta'; key: string; value: string };

/** Restores the state as it was before one change. */
export type Undo = (s: NodeState) => void;

export function emptyState(): NodeState {
  return { version: 0, bans: {}, flaps: {}, addrTable: null, transports: {}, clocks: { membership: 0, event: 0 }, meta: {} };
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
const isStr = (s: unknown, max: number): s is string => typeof s === 'string' && s.length > 0 && s.length <= max;

/**
 * Rejects malformed changes before they reach the log: a change in the log is replayed on every
 * start, so one bad record would break every start after it.
 */
export function validateChange(c: StateChange): void {
  const bad = (why: string): never => {
    throw new StoreError('ERR_STORE_CORRUPT', `invalid state change: ${why}`, { change: c.type });
  };
  switch (c.type) {
    case 'ban':
      if (!isStr(c.key, 64)) bad('ban key must be an IP or CIDR');
      if (!isCount(c.until) || !isCount(c.createdAt)) bad('ban times must be unix ms');
      if (typeof c.reason !== 'string' || c.reason.length > 256) bad('ban reason must be a string of at most 256 chars');
      return;
    case 'unban':
      if (!isStr(c.key, 64)) bad('unban key must be an IP or CIDR');
      return;
    case 'flaps':
      if (!Array.isArray(c.entries)) bad('flaps entries must be an array');
      for (const e of c.entries) {
        if (!isStr(e.peer, 300) || !isCount(e.count) || !isCount(e.lastFlap)) bad('flap entry needs peer, count, lastFlap');
      }
      return;
    case 'addrTable':
      if (c.table === undefined) bad('addrTable needs a table (null clears it)');
      return;
    case 'transport':
      if (!isStr(c.addr, 300)) bad('transport needs the peer address');
      if (c.speaks !== 'v1' && c.speaks !== 'v2' && c.speaks !== null) bad('transport speaks must be v1, v2 or null');
      return;
    case 'clocks':
      if (!isCount(c.membership) || !isCount(c.event)) bad('clocks must be non-negative integers');
      return;
    case 'meta':
      if (!isStr(c.key, 128) || typeof c.value !== 'string') bad('meta needs a key and a string value');
      return;
    default:
      bad(`unknown type ${(c as { type: unknown }).type as string}`);
  }
}

/** Applies `c` as version `version` in place and returns how to undo it. */
export function applyChange(s: NodeState, c: StateChange, version: number): Undo {
  const prevVersion = s.version;
  let undo: Undo;
  switch (c.type) {
    case 'ban':
    case 'unban': {
      const had = s.bans[c.key];
      if (c.type === 'ban') s.bans[c.key] = { until: c.until, reason: c.reason, createdAt: c.createdAt };
      else delete s.bans[c.key];
      const key = c.key;
      undo = (t) => {
        if (had === undefined) delete t.bans[key];
        else t.bans[key] = had;
      };
      break;
    }
    case 'flaps': {
      const before = c.entries.map((e) => [e.peer, s.flaps[e.peer]] as const);
      // count 0 removes the peer, so cooled-down peers do not accumulate forever.
      for (const e of c.entries) {
        if (e.count === 0) delete s.flaps[e.peer];
        else s.flaps[e.peer] = { count: e.count, lastFlap: e.lastFlap };
      }
      undo = (t) => {
        for (const [peer, had] of before.reverse()) {
          if (had === undefined) delete t.flaps[peer];
          else t.flaps[peer] = had;
        }
      };
      break;
    }
    case 'addrTable': {
      const had = s.addrTable;
      s.addrTable = c.table;
      undo = (t) => {
        t.addrTable = had;
      };
      break;
    }
    case 'transport': {
      const had = s.transports[c.addr];
      const addr = c.addr;
      if (c.speaks === null) delete s.transports[addr];
      else s.transports[addr] = c.speaks;
      undo = (t) => {
        if (had === undefined) delete t.transports[addr];
        else t.transports[addr] = had;
      };
      break;
    }
    case 'clocks': {
      const had = s.clocks;
      // Clocks only move forward: a stale writer must not pull them back.
      s.clocks = { membership: Math.max(had.membership, c.membership), event: Math.max(had.event, c.event) };
      undo = (t) => {
        t.clocks = had;
      };
      break;
    }
    case 'meta': {
      const had = s.meta[c.key];
      s.meta[c.key] = c.value;
      const key = c.key;
      undo = (t) => {
        if (had === undefined) delete t.meta[key];
        else t.meta[key] = had;
      };
      break;
    }
  }
  s.version = version;
  return (t) => {
    undo(t);
    t.version = prevVersion;
  };
}

export const encodeChange = (c: StateChange): Buffer => Buffer.from(JSON.stringify(c), 'utf8');
export const encodeSnapshot = (s: NodeState): Buffer => Buffer.from(JSON.stringify(s), 'utf8');

export function decodeChange(buf: Uint8Array): StateChange {
  const c = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8')) as StateChange;
  validateChange(c);
  return c;
}

export function decodeSnapshot(buf: Uint8Array): NodeState {
  const s = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8')) as NodeState;
  const base = emptyState();
  return {
    version: isCount(s.version) ? s.version : 0,
    bans: s.bans ?? base.bans,
    flaps: s.flaps ?? base.flaps,
    addrTable: s.addrTable ?? null,
    transports: s.transports ?? base.transports,
    clocks: s.clocks ?? base.clocks,
    meta: s.meta ?? base.meta,
  };
}

/** What `wirerelay state show` prints: counts rather than the opaque address table. */
export function summarizeState(s: NodeState): Record<string, unknown> {
  const t = s.addrTable as { new?: unknown[]; tried?: unknown[]; addrs?: unknown[] } | unknown[] | null;
  let addrTable: Record<string, number> | null = null;
  if (Array.isArray(t)) addrTable = { entries: t.length };
  else if (t !== null && typeof t === 'object') {
    addrTable = {};
    for (const [k, v] of Object.entries(t)) {
      if (!Array.isArray(v)) {
        if (v !== null && typeof v === 'object') addrTable[k] = Object.keys(v).length;
        continue;
      }
      // Bucket lists (arrays of arrays of keys) count the distinct addresses in them, not buckets.
      addrTable[k] = v.every(Array.isArray) && v.length > 0 ? new Set((v as unknown[][]).flat()).size : v.length;
    }
  }
  return { version: s.version, bans: s.bans, flaps: s.flaps, addrTable, transports: s.transports, clocks: s.clocks, meta: s.meta };
}
