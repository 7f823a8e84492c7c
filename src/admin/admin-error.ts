/**
 * Errors the admin endpoint answers with: an HTTP status plus a stable `code` in the body
 * `{ "error": { "code", "message" } }`. The CLI branches on `code`, never on the message.
 */

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

export class AdminHttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, code: AdminErrorCode | string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'AdminHttpError';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/** Shape of every error body. */
export interface AdminErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}
