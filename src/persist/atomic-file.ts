/**
 * The only code that replaces a file. Readers see either the whole old file or the whole new one:
 * write a temporary sibling, fsync it, rename it over the target, then fsync the directory so the
 * rename itself survives power loss. (Serf removes the old file before renaming, which loses the
 * snapshot if the process dies in between; we never delete first.)
 */
import { dirname } from 'node:path';
import { FileOps, realFileOps } from './file-ops.js';

/** Suffix of the temporary file; a leftover one after a crash is incomplete by definition. */
export const TMP_SUFFIX = '.tmp';

/** Renames an already written and fsynced temporary file over `target`, then fsyncs the directory. */
export async function installFile(tmp: string, target: string, ops: FileOps = realFileOps): Promise<void> {
  ops.at('atomic:before-rename');
  await ops.rename(tmp, target);
  ops.at('atomic:after-rename');
  await ops.syncDir(dirname(target));
}

/** Writes `data` to `target` atomically. */
export async function writeFileAtomic(target: string, data: Uint8Array | string, ops: FileOps = realFileOps): Promise<void> {
  const tmp = target + TMP_SUFFIX;
  const f = await ops.open(tmp, 'w');
  try {
    await f.write(typeof data === 'string' ? Buffer.from(data, 'utf8') : data, 0);
    await f.sync();
  } catch (err) {
    await f.close().catch(() => undefined);
    await ops.unlink(tmp).catch(() => undefined);
    throw err;
  }
  await f.close();
  await installFile(tmp, target, ops);
}
