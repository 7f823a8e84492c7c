/**
 * The node's settings as an operator gives them: command-line flags, `WIRERELAY_*` environment
 * variables and a config file, in that order of precedence over the defaults.
 *
 * The config file is in the style of bitcoin.conf and btcd.conf: `wirerelay.conf` in the data
 * directory (or `--config FILE`), one `key=value` per line named like the long flags, `#` comments,
 * and a key repeated for each entry of a list. Every value is checked where it was given, so an error
 * names its source (flag, variable, or file and line) and its key.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDuration } from '../admin/duration.js';
import { DIAL_NETS, GOSSIP_DIAL_SCOPES } from '../conn/dial-scope.js';
import { ConfigError } from '../errors.js';
import { LOG_COMPONENTS } from '../log.js';
import { BACKUP_MODES, DEFAULT_ADMIN_PORT, DEFAULT_BACKUP_BUFFER_CHANGES, LOG_LEVELS, resolveConfig, TRANSPORT_MODES } from '../node/config.js';
import { DEFAULT_DATA_DIR } from '../util/data-dir.js';
import { DEFAULT_ZMQ_HWM, ZMQ_TOPIC_OPTIONS } from '../zmq/topics.js';
import { formatHostPort } from '../util/host-port.js';
import type { RelayOptions } from '../node/config.js';
import type { HostPort, RelayConfig } from '../types.js';
import { NETWORKS } from '../wire/constants.js';

/** A usage error: exit status 2, the message names the flag or the key and where it came from. */
export class UsageError extends ConfigError {}

type Kind = 'string' | 'count' | 'addr' | 'addr-or-off' | 'list-addr' | 'list-cidr' | 'list-string' | 'bool' | 'duration' | 'enum' | 'list-enum';

interface Setting {
  /** The long flag without dashes; also the config-file key and, upper-cased, the variable name. */
  readonly name: string;
  readonly kind: Kind;
  readonly arg: string;
  readonly help: string;
  /** The relay option it sets; null for the CLI's own settings (config, log-file, debug). */
  readonly option: keyof RelayConfig | null;
  readonly choices?: readonly string[];
}

const NETWORK_NAMES = Object.keys(NETWORKS);
const DEBUG_CHOICES = [...LOG_COMPONENTS, 'all'];

