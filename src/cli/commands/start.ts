/**
 * `wirerelay start`: runs a relay node in the foreground. SIGINT/SIGTERM stop it gracefully (a
 * second one exits at once), SIGHUP reopens the log file. Defaults work offline: regtest, listening
 * on 127.0.0.1 only. Settings come from flags, `WIRERELAY_*` variables and wirerelay.conf
 * (src/cli/settings.ts).
 */
import { RelayError } from '../../errors.js';
import { Logger, openLogDestination } from '../../log.js';
import { formatHostPort } from '../../util/host-port.js';
import { createRelay } from '../../node/relay-node.js';
import type { RelayNode } from '../../node/relay-node.js';
import { tuneServiceHeap } from '../gc-tuning.js';
import { exposeGc, IdleCollector } from '../idle-collection.js';
import { installRejectionPolicy } from '../rejection-policy.js';
import { loadSettings, settingsHelp, type Settings } from '../settings.js';

export const summary = 'Run a relay node (default: regtest on 127.0.0.1, admin on 127.0.0.1:9464)';

const HELP = `usage: wirerelay start [options]

Each option can also be set in the config file (key=value, the name without --; a key repeated
for each entry of a list) or as WIRERELAY_<NAME> (e.g. WIRERELAY_MAX_INBOUND=50; lists
comma-separated). Flags win over variables, variables over the file.

${settingsHelp()}`;

export async function run(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  let settings: Settings;
  try {
    settings = loadSettings(args);
  } catch (err) {
    process.stderr.write(`wirerelay start: ${(err as Error).message}\n(run 'wirerelay start --help' for the options)\n`);
    return 2;
  }
  tuneServiceHeap(settings.v8Tuning);
  const destination = openLogDestination({ file: settings.logFile, pretty: settings.logFile === null && process.stderr.isTTY === true });
  const logger = Logger.create({ level: settings.options.logLevel ?? 'info', debug: settings.debug, destination });
  let node: RelayNode;
  try {
    node = createRelay(settings.options, { logger });
  } catch (err) {
    process.stderr.write(`wirerelay start: ${(err as Error).message}\n`);
    return 2;
  }
  if (settings.configFile !== null) node.log.info('config file read', { file: settings.configFile });
  // One missed rejection must not take every connection down with the process.
  const removeRejectionPolicy = installRejectionPolicy(node.log);
  try {
    await node.start();
  } catch (err) {
    removeRejectionPolicy();
    process.stderr.write(`wirerelay start: ${describeStartError(err, node, settings)}\n`);
    return (err as RelayError).code === 'ERR_CONFIG' ? 2 : 1;
  }

  // Dead buffers are freed when the node goes quiet, not whenever V8 next allocates (--no-v8-tuning: off).
  const gc = settings.v8Tuning ? exposeGc() : undefined;
  const idle = gc !== undefined ? new IdleCollector(gc, () => node.status().relayCache.bytes) : undefined;
  idle?.start();

  let stopping = 0;
  const onStop = (sig: NodeJS.Signals): void => {
    stopping++;
    if (stopping > 1) {
      process.stderr.write(`wirerelay: second ${sig}, exiting now\n`);
      process.exit(130);
    }
    node.log.info('shutting down', { signal: sig });
    void node.stop();
  };
  // logrotate moves the file and sends SIGHUP: the next line goes to a new file at the same path.
  const onHangup = (): void => {
    if (settings.logFile === null) {
      node.log.info('SIGHUP: no --log-file to reopen, nothing to do');
      return;
    }
    destination.reopen();
    node.log.info('log file reopened', { file: settings.logFile });
  };
  process.on('SIGINT', onStop);
  process.on('SIGTERM', onStop);
  process.on('SIGHUP', onHangup);
  await node.whenStopped();
  idle?.stop();
  process.off('SIGINT', onStop);
  process.off('SIGTERM', onStop);
  process.off('SIGHUP', onHangup);
  removeRejectionPolicy();
  return 0;
}

/** A port in use or not ours to bind names the flag that asked for it. */
function describeStartError(err: unknown, node: RelayNode, settings: Settings): string {
  const e = err as NodeJS.ErrnoException & { port?: number; address?: string };
  const why = e.code === 'EADDRINUSE' ? 'address already in use' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EADDRNOTAVAIL' ? 'address not available on this host' : null;
  if (why === null || e.port === undefined) return e.message;
  for (const flag of ['listen', 'http', 'rpc'] as const) {
    const hp = node.config[flag];
    if (hp === null || hp.port !== e.port) continue;
    const given = settings.given.get(flag)?.source;
    const from = given === undefined || given === `--${flag}` ? `--${flag}` : `--${flag} (from ${given})`;
    return `${from} ${formatHostPort(hp)}: ${why}; is another node running? Choose another with --${flag} HOST:PORT, or "off"`;
  }
  return e.message;
}
