/**
 * The admin cookie, as in Bitcoin Core's `.cookie`: a fresh random token written at start to a file
 * that only the node's user can read, so "can read the data directory" is the credential. The file
 * holds `__cookie__:<64 hex>`; clients send the hex part as `Authorization: Bearer <hex>`.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, mkdtemp, open, readFile, rename, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const COOKIE_FILE_NAME = '.cookie';
export const COOKIE_USER = '__cookie__';
/** 256 bits: guessing is hopeless even for a client on the loopback that can try all day. */
const TOKEN_BYTES = 32;

export interface AdminCookie {
  readonly path: string;
  readonly token: string;
  /** Deletes the file (and the temp dir, if one was made). Idempotent. */
  remove(): Promise<void>;
}

/**
 * Writes a new cookie into `dataDir`, or into a fresh private temp dir when the node keeps no data
 * dir. The write is tmp + fsync + rename, so a CLI racing the start never reads half a token.
 * Not persist/atomic-file.ts: that creates its temp file with the default mode under a fixed name,
 * and a secret must be 0600 from its first byte, in a file nobody else could have planted.
 */
export async function writeCookie(dataDir: string | null): Promise<AdminCookie> {
  const ownDir = dataDir === null;
  // mkdtemp creates the dir 0700, so the cookie is private even before its own mode applies.
  const dir = ownDir ? await mkdtemp(join(tmpdir(), 'wirerelay-admin-')) : dataDir;
  if (!ownDir) await mkdir(dir, { recursive: true, mode: 0o700 });
  const token = randomBytes(TOKEN_BYTES).toString('hex');
  const path = join(dir, COOKIE_FILE_NAME);
  const tmp = join(dir, `${COOKIE_FILE_NAME}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const content = `${COOKIE_USER}:${token}`;
  try {
    // 'wx' refuses to follow a planted file or symlink at the tmp name; the mode is set at creation
    // so there is no window in which the token sits in a world-readable file.
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.chmod(0o600); // a umask can only narrow the creation mode, but be explicit
      await fh.writeFile(content);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    await syncDir(dir);
  } catch (err) {
    await rm(tmp, { force: true });
    if (ownDir) await rm(dir, { recursive: true, force: true });
    throw err;
  }

  let removed = false;
  return {
    path,
    token,
    async remove(): Promise<void> {
      if (removed) return;
      removed = true;
      if (ownDir) {
        await rm(dir, { recursive: true, force: true });
        return;
      }
      // Leave the file alone if another instance on the same data dir has replaced it since.
      const current = await readFile(path, 'utf8').catch(() => null);
      if (current === content) await unlink(path).catch(() => undefined);
    },
  };
}

async function syncDir(dir: string): Promise<void> {
  // Makes the rename itself durable; some filesystems refuse fsync on a directory, which is harmless.
  const fh = await open(dir, 'r').catch(() => null);
  if (fh === null) return;
  try {
    await fh.sync();
  } catch {
    // EINVAL/EISDIR on filesystems without directory fsync
  } finally {
    await fh.close();
  }
}

/** Reads the token from a cookie file. Throws the fs error if unreadable, or an Error if malformed. */
export async function readCookie(path: string): Promise<string> {
  const text = (await readFile(path, 'utf8')).trim();
  const prefix = `${COOKIE_USER}:`;
  const token = text.startsWith(prefix) ? text.slice(prefix.length) : '';
  if (!/^[0-9a-f]+$/.test(token)) throw new Error(`${path} is not a wirerelay cookie file`);
  return token;
}

/**
 * Constant-time token check. Both sides are hashed first so the comparison time does not depend on
 * the presented length either (timingSafeEqual needs equal lengths and would leak it by throwing).
 */
export function tokenMatches(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && expected.length > 0;
}
