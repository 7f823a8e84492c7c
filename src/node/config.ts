/**
 * Relay configuration: defaults and validation. Every bad option is rejected at start-up with a
 * message that names the option, never discovered later as odd behaviour.
 */
import { isIP } from 'node:net';
import { ConfigError } from '../errors.js';
import { parseRpcAuth } from '../rpc/auth.js';
import { parseCidr } from '../util/ip.js';
import { formatHostPort, parseHostPort, requireHostPort } from '../util/host-port.js';
import { VERSION } from '../version.js';
import { NETWORKS, networkByName } from '../wire/constants.js';
import { DEFAULT_MAX_AGE_MS } from '../relay/relay-cache.js';
import { DialScope, DIAL_NETS, GOSSIP_DIAL_SCOPES } from '../conn/dial-scope.js';
import { DEFAULT_ZMQ_HWM, ZMQ_TOPIC_OPTIONS } from '../zmq/topics.js';
import { DNS_SEEDS } from '../conn/discovery.js';
import { defaultMaxPending, DEFAULT_MAX_INBOUND_PER_ADDRESS, DEFAULT_MAX_INBOUND_PER_GROUP } from '../conn/inbound-policy.js';
import type { DialNet, GossipDialScope } from '../conn/dial-scope.js';
import type { BackupMode, HostPort, LogLevel, RelayConfig, TransportMode } from '../types.js';

export type RelayOptions = Partial<Omit<RelayConfig, 'listen' | 'http' | 'rpc'>> & {
  /** `HOST:PORT`, a HostPort, or null (the default) for no JSON-RPC listener. */
  rpc?: string | HostPort | null;
  /** `HOST:PORT`, a HostPort, or null for no listener. */
  listen?: string | HostPort | null;
  /** `HOST:PORT`, a HostPort, or null (the default) for no admin endpoint. */
  http?: string | HostPort | null;
};

/** Every option `createRelay` accepts; anything else is a ConfigError naming the key. */
const OPTION_KEYS: Readonly<Record<keyof RelayConfig, true>> = {
  network: true, listen: true, connect: true, addPeer: true, mesh: true, dataDir: true, maxInbound: true,
  targetOutbound: true, banThreshold: true, banDurationMs: true, whitelist: true, workers: true, poolMinBytes: true,
  logLevel: true, http: true, userAgent: true, trickleIntervalMs: true, pingIntervalMs: true, handshakeTimeoutMs: true,
  idleTimeoutMs: true, stallTimeoutMs: true, sendQueueMaxBytes: true, sendQueueMaxMessages: true,
  receiveBufferMaxBytes: true, receiveRateBytesPerSec: true, receiveBurstBytes: true, relayCacheMaxBytes: true, blockStoreMaxBytes: true,
  relayCacheMaxAgeMs: true,
  getdataTimeoutMs: true, retryBaseMs: true, retryMaxMs: true, allowLocalAddresses: true, backup: true, backupPolicy: true, backupBufferChanges: true,
  rejoinAfterLeave: true, maxInboundPerAddress: true, maxInboundPerGroup: true, maxPendingInbound: true,
  onlynet: true, gossipDialScope: true, transport: true, peerTransport: true, blockRelayOnly: true, proxy: true, onion: true,
  dnsSeed: true, noDnsSeed: true, dnsServer: true, seedNode: true, meshDns: true, meshDnsIntervalMs: true,
  rpc: true, rpcAuth: true, rpcAllowIp: true,
  zmqPubRawTx: true, zmqPubHashTx: true, zmqPubRawBlock: true, zmqPubHashBlock: true, zmqPubSequence: true,
  zmqPubRawTxHwm: true, zmqPubHashTxHwm: true, zmqPubRawBlockHwm: true, zmqPubHashBlockHwm: true, zmqPubSequenceHwm: true,
};


