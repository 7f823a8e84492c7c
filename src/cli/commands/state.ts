/**
 * `wirerelay state show --data-dir DIR`: the durable state as JSON. Reads the log without locking
 * it, so it works next to a running node (it sees the last fsynced or written changes).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { hasErrorCode } from '../../errors.js';
import { readLogSnapshot, rebuildState } from '../../persist/state-log.js';
import { summarizeState } from '../../persist/state-model.js';
import { STATE_LOG_NAME } from '../../persist/state-store.js';
import { runRepair, usage as repairUsage } from './_state-repair.js';

export const summary = 'Show the durable state as JSON (state show), or rebuild a lost log header (state repair)';

const usage = `usage: wirerelay state show --data-dir DIR [--full]
  Prints version, bans, flap counts, address-table counts and clocks as JSON.
  --full   print the address table itself instead of its counts

${repairUsage}`;

export async function run(args: string[]): Promise<number> {
  // `state repair` has its own options (src/cli/commands/_state-repair.ts).
  if (args[0] === 'repair') return runRepair(args.slice(1));
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { 'data-dir': { type: 'string' }, full: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    process.stderr.write(`wirerelay state: ${(err as Error).message}\n${usage}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    process.stdout.write(usage + '\n');
    return 0;
  }
  if (positionals[0] !== 'show' || values['data-dir'] === undefined) {
    process.stderr.write(usage + '\n');
    return 2;
  }
  const path = join(values['data-dir'], STATE_LOG_NAME);
  try {
    const { buf, scan } = await readLogSnapshot(path);
    const { state } = rebuildState(buf, scan, path);
    const out = values.full === true ? state : summarizeState(state);
    process.stdout.write(JSON.stringify({ ...out, log: { path, entries: scan.entries.length, bytes: buf.length, canRewind: scan.rewindable } }, null, 2) + '\n');
    return 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      process.stderr.write(`wirerelay state: no state log at ${path}\n`);
      return 1;
    }
    process.stderr.write(`wirerelay state: ${hasErrorCode(err) ? `${err.code}: ` : ''}${(err as Error).message}\n`);
    return 1;
  }
}
