import { systemClock, type Clock } from '../clock.js';
import { StoreError } from '../errors.js';
import { writeFileAtomic } from '../persist/atomic-file.js';
import { FileOps, realFileOps } from '../persist/file-ops.js';
import { errText, type LogFn, stderrLog } from '../persist/logger.js';
import { type FlapEntry, isFlapEntry } from './health-store.js';

/**
 * Flap counts on disk until the node's durable state store carries them: one JSON document,
 * `{ "version": 1, "peers": [{ "peer", "count", "lastFlap" }] }`, replaced atomically by
 * persist/atomic-file (tmp, fsync, rename, fsync dir) so a crash leaves the old or the new file.
 *
 * A file that does not parse, has another version or holds a malformed entry is moved aside to
 * `<path>.corrupt-<ms>` with a warning and the node starts with no flap history (Core#26599: a bad
 * state file must not become a restart loop). Losing flap counts only makes flappers look new.
 */
export const FLAP_FILE_VERSION = 1;

export interface FlapFileOptions {
  log?: LogFn;
  ops?: FileOps;
  clock?: Clock;
}

/** Reads saved flap state; missing file → []. Throws StoreError(ERR_STORE_IO) only on I/O failure. */
export async function readFlapFile(path: string, opts: FlapFileOptions = {}): Promise<FlapEntry[]> {
  const ops = opts.ops ?? realFileOps;
  const log = opts.log ?? stderrLog;
  let raw: Buffer;
  try {
    raw = await ops.readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new StoreError('ERR_STORE_IO', `cannot read flap file ${path}`, { path }, { cause: err });
  }
  const problem = parseProblem(raw);
  if (problem.entries !== undefined) return problem.entries;
  const aside = `${path}.corrupt-${(opts.clock ?? systemClock).now()}`;
  try {
    await ops.rename(path, aside);
  } catch (err) {
    throw new StoreError('ERR_STORE_IO', `cannot move corrupt flap file ${path} aside`, { path, aside }, { cause: err });
  }
  log('warn', 'flap file unreadable; moved aside, starting without flap history', { path, aside, reason: problem.reason });
  return [];
}

/** Replaces the flap file atomically. Throws StoreError(ERR_STORE_IO) when the write fails. */
export async function writeFlapFile(path: string, entries: readonly FlapEntry[], opts: FlapFileOptions = {}): Promise<void> {
  const doc = { version: FLAP_FILE_VERSION, peers: entries.map(({ peer, count, lastFlap }) => ({ peer, count, lastFlap })) };
  try {
    await writeFileAtomic(path, JSON.stringify(doc) + '\n', opts.ops ?? realFileOps);
  } catch (err) {
    throw new StoreError('ERR_STORE_IO', `cannot write flap file ${path}: ${errText(err)}`, { path }, { cause: err });
  }
}

/** The default `save` for HealthFlusher. */
export function flapFileSaver(path: string, opts: FlapFileOptions = {}): (entries: readonly FlapEntry[]) => Promise<void> {
  return (entries) => writeFlapFile(path, entries, opts);
}

function parseProblem(raw: Buffer): { entries?: FlapEntry[]; reason?: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(raw.toString('utf8'));
  } catch {
    return { reason: 'not JSON' };
  }
  if (typeof doc !== 'object' || doc === null) return { reason: 'not an object' };
  const { version, peers } = doc as { version?: unknown; peers?: unknown };
  if (version !== FLAP_FILE_VERSION) return { reason: `version ${String(version)}, expected ${FLAP_FILE_VERSION}` };
  if (!Array.isArray(peers)) return { reason: 'no peers array' };
  const bad = peers.findIndex((e) => !isFlapEntry(e));
  if (bad >= 0) return { reason: `malformed entry ${bad}` };
  return { entries: peers as FlapEntry[] };
}