export const SETTINGS: readonly Setting[] = [
  { name: 'config', kind: 'string', arg: 'FILE', option: null, help: 'config file (default DATA_DIR/wirerelay.conf if it exists)' },
  { name: 'network', kind: 'enum', arg: 'NAME', option: 'network', choices: NETWORK_NAMES, help: `${NETWORK_NAMES.join(' | ')} (default regtest)` },
  { name: 'listen', kind: 'addr-or-off', arg: 'HOST:PORT', option: 'listen', help: 'accept peers here (default 127.0.0.1 and the network\'s port; "off" for none)' },
  { name: 'connect', kind: 'list-addr', arg: 'HOST:PORT[@v1|@v2]', option: 'connect', help: 'dial only this peer, permanently (repeatable; @v1/@v2 fixes its transport)' },
  { name: 'add-peer', kind: 'list-addr', arg: 'HOST:PORT[@v1|@v2]', option: 'addPeer', help: 'also dial this peer, permanently (repeatable; @v1/@v2 fixes its transport)' },
  { name: 'mesh', kind: 'list-addr', arg: 'HOST:PORT', option: 'mesh', help: 'another wirerelay instance of this relay mesh (repeatable)' },
  { name: 'data-dir', kind: 'string', arg: 'DIR', option: 'dataDir', help: `durable state, cookie and snapshots (default ${DEFAULT_DATA_DIR})` },
  { name: 'max-inbound', kind: 'count', arg: 'N', option: 'maxInbound', help: 'inbound peer slots (default 117)' },
  { name: 'max-inbound-per-address', kind: 'count', arg: 'N', option: 'maxInboundPerAddress', help: 'inbound slots one IP may hold (default 8)' },
  { name: 'max-inbound-per-group', kind: 'count', arg: 'N', option: 'maxInboundPerGroup', help: 'inbound slots one /16 (IPv6 /32) may hold (default 16)' },
  { name: 'max-pending-inbound', kind: 'count', arg: 'N', option: 'maxPendingInbound', help: 'slots connections still in the handshake may hold (default half)' },
  { name: 'onlynet', kind: 'list-enum', arg: 'NET', option: 'onlynet', choices: DIAL_NETS, help: 'dial only ipv4, ipv6 or loopback (repeatable; default all three)' },
  { name: 'gossip-dial-scope', kind: 'enum', arg: 'S', option: 'gossipDialScope', choices: GOSSIP_DIAL_SCOPES, help: 'addresses learned from peers: any | local (loopback and private; the regtest default)' },
  { name: 'target-outbound', kind: 'count', arg: 'N', option: 'targetOutbound', help: 'automatic full-relay outbound peers (default 8)' },
  { name: 'block-relay-only', kind: 'count', arg: 'N', option: 'blockRelayOnly', help: 'automatic block-relay-only outbound peers, anchors included (default 2)' },
  { name: 'proxy', kind: 'addr', arg: 'HOST:PORT', option: 'proxy', help: 'SOCKS5 proxy for every outbound connection' },
  { name: 'onion', kind: 'addr', arg: 'HOST:PORT', option: 'onion', help: 'SOCKS5 proxy for Tor (.onion) peers (default: --proxy)' },
  { name: 'dns-seed', kind: 'list-string', arg: 'NAME', option: 'dnsSeed', help: "DNS seed to ask for peers (repeatable; default the network's, as Core)" },
  { name: 'no-dns-seed', kind: 'bool', arg: '', option: 'noDnsSeed', help: 'ask no DNS seed' },
  { name: 'dns-server', kind: 'addr', arg: 'HOST:PORT', option: 'dnsServer', help: 'resolve DNS seeds through this server (default the system resolver)' },
  { name: 'seednode', kind: 'list-addr', arg: 'HOST:PORT', option: 'seedNode', help: 'connect, take addresses, disconnect (repeatable)' },
  { name: 'mesh-dns', kind: 'string', arg: 'NAME:PORT', option: 'meshDns', help: 'mesh instances are the A/AAAA records of NAME, re-resolved every 30 s (through --dns-server if given)' },
  { name: 'ban-threshold', kind: 'count', arg: 'N', option: 'banThreshold', help: 'ban score that bans (default 100)' },
  { name: 'ban-duration', kind: 'duration', arg: 'D', option: 'banDurationMs', help: '24h, 7d, 30m, 90s or seconds (default 24h)' },
  { name: 'whitelist', kind: 'list-cidr', arg: 'IP|CIDR', option: 'whitelist', help: 'exempt from bans (repeatable; nothing by default, loopback included)' },
  { name: 'workers', kind: 'count', arg: 'N', option: 'workers', help: 'frame-verification worker threads; 0 = inline only (default 1)' },
  { name: 'pool-min-bytes', kind: 'count', arg: 'N', option: 'poolMinBytes', help: 'batches at least this big are verified in the pool (default 262144)' },
  { name: 'block-store-bytes', kind: 'count', arg: 'N', option: 'blockStoreMaxBytes', help: 'recent blocks kept to serve block, cmpctblock and blocktxn, in bytes (default 33554432)' },
  { name: 'receive-rate', kind: 'count', arg: 'N', option: 'receiveRateBytesPerSec', help: 'per-peer receive limit in bytes/s, 0 = none (default 33554432)' },
  { name: 'relay-cache-max-age', kind: 'duration', arg: 'D', option: 'relayCacheMaxAgeMs', help: 'relayed items leave the cache after this long: 15m, 90s or seconds (default 15m)' },
  { name: 'log-level', kind: 'enum', arg: 'LEVEL', option: 'logLevel', choices: LOG_LEVELS, help: `${LOG_LEVELS.join(' | ')} (default info)` },
  { name: 'debug', kind: 'list-enum', arg: 'COMPONENT', option: null, choices: DEBUG_CHOICES, help: `debug lines of one component: ${DEBUG_CHOICES.join(' | ')} (repeatable)` },
  { name: 'log-file', kind: 'string', arg: 'PATH', option: null, help: 'append logs to this file, reopened on SIGHUP (default stderr)' },
  { name: 'no-v8-tuning', kind: 'bool', arg: '', option: null, help: "leave V8's heap growing factor to V8 (start fixes it at 4) and run no collection when the node goes quiet (docs/deploy.md)" },
  { name: 'http', kind: 'addr-or-off', arg: 'HOST:PORT', option: 'http', help: `admin endpoint (default 127.0.0.1:${DEFAULT_ADMIN_PORT}; "off" for none)` },
  { name: 'backup', kind: 'string', arg: 'URL', option: 'backup', help: 'file:///PATH or socket://HOST:PORT copy of the state log' },
  { name: 'backup-policy', kind: 'enum', arg: 'P', option: 'backupPolicy', choices: BACKUP_MODES, help: 'while the backup is unreachable: buffer (default; commits go on) | stop (commits wait, no start without it)' },
  { name: 'backup-buffer', kind: 'count', arg: 'N', option: 'backupBufferChanges', help: `changes the buffer policy queues for the backup (default ${DEFAULT_BACKUP_BUFFER_CHANGES})` },
  { name: 'transport', kind: 'enum', arg: 'MODE', option: 'transport', choices: TRANSPORT_MODES, help: 'v2 (BIP324, default; v1 fallback) | v1only | v2only' },
  { name: 'trickle-ms', kind: 'count', arg: 'N', option: 'trickleIntervalMs', help: 'transaction announcement interval (default 10000)' },
  { name: 'retry-base-ms', kind: 'count', arg: 'N', option: 'retryBaseMs', help: 'n-th outbound retry waits n × this (default 5000)' },
  { name: 'retry-max-ms', kind: 'count', arg: 'N', option: 'retryMaxMs', help: 'cap of every retry delay (default 300000)' },
  { name: 'rpc', kind: 'addr-or-off', arg: 'HOST:PORT', option: 'rpc', help: 'Bitcoin Core-style JSON-RPC (docs/rpc-zmq.md; default off; beyond loopback only with --rpcallowip)' },
  { name: 'rpcauth', kind: 'list-string', arg: 'USER:SALT$HMAC', option: 'rpcAuth', help: 'an RPC user, as Core\'s -rpcauth (repeatable; the cookie always works)' },
  { name: 'rpcallowip', kind: 'list-cidr', arg: 'IP|CIDR', option: 'rpcAllowIp', help: 'RPC clients allowed besides loopback (repeatable)' },
  ...ZMQ_TOPIC_OPTIONS.flatMap(([topic, list, hwm]): Setting[] => [
    { name: `zmqpub${topic}`, kind: 'list-string', arg: 'tcp://IP:PORT', option: list, help: `publish ${topic} notifications here, as Core (repeatable; default off)` },
    { name: `zmqpub${topic}hwm`, kind: 'count', arg: 'N', option: hwm, help: `send high-water mark of ${topic} in messages (default ${DEFAULT_ZMQ_HWM})` },
  ]),
  { name: 'rejoin-after-leave', kind: 'bool', arg: '', option: 'rejoinAfterLeave', help: 'rejoin previous peers even after an explicit leave' },
];