/**
 * A ZMQ endpoint to bind: `tcp://IP:PORT` (IPv6 bracketed; `*` for every interface) or
 * `ipc://PATH`. Host names are refused: binding one would mean resolving it.
 */
export function checkZmqEndpoint(text: string, what: string): string {
  const fail = (): never => {
    throw new ConfigError(`${what}: expected tcp://IP:PORT (IPv6 as tcp://[::1]:PORT) or ipc://PATH, got "${text}"`, { option: what });
  };
  if (typeof text !== 'string') fail();
  if (text.startsWith('ipc://')) return text.length > 6 ? text : fail();
  if (!text.startsWith('tcp://')) fail();
  const rest = text.slice(6);
  if (rest.startsWith('*:')) {
    const port = rest.slice(2);
    return /^[0-9]{1,5}$/.test(port) && Number(port) <= 65535 ? text : fail();
  }
  const hp = parseHostPort(rest);
  if (hp === null || isIP(hp.host) === 0) fail();
  return text;
}

function stringList(value: readonly string[] | undefined, what: string, check: (s: string) => unknown): string[] {
  if (value !== undefined && !Array.isArray(value)) throw new ConfigError(`${what} must be a list`, { option: what });
  const list = [...(value ?? [])];
  for (const v of list) {
    if (typeof v !== 'string' || check(v) === null) throw new ConfigError(`${what}: "${String(v)}" is not valid`, { option: what });
  }
  return list;
}

/** The data directory the CLI uses when `--data-dir` is not given. */
export const DEFAULT_ADMIN_PORT = 9464;

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];
/** The values of the backupPolicy option, and how many changes `buffer` queues by default. */
export const BACKUP_MODES: readonly BackupMode[] = ['stop', 'buffer'];
export const DEFAULT_BACKUP_BUFFER_CHANGES = 10_000;
/** The values of the transport option (BIP324 v2 with v1 fallback, or one of them only). */
export const TRANSPORT_MODES: readonly TransportMode[] = ['v2', 'v1only', 'v2only'];

function hostPortOption(value: string | HostPort | null | undefined, fallback: HostPort | null, what: string): HostPort | null {
  if (value === undefined) return fallback;
  if (value === null) return null;
  if (typeof value === 'string') return requireHostPort(value, what);
  if (typeof value.host !== 'string' || !Number.isInteger(value.port) || value.port < 0 || value.port > 65535) {
    throw new ConfigError(`${what}: expected { host, port } with a port from 0 to 65535`);
  }
  return { host: value.host, port: value.port };
}

function int(value: number | undefined, fallback: number, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) throw new ConfigError(`${what} must be an integer from ${min} to ${max}, got ${String(value)}`);
  return v;
}

/** An optional `HOST:PORT` option kept as text; a ConfigError naming `what` if malformed. */
function hostPortText(value: string | null | undefined, what: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new ConfigError(`${what}: expected HOST:PORT`, { option: what });
  requireHostPort(value, what);
  return value;
}

/** `NAME:PORT` for mesh discovery: a host name (resolved for A/AAAA) and the mesh instances' port. */
function meshDnsOption(value: string | null | undefined): string | null {
  if (value === undefined || value === null) return null;
  const hp = typeof value === 'string' ? parseHostPort(value) : null;
  if (hp === null || hp.port === 0 || /^[0-9.]+$/.test(hp.host) || hp.host.includes(':')) {
    throw new ConfigError(`meshDns: expected NAME:PORT with a host name and a port from 1 to 65535, got "${String(value)}"`, { option: 'meshDns' });
  }
  return value;
}

/** DNS seed names: RFC 1123 host names (a trailing dot, as Core writes them, is dropped). */
function seedNames(value: readonly string[] | undefined, fallback: readonly string[]): string[] {
  if (value === undefined) return [...fallback];
  return value.map((name) => {
    const n = typeof name === 'string' ? name.replace(/\.$/, '') : '';
    if (parseHostPort(`${n}:0`) === null || /^[0-9.]+$/.test(n)) throw new ConfigError(`dnsSeed: "${String(name)}" is not a host name`, { option: 'dnsSeed' });
    return n;
  });
}

