/**
 * What the JSON-RPC calls need from a running node: a slice of RelayNode's public API, so the RPC
 * layer never reaches into the node's internals (and tests can serve it from plain objects).
 */
import type { BanInfo, NodeStatus, PeerInfo, RelayConfig } from '../types.js';

/** One transaction in the relay cache (getrelaycache). */
export interface RelayCacheTx {
  /** Display hex (byte-reversed), as Core's RPC shows ids. */
  readonly txid: string;
  readonly wtxid: string;
  /** Serialized size in bytes (witness included). */
  readonly size: number;
  /** Id of the peer it came from (getpeerinfo's `id`), or -1 when injected locally. */
  readonly from: number;
}

export interface RpcBackend {
  readonly config: RelayConfig;
  status(): NodeStatus;
  peers(): PeerInfo[];
  bans(): BanInfo[];
  /** `target` is an IP or CIDR; resolves once durable. Throws RelayError ERR_CONFIG on a refusal (e.g. whitelisted). */
  ban(target: string, opts: { durationMs?: number; reason?: string }): Promise<void>;
  unban(target: string): Promise<boolean>;
  connect(addr: string, opts?: { permanent?: boolean }): void;
  disconnect(addr: string): boolean;
  stop(): Promise<void>;
  /** Bytes read from and written to every socket since start (getnettotals). */
  trafficTotals(): { readonly bytesIn: number; readonly bytesOut: number };
  /** The transactions in the relay cache, oldest first. */
  relayCacheTransactions(): RelayCacheTx[];
}

/**
 * Where getblockchaininfo takes its fields from. Until the node follows a headers chain the
 * default provider knows only the chain's name; a headers chain plugs in here (`headers`,
 * `bestblockhash`, …) without touching the RPC layer. Fields are Core's names and units.
 */
export interface ChainInfoProvider {
  chainInfo(): Readonly<Record<string, unknown>>;
}

/** Core's `chain` names (chainparamsbase.cpp: main, test, testnet4, signet, regtest). */
export function coreChainName(network: RelayConfig['network']): string {
  switch (network) {
    case 'mainnet':
      return 'main';
    case 'testnet3':
      return 'test';
    default:
      return network;
  }
}

/**
 * The default provider: the chain's name, the node's warnings and, once the node follows a headers
 * chain (issue 19), `headers` (the best header's height, Core's unit). Blocks are never validated,
 * so Core's `blocks`/`bestblockhash` (the validated chain) are left out.
 */
export function networkOnlyChainInfo(backend: Pick<RpcBackend, 'config' | 'status'>): ChainInfoProvider {
  return {
    chainInfo: () => {
      const s = backend.status();
      return { chain: coreChainName(backend.config.network), ...(s.chain === null ? {} : { headers: s.chain.height }), warnings: [...s.warnings] };
    },
  };
}
