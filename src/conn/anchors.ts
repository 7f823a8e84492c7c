/**
 * Anchor connections (Bitcoin Core PR #17428, src/addrdb.cpp DumpAnchors/ReadAnchors): the
 * block-relay-only peers we had at a clean stop are written to a small file and dialled first on
 * the next start, before any address from the table. An attacker who floods our address table
 * while we are down cannot take those two slots: they go back to peers we already trusted with
 * our blocks.
 *
 * The file is read once and deleted at start (Core deletes anchors.dat after reading), and is
 * written only on a clean stop: after a crash there are no anchors, so a node that crashes while
 * eclipsed does not re-dial its eclipsers, and an anchor that made us crash is not retried.
 *
 * Why a file of its own and not the state log (src/persist/state-model.ts): the state log holds
 * decisions that must survive any crash and be replicated to backups (bans, the address table,
 * flaps, clocks). Anchors are the opposite, a one-shot hand-over from one clean stop to the next
 * start that must be consumed exactly once; in the log that would need a record and a tombstone,
 * and a restored backup would re-dial another machine's peers. One file, one owner (this module).
 */
import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalHostPort } from '../util/host-port.js';
import { writeFileAtomic } from '../persist/atomic-file.js';
import type { ConnReqInfo } from './conn-manager.js';

/** Core MAX_BLOCK_RELAY_ONLY_ANCHORS (src/net.h). */
export const MAX_ANCHORS = 2;
/** File name in the data directory (Core: anchors.dat; ours is JSON). */
export const ANCHORS_FILE = 'anchors.json';
export const ANCHORS_FILE_VERSION = 1;

export type AnchorLogFn = (level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

/** The path of the anchors file in `dataDir`. */
export function anchorsPath(dataDir: string): string {
  return join(dataDir, ANCHORS_FILE);
}

/** The anchors to save at stop: established block-relay-only connections, at most MAX_ANCHORS. */
export function anchorsToSave(conns: readonly ConnReqInfo[]): string[] {
  const out: string[] = [];
  for (const c of conns) {
    if (c.kind === 'block-relay-only' && c.state === 'established' && c.addr !== null && !out.includes(c.addr)) out.push(c.addr);
  }
  return out.slice(0, MAX_ANCHORS);
}

/** Writes the anchors atomically (call on a clean stop only, before the connections close). */
export async function saveAnchors(path: string, anchors: readonly string[]): Promise<void> {
  const list = anchors.slice(0, MAX_ANCHORS);
  await writeFileAtomic(path, JSON.stringify({ version: ANCHORS_FILE_VERSION, anchors: list }));
}

/**
 * Reads the anchors and deletes the file, so they are dialled at most once. A missing file gives
 * none; a file that is unreadable, of another version or malformed gives none with a warning (a
 * bad anchors file must never stop the node). Entries that are not canonical `HOST:PORT` are
 * dropped; at most MAX_ANCHORS are returned.
 */
export async function loadAnchors(path: string, log: AnchorLogFn = () => undefined): Promise<string[]> {
  const read = await readJsonFile(path);
  if (read.kind === 'missing') return [];
  await unlink(path).catch((err: unknown) => log('warn', 'could not delete the anchors file after reading it', { path, error: err }));
  if (read.kind === 'unreadable') {
    log('warn', 'anchors file unreadable; starting without anchors', { path, error: read.error });
    return [];
  }
  const v = read.value as { version?: unknown; anchors?: unknown };
  if (typeof v !== 'object' || v === null || v.version !== ANCHORS_FILE_VERSION || !Array.isArray(v.anchors)) {
    log('warn', 'anchors file of an unknown version or shape; starting without anchors', { path });
    return [];
  }
  const out: string[] = [];
  for (const a of v.anchors) {
    const c = typeof a === 'string' ? canonicalHostPort(a) : null;
    if (c !== null && !out.includes(c)) out.push(c);
  }
  return out.slice(0, MAX_ANCHORS);
}

/** The file's JSON, or why there is none: missing (no anchors), or unreadable (a warning). */
async function readJsonFile(path: string): Promise<{ kind: 'missing' } | { kind: 'unreadable'; error: unknown } | { kind: 'ok'; value: unknown }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'unreadable', error: err };
  }
  try {
    return { kind: 'ok', value: JSON.parse(text) as unknown };
  } catch (err) {
    return { kind: 'unreadable', error: err };
  }
}
