/**
 * `wirerelay start`: runs a relay node in the foreground until SIGINT/SIGTERM (graceful stop) or
 * an explicit leave. Defaults work offline: regtest, listening on 127.0.0.1 only.
 */
import { parseArgs } from 'node:util';
import { parseDuration } from '../../admin/duration.js';
import { ConfigError, RelayError } from '../../errors.js';
import { Logger } from '../../log.js';
import { DEFAULT_DATA_DIR } from '../../node/config.js';
import type { RelayOptions } from '../../node/config.js';
import { createRelay } from '../../node/relay-node.js';
import type { LogLevel, TransportMode } from '../../node/types.js';
import type { NetworkName } from '../../wire/constants.js';

export const summary = 'Run a relay node (default: regtest on 127.0.0.1, admin on 127.0.0.1:9464)';

const HELP = `usage: wirerelay start [options]

  --network NAME         mainnet | testnet3 | testnet4 | regtest | signet (default regtest)
  --listen HOST:PORT     accept peers here (default 127.0.0.1 and the network's port; "off" for none)
  --connect HOST:PORT    dial only this peer, permanently (repeatable)
  --add-peer HOST:PORT   also dial this peer, permanently (repeatable)
  --mesh HOST:PORT       another wirerelay instance of this relay mesh (repeatable)
  --data-dir DIR         durable state, cookie and snapshots (default ${DEFAULT_DATA_DIR})
  --max-inbound N        inbound peer slots (default 117)
  --target-outbound N    automatic outbound peers (default 8)
  --ban-threshold N      ban score that bans (default 100)
  --ban-duration D       24h, 7d, 30m, 90s or seconds (default 24h)
  --whitelist IP|CIDR    exempt from bans (repeatable; nothing by default, loopback included)
  --workers N            frame-verification worker threads; 0 = inline only (default 1)
  --pool-min-bytes N     batches at least this big are verified in the pool (default 262144)
  --receive-rate N       per-peer receive limit in bytes/s, 0 = none (default 33554432)
  --log-level LEVEL      debug | info | warn | error | silent (default info)
  --http HOST:PORT       admin endpoint (default 127.0.0.1:9464; "off" for none)
  --backup URL           file:///PATH or socket://HOST:PORT copy of the state log
  --trickle-ms N         transaction announcement interval (default 10000)
  --transport MODE       v2 (BIP324, default; v1 fallback), v1only or v2only
  --retry-base-ms N      n-th outbound retry waits n × this (default 5000)
  --retry-max-ms N       cap of every retry delay (default 300000)
  --rejoin-after-leave   rejoin previous peers even after an explicit leave
`;

function int(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new ConfigError(`--${name} must be a non-negative integer, got "${v}"`);
  return Number(v);
}

export function optionsFromArgs(args: string[]): RelayOptions {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      network: { type: 'string' },
      listen: { type: 'string' },
      connect: { type: 'string', multiple: true },
      'add-peer': { type: 'string', multiple: true },
      mesh: { type: 'string', multiple: true },
      'data-dir': { type: 'string' },
      'max-inbound': { type: 'string' },
      'target-outbound': { type: 'string' },
      'ban-threshold': { type: 'string' },
      'ban-duration': { type: 'string' },
      whitelist: { type: 'string', multiple: true },
      workers: { type: 'string' },
      'pool-min-bytes': { type: 'string' },
      'receive-rate': { type: 'string' },
      'log-level': { type: 'string' },
      http: { type: 'string' },
      backup: { type: 'string' },
      'trickle-ms': { type: 'string' },
      'retry-base-ms': { type: 'string' },
      'retry-max-ms': { type: 'string' },
      'rejoin-after-leave': { type: 'boolean' },
      transport: { type: 'string' },
    },
  });
  if (positionals.length > 0) throw new ConfigError(`unexpected argument "${positionals[0]}"`);
  const opts: { -readonly [K in keyof RelayOptions]: RelayOptions[K] } = {
    dataDir: values['data-dir'] ?? DEFAULT_DATA_DIR,
  };
  if (values.network !== undefined) opts.network = values.network as NetworkName;
  if (values.listen !== undefined) opts.listen = values.listen === 'off' ? null : values.listen;
  if (values.http !== undefined) opts.http = values.http === 'off' ? null : values.http;
  if (values.connect !== undefined) opts.connect = values.connect;
  if (values['add-peer'] !== undefined) opts.addPeer = values['add-peer'];
  if (values.mesh !== undefined) opts.mesh = values.mesh;
  if (values.whitelist !== undefined) opts.whitelist = values.whitelist;
  if (values.backup !== undefined) opts.backup = values.backup;
  if (values['log-level'] !== undefined) opts.logLevel = values['log-level'] as LogLevel;
  if (values['rejoin-after-leave'] === true) opts.rejoinAfterLeave = true;
  if (values.transport !== undefined) opts.transport = values.transport as TransportMode;
  const n = (k: string) => int(values[k as keyof typeof values] as string | undefined, k);
  if (n('max-inbound') !== undefined) opts.maxInbound = n('max-inbound');
  if (n('target-outbound') !== undefined) opts.targetOutbound = n('target-outbound');
  if (n('ban-threshold') !== undefined) opts.banThreshold = n('ban-threshold');
  if (n('workers') !== undefined) opts.workers = n('workers');
  if (n('pool-min-bytes') !== undefined) opts.poolMinBytes = n('pool-min-bytes');
  if (n('receive-rate') !== undefined) opts.receiveRateBytesPerSec = n('receive-rate');
  if (n('trickle-ms') !== undefined) opts.trickleIntervalMs = n('trickle-ms');
  if (n('retry-base-ms') !== undefined) opts.retryBaseMs = n('retry-base-ms');
  if (n('retry-max-ms') !== undefined) opts.retryMaxMs = n('retry-max-ms');
  if (values['ban-duration'] !== undefined) {
    try {
      const ms = parseDuration(values['ban-duration']);
      if (ms === null) throw new Error('expected 24h, 7d, 30m, 90s or seconds');
      opts.banDurationMs = ms;
    } catch (err) {
      throw new ConfigError(`--ban-duration: ${(err as Error).message}`);
    }
  }
  return opts;
}

export async function run(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  let options: RelayOptions;
  try {
    options = optionsFromArgs(args);
  } catch (err) {
    process.stderr.write(`wirerelay start: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  let node;
  try {
    node = createRelay(options, { logger: new Logger(options.logLevel ?? 'info') });
  } catch (err) {
    process.stderr.write(`wirerelay start: ${(err as Error).message}\n`);
    return 2;
  }
  try {
    await node.start();
  } catch (err) {
    const e = err as RelayError & { code?: string };
    process.stderr.write(`wirerelay start: ${e.message}\n`);
    return e.code === 'ERR_CONFIG' ? 2 : 1;
  }
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      process.stderr.write(`wirerelay: second ${sig}, exiting now\n`);
      process.exit(130);
    }
    node.log.info('shutting down', { signal: sig });
    void node.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  await node.whenStopped();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return 0;
}