const BY_NAME = new Map(SETTINGS.map((s) => [s.name, s]));
const ENV_PREFIX = 'WIRERELAY_';

export function envName(name: string): string {
  return ENV_PREFIX + name.toUpperCase().replace(/-/g, '_');
}

export function settingsHelp(): string {
  const rows = SETTINGS.map((s) => [`--${s.name}${s.arg === '' ? '' : ' ' + s.arg}`, s.help] as const);
  const width = Math.max(...rows.map(([f]) => f.length));
  return rows.map(([f, h]) => `  ${f.padEnd(width)}  ${h}`).join('\n') + '\n';
}

type Value = string | number | boolean | readonly string[] | null;

/** Where a value came from: `default`, `--flag`, `WIRERELAY_X` or `FILE:LINE`. */
export interface Sourced {
  readonly value: Value;
  readonly source: string;
}

export interface Settings {
  /** The relay options, with the CLI's defaults (data dir, admin endpoint). */
  readonly options: RelayOptions;
  readonly logFile: string | null;
  readonly debug: readonly string[];
  /** Whether wirerelay start fixes V8's heap growing factor (src/cli/gc-tuning.ts). */
  readonly v8Tuning: boolean;
  /** The config file read, if any. */
  readonly configFile: string | null;
  /** Each setting's given value and source; settings left at their default are absent. */
  readonly given: ReadonlyMap<string, Sourced>;
}

