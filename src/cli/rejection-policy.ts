/**
 * What the `start` process does with a promise rejection nobody handled: log it as an internal
 * error (code ERR_INTERNAL, with its stack) and keep relaying. Node's default is to crash, which
 * would drop every connection over one missed `.catch` on one peer's path; the paths that can
 * throw on peer input are guarded where they run (e.g. StreamDecoder's pool continuation), so
 * what reaches this is our bug, and the log line is how it gets fixed.
 */
import type { Logger } from '../log.js';

/** The listener, apart so tests can call it without making a real unhandled rejection. */
export function rejectionHandler(log: Pick<Logger, 'error'>): (reason: unknown) => void {
  return (reason) => {
    const err = reason instanceof Error ? reason : new Error(`non-error rejection: ${String(reason)}`);
    log.error('internal error: unhandled promise rejection', { code: 'ERR_INTERNAL', err, stack: err.stack });
  };
}

/** Installs the policy on `proc`; returns the function that removes it again. */
export function installRejectionPolicy(log: Pick<Logger, 'error'>, proc: NodeJS.EventEmitter = process): () => void {
  const handler = rejectionHandler(log);
  proc.on('unhandledRejection', handler);
  return () => void proc.off('unhandledRejection', handler);
}