/** `HOST:PORT@v1` / `HOST:PORT@v2`: a peer address with the operator's transport for it. */
const TRANSPORT_SUFFIX = /@(v1|v2)$/;

/** The addresses of a peer list, their `@v1`/`@v2` suffixes moved into `transports`. */
function addrList(value: readonly string[] | undefined, what: string, transports: Record<string, 'v1' | 'v2'> = {}): string[] {
  return (value ?? []).map((entry) => {
    const m = TRANSPORT_SUFFIX.exec(entry);
    const addr = m === null ? entry : entry.slice(0, m.index);
    requireHostPort(addr, what);
    if (m !== null) transports[addr] = m[1] as 'v1' | 'v2';
    return addr;
  });
}

export function resolveConfig(options: RelayOptions = {}): RelayConfig {
  if (typeof options !== 'object' || options === null) throw new ConfigError('options must be an object');
  for (const key of Object.keys(options)) {
    if (!Object.hasOwn(OPTION_KEYS, key)) throw new ConfigError(`unknown option "${key}"`, { option: key });
  }
  let network;
  try {
    network = networkByName(options.network ?? 'regtest');
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const logLevel = options.logLevel ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`logLevel must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  const backup = options.backup ?? null;
  if (backup !== null && !/^(file:\/\/\/|socket:\/\/)/.test(backup)) {
    throw new ConfigError(`backup must be file:///PATH or socket://HOST:PORT, got "${backup}"`);
  }
  const backupPolicy = options.backupPolicy ?? 'buffer';
  if (!BACKUP_MODES.includes(backupPolicy)) throw new ConfigError(`backupPolicy must be one of ${BACKUP_MODES.join(', ')}, got "${String(backupPolicy)}"`);
  for (const w of options.whitelist ?? []) {
    if (typeof w !== 'string' || parseCidr(w) === null) {
      throw new ConfigError(`whitelist: "${String(w)}" is not an IP address or CIDR subnet (prefix /0 to /32 for IPv4, /0 to /128 for IPv6)`);
    }
  }
  const onlynet = [...(options.onlynet ?? DIAL_NETS)];
  for (const n of onlynet) if (!DIAL_NETS.includes(n)) throw new ConfigError(`onlynet: "${String(n)}" is not one of ${DIAL_NETS.join(', ')}`);
  if (onlynet.length === 0) throw new ConfigError(`onlynet: name at least one of ${DIAL_NETS.join(', ')}`);
  // A configured peer the node would refuse to dial is a contradiction in the options.
  const scope = new DialScope(onlynet as DialNet[], 'any');
  const peerTransport: Record<string, 'v1' | 'v2'> = {};
  for (const [addr, t] of Object.entries(options.peerTransport ?? {})) {
    requireHostPort(addr, 'peerTransport');
    if (t !== 'v1' && t !== 'v2') throw new ConfigError(`peerTransport: "${addr}" must map to v1 or v2, got "${String(t)}"`);
    peerTransport[addr] = t;
  }
  const connect = addrList(options.connect, 'connect', peerTransport);
  const addPeer = addrList(options.addPeer, 'addPeer', peerTransport);
  const mesh = addrList(options.mesh, 'mesh', peerTransport);
  for (const [what, list] of [['connect', connect], ['addPeer', addPeer], ['mesh', mesh]] as const) {
    for (const a of list) {
      const why = scope.refuseDial(a);
      if (why !== null) throw new ConfigError(`${what}: ${why}`);
    }
  }
  const gossipDialScope: GossipDialScope = options.gossipDialScope ?? (network.name === 'regtest' ? 'local' : 'any');
  if (!GOSSIP_DIAL_SCOPES.includes(gossipDialScope)) throw new ConfigError(`gossipDialScope must be one of ${GOSSIP_DIAL_SCOPES.join(', ')}, got "${String(gossipDialScope)}"`);
  const maxInbound = int(options.maxInbound, 117, 'maxInbound', 0, 100_000);
  const transport = options.transport ?? 'v2';
  if (!TRANSPORT_MODES.includes(transport)) throw new ConfigError(`transport must be one of ${TRANSPORT_MODES.join(', ')}, got "${String(transport)}"`);
  for (const [addr, t] of Object.entries(peerTransport)) {
    // A per-peer choice the transport mode forbids is a contradiction in the options.
    if ((transport === 'v1only' && t === 'v2') || (transport === 'v2only' && t === 'v1')) {
      throw new ConfigError(`${addr}@${t} contradicts transport ${transport}`);
    }
  }
  const retryBase = options.retryBaseMs ?? 5_000;
  const retryMax = options.retryMaxMs ?? 300_000;
  if (retryBase > retryMax) throw new ConfigError(`retryBaseMs (${retryBase}) must not exceed retryMaxMs (${retryMax})`);
  const rpc = hostPortOption(options.rpc, null, 'rpc');
  const rpcAllowIp = stringList(options.rpcAllowIp, 'rpcAllowIp', (c) => parseCidr(c));
  const loopbackHost = (h: string): boolean => h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
  if (rpc !== null && !loopbackHost(rpc.host) && rpcAllowIp.length === 0) {
    throw new ConfigError(`rpc: ${formatHostPort(rpc)} is not a loopback address; serving RPC beyond loopback needs rpcAllowIp (--rpcallowip) naming the clients' subnet`, { option: 'rpc' });
  }
  const zmq: Record<string, unknown> = {};
  for (const [, list, hwm] of ZMQ_TOPIC_OPTIONS) {
    zmq[list] = stringList(options[list], list, (e) => checkZmqEndpoint(e, list));
    zmq[hwm] = int(options[hwm], DEFAULT_ZMQ_HWM, hwm, 0, 2 ** 31 - 1);
  }
  return Object.freeze({
    ...(zmq as Pick<RelayConfig, (typeof ZMQ_TOPIC_OPTIONS)[number][1] | (typeof ZMQ_TOPIC_OPTIONS)[number][2]>),
    rpc,
    rpcAuth: stringList(options.rpcAuth, 'rpcAuth', (a) => parseRpcAuth(a, 'rpcAuth')),
    rpcAllowIp,
    network: network.name,
    listen: hostPortOption(options.listen, { host: '127.0.0.1', port: NETWORKS[network.name].defaultPort }, 'listen'),
    connect,
    addPeer,
    mesh,
    dataDir: options.dataDir ?? null,
    maxInbound,
    maxInboundPerAddress: int(options.maxInboundPerAddress, DEFAULT_MAX_INBOUND_PER_ADDRESS, 'maxInboundPerAddress', 1, 100_000),
    maxInboundPerGroup: int(options.maxInboundPerGroup, DEFAULT_MAX_INBOUND_PER_GROUP, 'maxInboundPerGroup', 1, 100_000),
    maxPendingInbound: int(options.maxPendingInbound, defaultMaxPending(maxInbound), 'maxPendingInbound', 0, 100_000),
    onlynet: onlynet as DialNet[],
    gossipDialScope,
    targetOutbound: int(options.targetOutbound, 8, 'targetOutbound', 0, 10_000),
    banThreshold: int(options.banThreshold, 100, 'banThreshold', 1, 2 ** 32 - 1),
    banDurationMs: int(options.banDurationMs, 24 * 3600_000, 'banDurationMs', 1000),
    whitelist: [...(options.whitelist ?? [])],
    workers: int(options.workers, 1, 'workers', 0, 64),
    poolMinBytes: int(options.poolMinBytes, 256 * 1024, 'poolMinBytes', 0),
    logLevel,
    // The library opens no admin port unless asked; the CLI asks for 127.0.0.1:9464 by default.
    http: hostPortOption(options.http, null, 'http'),
    userAgent: options.userAgent ?? `/wirerelay:${VERSION}/`,
    trickleIntervalMs: int(options.trickleIntervalMs, 10_000, 'trickleIntervalMs', 0),
    pingIntervalMs: int(options.pingIntervalMs, 120_000, 'pingIntervalMs', 1),
    handshakeTimeoutMs: int(options.handshakeTimeoutMs, 30_000, 'handshakeTimeoutMs', 1),
    idleTimeoutMs: int(options.idleTimeoutMs, 300_000, 'idleTimeoutMs', 1),
    stallTimeoutMs: int(options.stallTimeoutMs, 30_000, 'stallTimeoutMs', 1),
    sendQueueMaxBytes: int(options.sendQueueMaxBytes, 8 * 1024 * 1024, 'sendQueueMaxBytes', 1024),
    sendQueueMaxMessages: int(options.sendQueueMaxMessages, 10_000, 'sendQueueMaxMessages', 1),
    receiveBufferMaxBytes: int(options.receiveBufferMaxBytes, 8 * 1024 * 1024, 'receiveBufferMaxBytes', 64 * 1024),
    // 32 MiB/s is far above what an honest peer sends; it only stops one connection from taking the
    // whole event loop. The burst admits a maximal block (4 MB) plus change in one go.
    receiveRateBytesPerSec: int(options.receiveRateBytesPerSec, 32 * 1024 * 1024, 'receiveRateBytesPerSec', 0),
    receiveBurstBytes: int(options.receiveBurstBytes, 8 * 1024 * 1024, 'receiveBurstBytes', 64 * 1024),
    relayCacheMaxBytes: int(options.relayCacheMaxBytes, 64 * 1024 * 1024, 'relayCacheMaxBytes', 1024),
    blockStoreMaxBytes: int(options.blockStoreMaxBytes, 32 * 1024 * 1024, 'blockStoreMaxBytes', 0),
    // Bitcoin Core keeps relayed transactions 15 minutes (RELAY_TX_CACHE_TIME, src/net_processing.cpp).
    relayCacheMaxAgeMs: int(options.relayCacheMaxAgeMs, DEFAULT_MAX_AGE_MS, 'relayCacheMaxAgeMs', 1),
    getdataTimeoutMs: int(options.getdataTimeoutMs, 30_000, 'getdataTimeoutMs', 1),
    retryBaseMs: int(options.retryBaseMs, 5_000, 'retryBaseMs', 1),
    retryMaxMs: int(options.retryMaxMs, 300_000, 'retryMaxMs', 1),
    allowLocalAddresses: options.allowLocalAddresses ?? network.name === 'regtest',
    backup,
    backupPolicy,
    backupBufferChanges: int(options.backupBufferChanges, DEFAULT_BACKUP_BUFFER_CHANGES, 'backupBufferChanges', 1),
    rejoinAfterLeave: options.rejoinAfterLeave ?? false,
    transport,
    peerTransport: Object.freeze(peerTransport),
    blockRelayOnly: int(options.blockRelayOnly, 2, 'blockRelayOnly', 0, 100),
    proxy: hostPortText(options.proxy, 'proxy'),
    onion: hostPortText(options.onion, 'onion'),
    dnsSeed: options.noDnsSeed === true ? [] : seedNames(options.dnsSeed, DNS_SEEDS[network.name]),
    noDnsSeed: options.noDnsSeed ?? false,
    dnsServer: hostPortText(options.dnsServer, 'dnsServer'),
    seedNode: addrList(options.seedNode, 'seedNode'),
    meshDns: meshDnsOption(options.meshDns),
    meshDnsIntervalMs: int(options.meshDnsIntervalMs, 30_000, 'meshDnsIntervalMs', 100),
  });
}
