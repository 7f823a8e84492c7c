/**
 * The calls, in Bitcoin Core's shapes (src/rpc/net.cpp, src/rpc/server.cpp, src/rpc/blockchain.cpp),
 * served from an RpcBackend. Where a relay has nothing to report for a field Core always sends,
 * the field carries Core's own "unknown" value (-1 for heights, 0 or false otherwise); what each
 * call leaves out is listed in docs/rpc-zmq.md.
 */
import { isIP } from 'node:net';
import { hasErrorCode } from '../errors.js';
import { parseBanTarget, parsePeerAddress } from '../admin/targets.js';
import { NETWORKS, NODE_P2P_V2, PROTOCOL_VERSION } from '../wire/constants.js';
import { serviceNames } from '../wire/services.js';
import { parseIp, isRoutable } from '../util/ip.js';
import { VERSION } from '../version.js';
import type { PeerInfo } from '../types.js';
import type { ChainInfoProvider, RpcBackend } from './backend.js';
import {
  RpcError,
  RPC_CLIENT_INVALID_IP_OR_SUBNET,
  RPC_CLIENT_NODE_ALREADY_ADDED,
  RPC_CLIENT_NODE_NOT_ADDED,
  RPC_CLIENT_NODE_NOT_CONNECTED,
  RPC_INVALID_PARAMETER,
  RPC_METHOD_NOT_FOUND,
  RPC_MISC_ERROR,
  RPC_TYPE_ERROR,
} from './protocol.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

interface Method {
  readonly category: string;
  /** Positional argument names, in order; named parameters map onto them. */
  readonly args: readonly string[];
  /** First line of `help`: the call and its arguments. */
  readonly usage: string;
  readonly help: string;
  run(args: readonly unknown[]): unknown;
}

/** What a `stop` call asks of the server: answer first, then stop the node. */
export interface MethodContext {
  requestStop(): void;
}

/** Core's version number convention: major*10000 + minor*100 + patch (clientversion.h). */
export function numericVersion(version: string): number {
  const [maj, min, pat] = version.split(/[.-]/).map((x) => Number.parseInt(x, 10));
  return (maj || 0) * 10_000 + (min || 0) * 100 + (pat || 0);
}

const sec = (ms: number | null): number => (ms === null ? 0 : Math.floor(ms / 1000));

function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : typeof v;
}

function expect(v: unknown, type: 'string' | 'number' | 'boolean', name: string): void {
  if (typeof v !== type) throw new RpcError(RPC_TYPE_ERROR, `JSON value of type ${typeName(v)} is not of expected type ${type} (argument ${name})`);
}

const optString = (v: unknown, name: string): string | undefined => (v === undefined || v === null ? undefined : (expect(v, 'string', name), v as string));
const optNumber = (v: unknown, name: string): number | undefined => (v === undefined || v === null ? undefined : (expect(v, 'number', name), v as number));
const optBool = (v: unknown, name: string): boolean | undefined => (v === undefined || v === null ? undefined : (expect(v, 'boolean', name), v as boolean));

/** Core's `network` of an address (netbase.cpp GetNetworkName; loopback and private are "not_publicly_routable"). */
function networkOf(addr: string): string {
  const hp = parsePeerAddress(addr);
  const ip = hp === null ? null : parseIp(hp.host);
  if (ip === null) return 'not_publicly_routable';
  if (!isRoutable(ip)) return 'not_publicly_routable';
  return isIP(hp!.host) === 4 ? 'ipv4' : 'ipv6';
}

/** A ban target as Core's listbanned prints it: always a subnet (a single address is /32 or /128). */
function subnetOf(target: string): string {
  if (target.includes('/')) return target;
  return isIP(target) === 6 ? `${target}/128` : `${target}/32`;
}

/** One getpeerinfo entry, Core's field names and units (seconds since the epoch, seconds for pings, bytes). */
export function corePeerInfo(p: PeerInfo): Record<string, Json> {
  const out: Record<string, Json> = {
    id: p.id,
    addr: p.addr,
    network: networkOf(p.addr),
    services: BigInt(p.services).toString(16).padStart(16, '0'),
    servicesnames: [...p.servicesNames],
    relaytxes: p.relay,
    lastsend: sec(p.lastSend),
    lastrecv: sec(p.lastRecv),
    last_transaction: 0,
    last_block: 0,
    bytessent: p.bytesOut,
    bytesrecv: p.bytesIn,
    conntime: sec(p.connectedAt),
    timeoffset: 0,
  };
  if (p.rttMs !== null) out.pingtime = p.rttMs / 1000;
  if (p.minRttMs !== null) out.minping = p.minRttMs / 1000;
  Object.assign(out, {
    version: p.protocolVersion ?? 0,
    subver: p.userAgent ?? '',
    inbound: p.direction === 'inbound',
    bip152_hb_to: p.compactHighBandwidth.to,
    bip152_hb_from: p.compactHighBandwidth.from,
    presynced_headers: -1,
    synced_headers: p.bestKnownHeight ?? -1,
    synced_blocks: -1,
    inflight: [],
    addr_relay_enabled: true,
    addr_processed: 0,
    addr_rate_limited: 0,
    permissions: p.whitelisted ? ['noban'] : [],
    minfeefilter: 0,
    bytessent_per_msg: { ...p.bytesSentPerMsg },
    bytesrecv_per_msg: { ...p.bytesRecvPerMsg },
    connection_type: p.direction === 'inbound' ? 'inbound' : p.permanent ? 'manual' : 'outbound-full-relay',
    transport_protocol_type: p.state === 'established' || p.state === 'closed' ? p.transport : 'detecting',
    session_id: p.sessionId ?? '',
  });
  return out;
}

