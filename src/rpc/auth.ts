/**
 * JSON-RPC credentials as Bitcoin Core checks them (src/httprpc.cpp): HTTP Basic with either the
 * cookie (`__cookie__:<token>`) or a `-rpcauth=USER:SALT$HMAC` entry, where HMAC is
 * HMAC-SHA256 keyed by the salt string over the password, in hex (share/rpcauth/rpcauth.py).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '../errors.js';
import { COOKIE_USER, tokenMatches } from '../admin/cookie.js';

export interface RpcAuthEntry {
  readonly user: string;
  readonly salt: string;
  /** 64 lower-case hex digits. */
  readonly hmac: string;
}

/** Parses `USER:SALT$HMAC`; throws ConfigError naming `what` (the option) when malformed. */
export function parseRpcAuth(text: string, what = 'rpcAuth'): RpcAuthEntry {
  const colon = text.indexOf(':');
  const dollar = text.lastIndexOf('$');
  const user = colon > 0 ? text.slice(0, colon) : '';
  const salt = colon > 0 && dollar > colon ? text.slice(colon + 1, dollar) : '';
  const hmac = dollar > colon ? text.slice(dollar + 1).toLowerCase() : '';
  if (user === '' || salt === '' || !/^[0-9a-f]{64}$/.test(hmac)) {
    throw new ConfigError(`${what}: expected USER:SALT$HMAC (as share/rpcauth/rpcauth.py prints it), got "${text}"`, { option: what });
  }
  if (user === COOKIE_USER) throw new ConfigError(`${what}: the user name ${COOKIE_USER} is reserved for the cookie`, { option: what });
  return { user, salt, hmac };
}

/** The HMAC an rpcauth entry stores for `password` (what rpcauth.py computes). */
export function rpcAuthHmac(salt: string, password: string): string {
  return createHmac('sha256', salt).update(password).digest('hex');
}

/**
 * Checks an `Authorization` header against the cookie token and the rpcauth entries. Every entry
 * is tried (no early exit) and each comparison is constant-time, as in Core's RPCAuthorized.
 */
export function authorized(header: string | undefined, cookieToken: string | null, entries: readonly RpcAuthEntry[]): boolean {
  if (header === undefined || !header.startsWith('Basic ')) return false;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  const user = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  let ok = false;
  if (cookieToken !== null && user === COOKIE_USER && tokenMatches(password, cookieToken)) ok = true;
  for (const e of entries) {
    const want = Buffer.from(e.hmac, 'hex');
    const got = Buffer.from(rpcAuthHmac(e.salt, password), 'hex');
    if (timingSafeEqual(want, got) && e.user === user) ok = true;
  }
  return ok;
}
