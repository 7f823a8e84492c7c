import { FileOps, realFileOps } from '../file-ops.js';
import { LogFn, stderrLog } from '../logger.js';
import { BackupBackend, parseBackupUrl } from './backend.js';
import { FileBackend } from './file-backend.js';
import { SocketBackend } from './socket-backend.js';

/** Builds the backend for a `--backup` URL; nothing is opened until `connect()`. */
export function openBackend(url: string, opts: { ops?: FileOps; log?: LogFn } = {}): BackupBackend {
  const t = parseBackupUrl(url);
  return t.kind === 'file' ? new FileBackend(url, t.path, opts.ops ?? realFileOps, opts.log ?? stderrLog) : new SocketBackend(url, t.host, t.port);
}