export class RpcMethods {
  private readonly table = new Map<string, Method>();
  /** Nodes added with `addnode add` (and --add-peer), as Core's vAddedNodes. */
  private readonly added: string[];

  constructor(
    private readonly node: RpcBackend,
    private readonly chain: ChainInfoProvider,
    private readonly ctx: MethodContext,
  ) {
    this.added = [...node.config.addPeer];
    this.define();
  }

  has(name: string): boolean {
    return this.table.has(name);
  }

  /** Runs `name`; `params` is an array (positional), an object (named) or undefined. */
  async call(name: string, params: unknown): Promise<unknown> {
    const m = this.table.get(name);
    if (m === undefined) {
      throw new RpcError(RPC_METHOD_NOT_FOUND, `Method not found: "${name}" is not supported by a relay (wirerelay serves the net calls; see help)`);
    }
    let args: unknown[];
    if (params === undefined || params === null) args = [];
    else if (Array.isArray(params)) args = params;
    else {
      const named = params as Record<string, unknown>;
      for (const k of Object.keys(named)) {
        if (!m.args.includes(k)) throw new RpcError(RPC_INVALID_PARAMETER, `Unknown named parameter ${k}`);
      }
      args = m.args.map((a) => named[a]);
    }
    if (args.length > m.args.length) throw new RpcError(RPC_MISC_ERROR, `${m.usage}\n\n${m.help}`);
    try {
      return await m.run(args);
    } catch (err) {
      if (err instanceof RpcError) throw err;
      // A refusal from the node (bad address, whitelisted target): Core reports those as misc errors.
      if (hasErrorCode(err, 'ERR_CONFIG')) throw new RpcError(RPC_MISC_ERROR, `Error: ${err.message}`);
      throw err;
    }
  }

  private def(name: string, category: string, args: string[], usage: string, help: string, run: Method['run']): void {
    this.table.set(name, { category, args, usage, help, run });
  }