/** Reads flags, then `WIRERELAY_*` variables, then the config file; throws UsageError. */
export function loadSettings(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Settings {
  const flags = parseFlags(args);
  const fromEnv = parseEnv(env);
  const pick = (name: string): Sourced | undefined => flags.get(name) ?? fromEnv.get(name);

  // The config file is named by --config (or WIRERELAY_CONFIG); otherwise it is the data
  // directory's wirerelay.conf, if there is one.
  const named = pick('config');
  let configFile: string | null = null;
  if (named !== undefined) {
    configFile = named.value as string;
    if (!existsSync(configFile)) throw new UsageError(`${named.source}: config file ${configFile} does not exist`);
  } else {
    const dir = (pick('data-dir')?.value as string | undefined) ?? DEFAULT_DATA_DIR;
    const candidate = join(dir, 'wirerelay.conf');
    if (existsSync(candidate)) configFile = candidate;
  }
  const fromFile = configFile === null ? new Map<string, Sourced>() : parseConfigFile(configFile, readConfig(configFile));
  if (fromFile.has('config')) throw new UsageError(`${fromFile.get('config')!.source}: config: a config file cannot name another one`);

  const given = new Map<string, Sourced>();
  for (const s of SETTINGS) {
    const v = flags.get(s.name) ?? fromEnv.get(s.name) ?? fromFile.get(s.name);
    if (v !== undefined) given.set(s.name, v);
  }

  const options: { -readonly [K in keyof RelayOptions]: RelayOptions[K] } = {
    dataDir: DEFAULT_DATA_DIR,
    http: { host: '127.0.0.1', port: DEFAULT_ADMIN_PORT },
  };
  for (const [name, { value }] of given) {
    const s = BY_NAME.get(name)!;
    if (s.option !== null) (options as Record<string, unknown>)[s.option] = value;
  }
  try {
    resolveConfig(options);
  } catch (err) {
    // Each value passed its own check where it was given; what is left relates two of them.
    const related = SETTINGS.filter((s) => s.option !== null && given.has(s.name) && (err as Error).message.includes(s.option));
    const where = related.map((s) => `${given.get(s.name)!.source}`).join(', ');
    throw new UsageError(where === '' ? (err as Error).message : `${where}: ${(err as Error).message}`);
  }
  return {
    options,
    logFile: (given.get('log-file')?.value as string | undefined) ?? null,
    debug: (given.get('debug')?.value as readonly string[] | undefined) ?? [],
    v8Tuning: given.get('no-v8-tuning')?.value !== true,
    configFile,
    given,
  };
}

function readConfig(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
}

// ---- the three sources ---------------------------------------------------------------------------

/**
 * `--name VALUE`, `--name=VALUE` and boolean `--name`. A value is taken as given even when it
 * starts with a dash, so `--max-inbound -5` is reported as a bad count of --max-inbound.
 */
export function parseFlags(args: readonly string[]): Map<string, Sourced> {
  const out = new Map<string, Sourced>();
  const lists = new Map<string, string[]>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const s = BY_NAME.get(name);
    if (s === undefined) throw new UsageError(`unknown option --${name}`);
    const flag = `--${name}`;
    let text: string;
    if (s.kind === 'bool') {
      text = eq < 0 ? 'true' : arg.slice(eq + 1);
    } else if (eq >= 0) {
      text = arg.slice(eq + 1);
    } else {
      // "--listen --http X" forgot the value; "--max-inbound -5" gave a bad one.
      const next = args[i + 1];
      if (next === undefined || (next.startsWith('--') && BY_NAME.has(next.slice(2).split('=')[0]!))) {
        throw new UsageError(`${flag} needs a value (${s.arg})`);
      }
      text = args[++i]!;
    }
    addValue(out, lists, s, text, flag);
  }
  return out;
}

/** `WIRERELAY_MAX_INBOUND=50`; lists are comma-separated. An unknown WIRERELAY_ variable is an error. */
export function parseEnv(env: NodeJS.ProcessEnv): Map<string, Sourced> {
  const out = new Map<string, Sourced>();
  const lists = new Map<string, string[]>();
  for (const [key, text] of Object.entries(env)) {
    if (!key.startsWith(ENV_PREFIX) || text === undefined) continue;
    const s = SETTINGS.find((x) => envName(x.name) === key);
    if (s === undefined) throw new UsageError(`${key}: no such setting (variables are WIRERELAY_ and a flag's name, e.g. ${envName('max-inbound')})`);
    const parts = s.kind.startsWith('list-') ? text.split(',').map((p) => p.trim()).filter((p) => p !== '') : [text];
    for (const p of parts) addValue(out, lists, s, p, key);
  }
  return out;
}

/** bitcoin.conf style: `key=value`, `#` comments, blank lines, a key repeated for each list entry. */
export function parseConfigFile(path: string, text: string): Map<string, Sourced> {
  const out = new Map<string, Sourced>();
  const lists = new Map<string, string[]>();
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const where = `${path}:${n + 1}`;
    const hash = lines[n]!.indexOf('#');
    const line = (hash < 0 ? lines[n]! : lines[n]!.slice(0, hash)).trim();
    if (line === '') continue;
    const eq = line.indexOf('=');
    if (eq < 0) throw new UsageError(`${where}: expected key=value, got "${line}"`);
    const key = line.slice(0, eq).trim();
    const s = BY_NAME.get(key);
    if (s === undefined) throw new UsageError(`${where}: unknown key "${key}" (keys are the long flags without --)`);
    const previous = out.get(key);
    if (previous !== undefined && !s.kind.startsWith('list-')) {
      throw new UsageError(`${where}: ${key} is already set at ${previous.source}`);
    }
    addValue(out, lists, s, line.slice(eq + 1).trim(), where, key);
  }
  return out;
}

