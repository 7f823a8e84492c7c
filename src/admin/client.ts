/**
 * The CLI's side of the admin endpoint: JSON over node:http, with the cookie token when one is
 * needed. Every failure is an AdminClientError whose `kind` tells the CLI which message to print.
 */
import { request } from 'node:http';
import { join } from 'node:path';
import { COOKIE_FILE_NAME } from './cookie.js';
import type { PeerAddress } from './targets.js';

/** Matches RelayConfig.http's default. */
export const DEFAULT_ADMIN_HTTP = '127.0.0.1:9464';
/** Ban and leave wait for an fsync on the node; a minute means the node is stuck, not slow. */
export const DEFAULT_CLIENT_TIMEOUT_MS = 60_000;
/** Largest reply the CLI will buffer: a full peer list is well under this. */
const MAX_REPLY_BYTES = 32 * 1024 * 1024;

export function cookiePathFor(dataDir: string): string {
  return join(dataDir, COOKIE_FILE_NAME);
}

export type AdminClientErrorKind =
  /** No TCP connection: refused, unresolvable, unroutable. */
  | 'unreachable'
  /** Connected, but no complete reply within the timeout. */
  | 'timeout'
  /** The endpoint answered with a non-2xx status. */
  | 'http'
  /** The reply was not what an admin endpoint sends (not JSON, too large). */
  | 'protocol';

export class AdminClientError extends Error {
  readonly kind: AdminClientErrorKind;
  readonly status: number | null;
  /** The endpoint's error code (`ERR_…`) for kind 'http', when it sent one. */
  readonly code: string | null;

  constructor(kind: AdminClientErrorKind, message: string, status: number | null = null, code: string | null = null) {
    super(message);
    this.name = 'AdminClientError';
    this.kind = kind;
    this.status = status;
    this.code = code;
  }
}

export interface AdminClientOptions {
  readonly endpoint: PeerAddress;
  /** Sent as `Authorization: Bearer`; null sends none (loopback reads need none). */
  readonly token: string | null;
  readonly timeoutMs?: number;
}

export class AdminClient {
  private readonly endpoint: PeerAddress;
  private readonly token: string | null;
  private readonly timeoutMs: number;

  constructor(options: AdminClientOptions) {
    this.endpoint = options.endpoint;
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS;
  }

  get(path: string): Promise<unknown> {
    return this.call('GET', path, null);
  }

  post(path: string, body: Record<string, unknown>): Promise<unknown> {
    return this.call('POST', path, JSON.stringify(body));
  }

  private call(method: 'GET' | 'POST', path: string, body: string | null): Promise<unknown> {
    const where = this.endpoint.addr;
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { Accept: 'application/json' };
      if (this.token !== null) headers.Authorization = `Bearer ${this.token}`;
      if (body !== null) {
        headers['Content-Type'] = 'application/json';
        headers['Content-Length'] = String(Buffer.byteLength(body));
      }
      const req = request(
        { host: this.endpoint.host, port: this.endpoint.port, method, path, headers, agent: false },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_REPLY_BYTES) {
              req.destroy(new AdminClientError('protocol', `reply from ${where} exceeds ${MAX_REPLY_BYTES} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            let parsed: unknown;
            try {
              parsed = JSON.parse(text);
            } catch {
              reject(new AdminClientError('protocol', `${where} answered ${status} with a body that is not JSON`, status));
              return;
            }
            if (status >= 200 && status < 300) {
              resolve(parsed);
              return;
            }
            const err = (parsed as { error?: { code?: unknown; message?: unknown } } | null)?.error;
            const code = typeof err?.code === 'string' ? err.code : null;
            const message = typeof err?.message === 'string' ? err.message : `HTTP ${status}`;
            reject(new AdminClientError('http', message, status, code));
          });
        },
      );
      req.setTimeout(this.timeoutMs, () => {
        req.destroy(new AdminClientError('timeout', `no answer from the admin endpoint at ${where} within ${this.timeoutMs / 1000} s`));
      });
      req.on('error', (err) => {
        if (err instanceof AdminClientError) reject(err);
        else reject(new AdminClientError('unreachable', `cannot reach the admin endpoint at ${where} (${describeSocketError(err)})`));
      });
      req.end(body ?? undefined);
    });
  }
}

function describeSocketError(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused: is the node running with its admin endpoint enabled?';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
    case 'ECONNRESET':
      return 'connection reset';
    default:
      return code ?? err.message;
  }
}