  private define(): void {
    const n = this.node;
    this.def('getpeerinfo', 'network', [], 'getpeerinfo', 'Returns data about each connected network peer as a json array of objects.', () => n.peers().map(corePeerInfo));
    this.def('getconnectioncount', 'network', [], 'getconnectioncount', 'Returns the number of connections to other nodes.', () => n.peers().length);
    this.def('getnettotals', 'network', [], 'getnettotals', 'Returns information about network traffic, including bytes in, bytes out, and current system time.', () => {
      const t = n.trafficTotals();
      return {
        totalbytesrecv: t.bytesIn,
        totalbytessent: t.bytesOut,
        timemillis: Date.now(),
        uploadtarget: { timeframe: 86400, target: 0, target_reached: false, serve_historical_blocks: true, bytes_left_in_cycle: 0, time_left_in_cycle: 0 },
      };
    });
    this.def('getnetworkinfo', 'network', [], 'getnetworkinfo', 'Returns an object containing various state info regarding P2P networking.', () => this.networkInfo());
    this.def('listbanned', 'network', [], 'listbanned', 'List all manually banned IPs/Subnets.', () => {
      const now = Math.floor(Date.now() / 1000);
      return n.bans().map((b) => {
        const created = b.createdAt === null ? 0 : sec(b.createdAt);
        const until = sec(b.until);
        return { address: subnetOf(b.target), ban_created: created, banned_until: until, ban_duration: b.createdAt === null ? 0 : until - created, time_remaining: Math.max(0, until - now) };
      });
    });
    this.def('setban', 'network', ['subnet', 'command', 'bantime', 'absolute'], 'setban "subnet" "command" ( bantime absolute )',
      'Attempts to add or remove an IP/Subnet from the banned list.\n"command": "add" to add, "remove" to remove. "bantime": seconds (0 or absent: the node\'s --ban-duration); with absolute=true, a UNIX time.',
      (a) => this.setban(a));
    this.def('clearbanned', 'network', [], 'clearbanned', 'Clear all banned IPs.', async () => {
      for (const b of n.bans()) await n.unban(b.target);
      return null;
    });
    this.def('addnode', 'network', ['node', 'command', 'v2transport'], 'addnode "node" "command" ( v2transport )',
      'Attempts to add or remove a node from the addnode list, or to try a connection to a node once.\n"node": HOST:PORT (or an IP, with the network\'s port); "command": add | remove | onetry. v2transport is ignored: --transport decides.',
      (a) => this.addnode(a));
    this.def('disconnectnode', 'network', ['address', 'nodeid'], 'disconnectnode ( "address" nodeid )',
      'Immediately disconnects from the specified peer node. Give either the address or the nodeid (getpeerinfo\'s id), not both.',
      (a) => this.disconnectnode(a));
    this.def('getaddednodeinfo', 'network', ['node'], 'getaddednodeinfo ( "node" )', 'Returns information about the given added node, or all added nodes.', (a) => this.addedNodeInfo(a));
    this.def('ping', 'network', [], 'ping',
      'Core requests a ping from every peer. wirerelay pings each peer on its own schedule (one right after the handshake, then every ping interval); the results are getpeerinfo\'s pingtime and minping. Returns null.',
      () => null);
    this.def('getblockchaininfo', 'blockchain', [], 'getblockchaininfo', 'Returns the fields of the chain the relay knows (a relay without a headers chain knows only its name).', () => ({ ...this.chain.chainInfo() }));
    this.def('getrelaycache', 'relay', ['verbose'], 'getrelaycache ( verbose )',
      'wirerelay\'s own: the transactions in the relay cache, like getrawmempool. verbose=false: an array of txids, oldest first; verbose=true: an object txid -> {wtxid, size, peer} (peer: getpeerinfo id, -1 if injected locally).',
      (a) => {
        const verbose = optBool(a[0], 'verbose') ?? false;
        const txs = n.relayCacheTransactions();
        if (!verbose) return txs.map((t) => t.txid);
        const out: Record<string, Json> = {};
        for (const t of txs) out[t.txid] = { wtxid: t.wtxid, size: t.size, peer: t.from };
        return out;
      });
    this.def('uptime', 'control', [], 'uptime', 'Returns the total uptime of the server, in seconds.', () => Math.floor(n.status().uptimeMs / 1000));
    this.def('stop', 'control', [], 'stop', 'Request a graceful shutdown of wirerelay.', () => {
      this.ctx.requestStop();
      return 'wirerelay stopping';
    });
    this.def('help', 'control', ['command'], 'help ( "command" )', 'List all commands, or get help for a specified command.', (a) => this.help(optString(a[0], 'command')));
  }

  private networkInfo(): Record<string, Json> {
    const n = this.node;
    const st = n.status();
    const peers = n.peers();
    const inbound = peers.filter((p) => p.direction === 'inbound').length;
    const local = n.config.transport === 'v1only' ? 0n : NODE_P2P_V2;
    const net = (name: string, reachable: boolean): Json => ({ name, limited: !reachable, reachable, proxy: '', proxy_randomize_credentials: false });
    const dial = new Set<string>(n.config.onlynet);
    return {
      version: numericVersion(VERSION),
      subversion: n.config.userAgent,
      protocolversion: PROTOCOL_VERSION,
      localservices: local.toString(16).padStart(16, '0'),
      localservicesnames: serviceNames(local),
      localrelay: true,
      timeoffset: 0,
      networkactive: true,
      connections: peers.length,
      connections_in: inbound,
      connections_out: peers.length - inbound,
      networks: [net('ipv4', dial.has('ipv4')), net('ipv6', dial.has('ipv6')), net('onion', false), net('i2p', false), net('cjdns', false)],
      relayfee: 0,
      incrementalfee: 0,
      localaddresses: [],
      warnings: [...st.warnings],
    };
  }

  private async setban(a: readonly unknown[]): Promise<null> {
    expect(a[0], 'string', 'subnet');
    expect(a[1], 'string', 'command');
    const command = a[1] as string;
    if (command !== 'add' && command !== 'remove') throw new RpcError(RPC_MISC_ERROR, 'setban: command must be "add" or "remove"');
    const target = parseBanTarget(a[0] as string);
    if (target === null) throw new RpcError(RPC_CLIENT_INVALID_IP_OR_SUBNET, 'Error: Invalid IP/Subnet');
    const n = this.node;
    if (command === 'remove') {
      const removed = await n.unban(target);
      if (!removed) throw new RpcError(RPC_CLIENT_INVALID_IP_OR_SUBNET, 'Error: Unban failed. Requested address/subnet was not previously manually banned.');
      return null;
    }
    const same = (t: string): boolean => subnetOf(t) === subnetOf(target);
    if (n.bans().some((b) => same(b.target))) throw new RpcError(RPC_CLIENT_NODE_ALREADY_ADDED, 'Error: IP/Subnet already banned');
    const bantime = optNumber(a[2], 'bantime') ?? 0;
    const absolute = optBool(a[3], 'absolute') ?? false;
    if (!Number.isFinite(bantime) || bantime < 0) throw new RpcError(RPC_INVALID_PARAMETER, 'bantime must be a non-negative number of seconds');
    let durationMs: number | undefined;
    if (absolute) {
      durationMs = Math.round(bantime * 1000 - Date.now());
      if (durationMs <= 0) throw new RpcError(RPC_INVALID_PARAMETER, 'Error: absolute bantime must be in the future');
    } else if (bantime > 0) {
      durationMs = Math.round(bantime * 1000);
    }
    await n.ban(target, { durationMs, reason: 'rpc setban' });
    return null;
  }