function addValue(out: Map<string, Sourced>, lists: Map<string, string[]>, s: Setting, text: string, source: string, key = s.name): void {
  const value = parseValue(s, text, source, key);
  if (s.kind.startsWith('list-')) {
    const list = lists.get(s.name) ?? [];
    list.push(value as string);
    lists.set(s.name, list);
    // A list keeps the source of its first entry: that is where an operator looks for it.
    out.set(s.name, { value: list, source: out.get(s.name)?.source ?? source });
  } else {
    out.set(s.name, { value, source });
  }
}

/** One value, checked by the same rules createRelay applies; errors name the source and the key. */
function parseValue(s: Setting, text: string, source: string, key: string): Value {
  const fail = (why: string): never => {
    // A flag or a variable names the key itself; a file line needs it said.
    const named = source.startsWith('--') || source.startsWith(ENV_PREFIX);
    throw new UsageError(`${named ? source : `${source}: ${key}`}: ${why}`);
  };
  let value: Value;
  switch (s.kind) {
    case 'count':
      if (!/^(0|[1-9][0-9]*)$/.test(text)) fail(`must be a non-negative integer, got "${text}"`);
      value = Number(text);
      break;
    case 'bool':
      if (!/^(1|0|true|false|yes|no)$/.test(text)) fail(`must be true or false (1 or 0), got "${text}"`);
      value = /^(1|true|yes)$/.test(text);
      break;
    case 'duration': {
      const ms = parseDuration(text);
      if (ms === null) fail(`expected 24h, 7d, 30m, 90s or seconds, got "${text}"`);
      value = ms;
      break;
    }
    case 'enum':
    case 'list-enum':
      if (!s.choices!.includes(text)) fail(`expected one of ${s.choices!.join(', ')}, got "${text}"`);
      value = text;
      break;
    case 'addr-or-off':
      value = text === 'off' ? null : text;
      break;
    default:
      if (text === '') fail('needs a value');
      value = text;
  }
  if (s.option !== null && value !== null) {
    // The library's own check, on this value alone (the retry pair is checked together later).
    const single: Record<string, unknown> = { [s.option]: s.kind.startsWith('list-') ? [value] : value };
    if (s.option === 'retryBaseMs') single.retryMaxMs = Number.MAX_SAFE_INTEGER;
    if (s.option === 'retryMaxMs') single.retryBaseMs = 1;
    // Whether a non-loopback --rpc has its --rpcallowip is checked once every source is read.
    if (s.option === 'rpc') single.rpcAllowIp = ['0.0.0.0/0'];
    try {
      resolveConfig(single as RelayOptions);
    } catch (err) {
      fail((err as Error).message.replace(new RegExp(`^${s.option}:? ?`), ''));
    }
  }
  return value;
}

// ---- the effective configuration -------------------------------------------------------------

/** Each setting's effective value as text and where it came from (`wirerelay config`). */
export function describeSettings(settings: Settings): Array<{ name: string; value: string; source: string }> {
  const config = resolveConfig(settings.options);
  return SETTINGS.map((s) => {
    const given = settings.given.get(s.name);
    let value: string;
    if (s.name === 'config') value = settings.configFile ?? '(none)';
    else if (s.name === 'log-file') value = settings.logFile ?? '(stderr)';
    else if (s.name === 'debug') value = settings.debug.join(',') || '(none)';
    else if (s.name === 'no-v8-tuning') value = settings.v8Tuning ? 'no' : 'yes';
    else value = formatValue(config[s.option!], s.kind);
    const source = given?.source ?? (s.name === 'config' && settings.configFile !== null ? 'data dir' : 'default');
    return { name: s.name, value, source };
  });
}

function formatValue(v: unknown, kind: Kind): string {
  if (v === null) return 'off';
  if (kind === 'duration' && typeof v === 'number') return formatMs(v);
  if (Array.isArray(v)) return v.length === 0 ? '(none)' : v.join(',');
  if (typeof v === 'object') return formatHostPort(v as HostPort);
  return String(v);
}

function formatMs(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
