/**
 * `wirerelay state repair --data-dir DIR [--yes]`: rebuilds a lost state-log header from the
 * checksummed entries (src/persist/header-repair.ts), after saying what it will write and asking.
 * Reached through `wirerelay state` (the leading underscore keeps it out of the command list).
 */
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { hasErrorCode } from '../../errors.js';
import { applyHeaderRepair, HEADER_BACKUP_SUFFIX, planHeaderRepair } from '../../persist/header-repair.js';
import { STATE_LOG_NAME } from '../../persist/state-store.js';

export const usage = `usage: wirerelay state repair --data-dir DIR [--yes]
  Rebuilds the state log's header from its checksummed entries when the header is lost (zeroed
  or overwritten). Shows what it found and asks first; --yes answers for scripts. The node must
  be stopped. The old header is kept in ${STATE_LOG_NAME}${HEADER_BACKUP_SUFFIX}.`;

export interface RepairIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Asks a yes/no question; null when nobody can answer (stdin is not a terminal). */
  readonly ask: ((question: string) => Promise<boolean>) | null;
}

const stdio: RepairIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  ask: process.stdin.isTTY
    ? async (q) => {
        const rl = createInterface({ input: process.stdin, output: process.stdout });
        try {
          return /^y(es)?$/i.test((await rl.question(q)).trim());
        } finally {
          rl.close();
        }
      }
    : null,
};

export async function runRepair(args: string[], io: RepairIo = stdio): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, allowPositionals: true, options: { 'data-dir': { type: 'string' }, yes: { type: 'boolean', short: 'y' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (err) {
    io.err(`wirerelay state repair: ${(err as Error).message}\n${usage}\n`);
    return 2;
  }
  if (values.help === true) {
    io.out(usage + '\n');
    return 0;
  }
  if (values['data-dir'] === undefined) {
    io.err(usage + '\n');
    return 2;
  }
  const path = join(values['data-dir'], STATE_LOG_NAME);
  try {
    const plan = await planHeaderRepair(path);
    if (!plan.needed) {
      io.out(`${path}: ${plan.problem}; nothing to repair (${plan.entries} entries, version ${plan.version})\n`);
      return 0;
    }
    io.out(
      `${path}: ${plan.problem}.\n` +
        `Found ${plan.entries} intact entries up to version ${plan.version}` +
        (plan.tornBytes > 0 ? `, then ${plan.tornBytes} bytes of torn tail (cut off when the node next opens the log)` : '') +
        `.\nA new header will record version ${plan.version}; the old one is kept in ${path}${HEADER_BACKUP_SUFFIX}.\n`,
    );
    if (values.yes !== true) {
      if (io.ask === null) {
        io.err('wirerelay state repair: not confirmed; pass --yes to repair without a terminal\n');
        return 2;
      }
      if (!(await io.ask('Rewrite the header? [y/N] '))) {
        io.out('Nothing changed.\n');
        return 1;
      }
    }
    const done = await applyHeaderRepair(path);
    io.out(`Header rebuilt: version ${done.version}, ${done.entries} entries. The node can start again.\n`);
    return 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      io.err(`wirerelay state repair: no state log at ${path}\n`);
      return 1;
    }
    io.err(`wirerelay state repair: ${hasErrorCode(err) ? `${err.code}: ` : ''}${(err as Error).message}\n`);
    return 1;
  }
}