  /** `HOST:PORT`, or a bare IP with the network's port (as Core's addnode takes it). */
  private nodeAddr(text: string): string {
    const bare = isIP(text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text);
    const hp = parsePeerAddress(bare === 0 ? text : `${bare === 6 && !text.startsWith('[') ? `[${text}]` : text}:${NETWORKS[this.node.config.network].defaultPort}`);
    if (hp === null) throw new RpcError(RPC_INVALID_PARAMETER, `Error: "${text}" is not HOST:PORT or an IP address`);
    return hp.addr;
  }

  private addnode(a: readonly unknown[]): null {
    expect(a[0], 'string', 'node');
    expect(a[1], 'string', 'command');
    optBool(a[2], 'v2transport');
    const command = a[1] as string;
    if (command !== 'add' && command !== 'remove' && command !== 'onetry') throw new RpcError(RPC_MISC_ERROR, 'addnode: command must be "add", "remove" or "onetry"');
    const addr = this.nodeAddr(a[0] as string);
    const n = this.node;
    if (command === 'onetry') {
      n.connect(addr);
      return null;
    }
    const at = this.added.indexOf(addr);
    if (command === 'add') {
      if (at >= 0) throw new RpcError(RPC_CLIENT_NODE_ALREADY_ADDED, 'Error: Node already added');
      n.connect(addr, { permanent: true });
      this.added.push(addr);
      return null;
    }
    if (at < 0) throw new RpcError(RPC_CLIENT_NODE_NOT_ADDED, 'Error: Node could not be removed. It has not been added previously.');
    this.added.splice(at, 1);
    // Ends the permanence too (RelayNode.disconnect: a manual disconnect is final).
    n.disconnect(addr);
    return null;
  }

  private disconnectnode(a: readonly unknown[]): null {
    const address = optString(a[0], 'address');
    const nodeid = optNumber(a[1], 'nodeid');
    const byAddr = address !== undefined && address !== '';
    if (byAddr === (nodeid !== undefined)) throw new RpcError(RPC_INVALID_PARAMETER, 'Only one of address and nodeid should be provided.');
    const n = this.node;
    let addr: string | undefined;
    if (byAddr) addr = parsePeerAddress(address!)?.addr ?? address;
    else addr = n.peers().find((p) => p.id === nodeid)?.addr;
    if (addr === undefined || !n.disconnect(addr)) throw new RpcError(RPC_CLIENT_NODE_NOT_CONNECTED, 'Node not found in connected nodes');
    return null;
  }

  private addedNodeInfo(a: readonly unknown[]): Json[] {
    const want = optString(a[0], 'node');
    const peers = new Map(this.node.peers().map((p) => [p.addr, p]));
    let list = this.added;
    if (want !== undefined) {
      const addr = parsePeerAddress(want)?.addr ?? want;
      list = this.added.filter((x) => x === addr);
      if (list.length === 0) throw new RpcError(RPC_CLIENT_NODE_NOT_ADDED, 'Error: Node has not been added.');
    }
    return list.map((addr) => {
      const p = peers.get(addr);
      const connected = p !== undefined && p.state === 'established';
      return { addednode: addr, connected, addresses: connected ? [{ address: addr, connected: p!.direction }] : [] };
    });
  }

  private help(command: string | undefined): string {
    if (command !== undefined) {
      const m = this.table.get(command);
      return m === undefined ? `help: unknown command: ${command}` : `${m.usage}\n\n${m.help}`;
    }
    const byCat = new Map<string, string[]>();
    for (const [name, m] of [...this.table].sort(([x], [y]) => x.localeCompare(y))) {
      const l = byCat.get(m.category) ?? [];
      l.push(m.usage);
      byCat.set(m.category, l);
      void name;
    }
    return [...byCat].map(([cat, lines]) => `== ${cat[0]!.toUpperCase()}${cat.slice(1)} ==\n${lines.join('\n')}`).join('\n\n');
  }
}
