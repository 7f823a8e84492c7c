/** `wirerelay backup init|status|compact|restore`: operator commands for the state log and its backup. */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { hasErrorCode } from '../../errors.js';
import { openBackend } from '../../persist/backup/open-backend.js';
import { reconcile } from '../../persist/backup/reconcile.js';
import type { CompactProgress } from '../../persist/compaction.js';
import { restoreDataDir, seedRecords } from '../../persist/restore.js';
import { entryCrc, entryPayload, readLogSnapshot } from '../../persist/state-log.js';
import { StateStore, STATE_LOG_NAME } from '../../persist/state-store.js';
import type { LogFn } from '../../persist/logger.js';

export const summary = 'Manage the state log backup: init | status | compact | restore';

const usage = `usage:
  wirerelay backup init    --data-dir DIR --backup URL [--force]   seed the backup with the local state
  wirerelay backup status  --data-dir DIR [--backup URL]            local and backup versions as JSON
  wirerelay backup compact (--data-dir DIR | --backup URL)          compact the local log (node stopped) or the backup
  wirerelay backup restore --backup URL --data-dir DIR [--force]    rebuild a data directory from the backup
URL is file:///PATH or socket://HOST:PORT. --quiet hides the progress bar.`;

/** Progress bars only on a terminal and only for work that takes a while. */
function progress(quiet: boolean, label: string): { update: CompactProgress; stop: () => void } {
  if (quiet || !process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar({ format: `${label} [{bar}] {percentage}% {value}/{total} bytes | {eta}s left`, stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    update: (done, total) => {
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.setTotal(total);
      bar.update(done);
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

const logWarnings: LogFn = (level, msg, fields) => {
  if (level === 'warn' || level === 'error') process.stderr.write(`${level}: ${msg} ${fields ? JSON.stringify(fields) : ''}\n`);
};

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { 'data-dir': { type: 'string' }, backup: { type: 'string' }, force: { type: 'boolean' }, quiet: { type: 'boolean', short: 'q' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    process.stderr.write(`wirerelay backup: ${(err as Error).message}\n${usage}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    process.stdout.write(usage + '\n');
    return 0;
  }
  const sub = positionals[0];
  const dataDir = values['data-dir'];
  const url = values.backup;
  const quiet = values.quiet === true;
  try {
    switch (sub) {
      case 'init': {
        if (dataDir === undefined || url === undefined) break;
        const path = join(dataDir, STATE_LOG_NAME);
        const { buf, scan } = await readLogSnapshot(path);
        const backend = openBackend(url, { log: logWarnings });
        try {
          await backend.connect();
          const meta = await backend.metadata();
          if (meta.count > 0 && values.force !== true) {
            process.stderr.write(`wirerelay backup: ${url} already holds version ${meta.version}; add --force to replace it with the local state (version ${scan.version})\n`);
            return 1;
          }
          await backend.replace(seedRecords(buf, scan, path));
          process.stdout.write(JSON.stringify({ seeded: url, version: scan.version }) + '\n');
        } finally {
          await backend.close();
        }
        return 0;
      }
      case 'status': {
        if (dataDir === undefined) break;
        const path = join(dataDir, STATE_LOG_NAME);
        const { buf, scan } = await readLogSnapshot(path);
        const last = scan.entries[scan.entries.length - 1];
        const local = { path, version: scan.version, entries: scan.entries.length, bytes: buf.length, canRewind: scan.rewindable, header: scan.header };
        const out: Record<string, unknown> = { local };
        if (url !== undefined) {
          const backend = openBackend(url, { log: logWarnings });
          try {
            await backend.connect();
            const meta = await backend.metadata();
            const byVersion = new Map(scan.entries.map((e) => [e.version, e]));
            const decision = reconcile(
              {
                version: scan.version,
                lastCrc: last?.crc ?? 0,
                oldestHeld: scan.entries.find((e) => e.kind === 'change')?.version ?? scan.version + 1,
                crcAt: (v) => {
                  const e = byVersion.get(v);
                  return e === undefined ? undefined : entryCrc(e.version, e.kind, entryPayload(buf, e));
                },
              },
              meta,
              url,
            );
            out.backup = { url, ...meta, onStart: decision };
          } catch (err) {
            out.backup = { url, error: (err as Error).message };
          } finally {
            await backend.close();
          }
        }
        process.stdout.write(JSON.stringify(out, null, 2) + '\n');
        return 0;
      }
      case 'compact': {
        const bar = progress(quiet, 'compacting');
        try {
          if (url !== undefined) {
            const backend = openBackend(url, { log: logWarnings });
            try {
              await backend.connect();
              const stats = await backend.compact(bar.update);
              bar.stop();
              process.stdout.write(JSON.stringify({ backup: url, ...stats }) + '\n');
            } finally {
              await backend.close();
            }
            return 0;
          }
          if (dataDir === undefined) break;
          // Takes the data directory's lock: a running node compacts its own log (StateStore.compact).
          const store = await StateStore.open(dataDir, { log: logWarnings });
          try {
            const res = await store.compact({ onProgress: bar.update });
            bar.stop();
            process.stdout.write(JSON.stringify(res) + '\n');
          } finally {
            await store.close();
          }
          return 0;
        } finally {
          bar.stop();
        }
      }
      case 'restore': {
        if (dataDir === undefined || url === undefined) break;
        const bar = progress(quiet, 'restoring');
        try {
          const res = await restoreDataDir(url, dataDir, { force: values.force === true, log: logWarnings, onProgress: bar.update });
          bar.stop();
          process.stdout.write(JSON.stringify({ restored: dataDir, from: url, ...res }) + '\n');
        } finally {
          bar.stop();
        }
        return 0;
      }
    }
  } catch (err) {
    process.stderr.write(`wirerelay backup ${sub}: ${hasErrorCode(err) ? `${err.code}: ` : ''}${(err as Error).message}\n`);
    return 1;
  }
  process.stderr.write(usage + '\n');
  return 2;
}
