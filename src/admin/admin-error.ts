/**
 * Errors the admin endpoint answers with: an HTTP status plus a stable `code` in the body
 * `{ "error": { "code", "message" } }`. The CLI branches on `code`, never on the message.
 */
import type { ErrorCode } from '../errors.js';

export type AdminErrorCode =
  /** Malformed query or body field. */
  | 'ERR_BAD_REQUEST'
  /** Body is not JSON, or not a JSON object. */
  | 'ERR_BAD_JSON'
  /** A target or address that is not an IP, CIDR or HOST:PORT. */
  | 'ERR_BAD_TARGET'
  /** Well-formed, but the node has no such peer / ban. */
  | 'ERR_UNKNOWN_TARGET'
  /** No token where one is required, or a wrong one. */
  | 'ERR_UNAUTHORIZED'
  /** Loopback client naming a non-loopback Host (DNS rebinding). */
  | 'ERR_FORBIDDEN'
  | 'ERR_NOT_FOUND'
  | 'ERR_METHOD_NOT_ALLOWED'
  | 'ERR_BODY_TOO_LARGE'
  /** The backend threw something that is not a refusal. */
  | 'ERR_INTERNAL';

/**
 * The one table from error code to HTTP status: the admin endpoint's own codes and the codes the
 * node (the backend) throws. A backend code not listed is our failure: 500.
 */
export const HTTP_STATUS: Readonly<Record<AdminErrorCode, number> & Partial<Record<ErrorCode, number>>> = Object.freeze({
  ERR_BAD_REQUEST: 400,
  ERR_BAD_JSON: 400,
  ERR_BAD_TARGET: 400,
  ERR_UNKNOWN_TARGET: 400,
  ERR_UNAUTHORIZED: 401,
  ERR_FORBIDDEN: 403,
  ERR_NOT_FOUND: 404,
  ERR_METHOD_NOT_ALLOWED: 405,
  ERR_BODY_TOO_LARGE: 413,
  ERR_INTERNAL: 500,
  // The node's refusals: the caller's request (a bad value, or one the policy forbids) …
  ERR_CONFIG: 400,
  ERR_DIAL_SCOPE: 403,
  ERR_BANNED: 403,
  // … or a node that cannot take it now: retry later.
  ERR_NOT_RUNNING: 503,
  ERR_STOPPING: 503,
  ERR_PEER_LIMIT: 503,
});

/** The HTTP status for an error code (500 for a code the table does not list). */
export function httpStatusOf(code: string): number {
  return (HTTP_STATUS as Record<string, number | undefined>)[code] ?? 500;
}

export class AdminHttpError extends Error {
  readonly status: number;
  readonly code: AdminErrorCode;
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: AdminErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'AdminHttpError';
    this.status = HTTP_STATUS[code];
    this.code = code;
    this.headers = headers;
  }
}

/** Shape of every error body. */
export interface AdminErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}
