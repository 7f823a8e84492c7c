/**
 * The JSON-RPC listener (`--rpc HOST:PORT`), served the way Bitcoin Core's src/httprpc.cpp serves
 * it: POST to `/` with HTTP Basic auth (the cookie or an rpcauth entry), legacy replies
 * (`result`, `error`, `id`) with Core's HTTP statuses, JSON-RPC 2.0 replies for requests that say
 * `"jsonrpc": "2.0"` (Core v28, release-notes-27101), and batches.
 *
 * Clients allowed: loopback, plus the subnets given with `rpcAllowIp` (Core's -rpcallowip);
 * anything else gets 403. A handler's throw never escapes: every request gets an answer.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readCookie, writeCookie, type AdminCookie } from '../admin/cookie.js';
import { isLoopbackAddress } from '../admin/targets.js';
import { formatHostPort } from '../util/host-port.js';
import { parseCidr, parseIp, cidrContains, type Cidr } from '../util/ip.js';
import type { Logger } from '../log.js';
import { authorized, parseRpcAuth, type RpcAuthEntry } from './auth.js';
import type { ChainInfoProvider, RpcBackend } from './backend.js';
import { networkOnlyChainInfo } from './backend.js';
import { RpcMethods } from './methods.js';
import { legacyErrorStatus, RpcError, RPC_INTERNAL_ERROR, RPC_INVALID_REQUEST, RPC_PARSE_ERROR } from './protocol.js';

/** Core answers a wrong password only after this pause, to slow guessing (httprpc.cpp). */
export const AUTH_FAILURE_DELAY_MS = 250;
/** A request body larger than this is refused with 413. */
export const MAX_RPC_BODY_BYTES = 1024 * 1024;
const JSON_TYPE = 'application/json';

export interface RpcServerOptions {
  readonly backend: RpcBackend;
  /** getblockchaininfo's source; default: the chain's name only. */
  readonly chain?: ChainInfoProvider;
  /**
   * The cookie file another listener of this node already wrote (the admin endpoint's), to accept
   * the same token rather than overwrite it. Null: this server writes its own `.cookie`.
   */
  readonly sharedCookiePath?: string | null;
  readonly log?: Logger;
}

type Id = string | number | null;

interface Reply {
  readonly status: number;
  readonly body: string | null;
  readonly headers?: Readonly<Record<string, string>>;
}

export class RpcServer {
  private readonly backend: RpcBackend;
  private readonly methods: RpcMethods;
  private readonly auth: readonly RpcAuthEntry[];
  private readonly allow: readonly Cidr[];
  private readonly log: Logger | undefined;
  private readonly sharedCookiePath: string | null;
  private server: Server | null = null;
  private cookie: AdminCookie | null = null;
  private token: string | null = null;
  private bound: { host: string; port: number; addr: string } | null = null;

  constructor(options: RpcServerOptions) {
    this.backend = options.backend;
    this.log = options.log;
    this.sharedCookiePath = options.sharedCookiePath ?? null;
    const cfg = options.backend.config;
    this.auth = cfg.rpcAuth.map((a) => parseRpcAuth(a));
    this.allow = cfg.rpcAllowIp.map((c) => parseCidr(c)!);
    this.methods = new RpcMethods(this.backend, options.chain ?? networkOnlyChainInfo(this.backend), {
      requestStop: () => setImmediate(() => void this.backend.stop()),
    });
  }

  get address(): { host: string; port: number; addr: string } | null {
    return this.bound;
  }

  /** The cookie file clients read (ours, or the shared one). */
  get cookiePath(): string | null {
    return this.cookie?.path ?? this.sharedCookiePath;
  }

  /** Writes (or reads the shared) cookie, then listens on the configured `rpc` address. */
  async start(): Promise<{ host: string; port: number; addr: string }> {
    const hp = this.backend.config.rpc;
    if (hp === null) throw new RpcError(RPC_INTERNAL_ERROR, 'rpc is not configured');
    if (this.sharedCookiePath !== null) {
      this.token = await readCookie(this.sharedCookiePath);
    } else {
      this.cookie = await writeCookie(this.backend.config.dataDir);
      this.token = this.cookie.token;
    }
    const server = createServer((req, res) => void this.handle(req, res));
    server.headersTimeout = 10_000;
    server.requestTimeout = 60_000;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: hp.host, port: hp.port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      await this.cookie?.remove();
      this.cookie = null;
      throw err;
    }
    this.server = server;
    const info = server.address() as AddressInfo;
    this.bound = { host: info.address, port: info.port, addr: formatHostPort({ host: info.address, port: info.port }) };
    return this.bound;
  }

  /** Stops listening and removes the cookie this server wrote (a shared one is its owner's). */
  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server !== null) {
      server.close();
      server.closeIdleConnections();
    }
    const cookie = this.cookie;
    this.cookie = null;
    await cookie?.remove();
  }

  private clientAllowed(address: string | undefined): boolean {
    if (isLoopbackAddress(address)) return true;
    if (address === undefined || this.allow.length === 0) return false;
    const ip = parseIp(address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address);
    return ip !== null && this.allow.some((c) => cidrContains(c, ip));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let reply: Reply;
    try {
      reply = await this.answer(req);
    } catch (err) {
      this.log?.warn('rpc request failed', { err: String((err as Error)?.stack ?? err) });
      reply = { status: 500, body: JSON.stringify({ result: null, error: { code: RPC_INTERNAL_ERROR, message: 'internal error' }, id: null }) + '\n' };
    }
    if (res.destroyed) return;
    const headers: Record<string, string> = { ...(reply.headers ?? {}) };
    if (reply.body !== null) headers['Content-Type'] = JSON_TYPE;
    res.writeHead(reply.status, headers);
    res.end(reply.body ?? undefined);
  }

  private async answer(req: IncomingMessage): Promise<Reply> {
    if (!this.clientAllowed(req.socket.remoteAddress)) {
      req.resume();
      return { status: 403, body: null };
    }
    if (req.method !== 'POST') {
      req.resume();
      return { status: 405, body: null };
    }
    const header = req.headers.authorization;
    if (header === undefined) {
      req.resume();
      return { status: 401, body: null, headers: { 'WWW-Authenticate': 'Basic realm="jsonrpc"' } };
    }
    if (!authorized(header, this.token, this.auth)) {
      req.resume();
      this.log?.warn('rpc: incorrect password attempt', { from: req.socket.remoteAddress });
      await new Promise((r) => setTimeout(r, AUTH_FAILURE_DELAY_MS));
      return { status: 401, body: null, headers: { 'WWW-Authenticate': 'Basic realm="jsonrpc"' } };
    }
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/') {
      req.resume();
      return { status: 404, body: null };
    }
    const text = await readBody(req);
    if (text === null) return { status: 413, body: null };
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return legacyError(RPC_PARSE_ERROR, 'Parse error', null);
    }
    if (Array.isArray(value)) return this.batch(value);
    if (typeof value === 'object' && value !== null) return this.single(value as Record<string, unknown>);
    return legacyError(RPC_PARSE_ERROR, 'Top-level object parse error', null);
  }

  /** One request object: legacy errors carry Core's HTTP statuses; 2.0 always 200 (204 for a notification). */
  private async single(obj: Record<string, unknown>): Promise<Reply> {
    const parsed = parseRequest(obj);
    if (parsed instanceof RpcError) {
      // Core's JSONErrorReply: the HTTP status of legacy mode even for a 2.0 request that does not
      // parse, with the reply shaped by the version the request asked for.
      const body = replyObj(obj.jsonrpc === '2.0', idOf(obj), null, parsed.toRpc());
      return { status: legacyErrorStatus(parsed.rpcCode), body: JSON.stringify(body) + '\n' };
    }
    const { v2, id, notification } = parsed;
    try {
      const result = await this.methods.call(parsed.method, parsed.params);
      if (notification) return { status: 204, body: null };
      return { status: 200, body: JSON.stringify(replyObj(v2, id, result ?? null, null)) + '\n' };
    } catch (err) {
      const e = toRpcError(err, this.log);
      if (notification) return { status: 204, body: null };
      if (v2) return { status: 200, body: JSON.stringify(replyObj(true, id, null, e.toRpc())) + '\n' };
      return legacyError(e.rpcCode, e.message, id);
    }
  }

  /** A batch is always 200, each request answered in place; 2.0 notifications get no entry. */
  private async batch(list: unknown[]): Promise<Reply> {
    const out: unknown[] = [];
    for (const item of list) {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        out.push(replyObj(false, null, null, { code: RPC_INVALID_REQUEST, message: 'Invalid Request object' }));
        continue;
      }
      const parsed = parseRequest(item as Record<string, unknown>);
      if (parsed instanceof RpcError) {
        const o = item as Record<string, unknown>;
        out.push(replyObj(o.jsonrpc === '2.0', idOf(o), null, parsed.toRpc()));
        continue;
      }
      let entry: unknown;
      try {
        entry = replyObj(parsed.v2, parsed.id, (await this.methods.call(parsed.method, parsed.params)) ?? null, null);
      } catch (err) {
        entry = replyObj(parsed.v2, parsed.id, null, toRpcError(err, this.log).toRpc());
      }
      if (!parsed.notification) out.push(entry);
    }
    // An all-notification batch gets 204; an empty batch gets [] (Core keeps old clients working).
    if (out.length === 0 && list.length > 0) return { status: 204, body: null };
    return { status: 200, body: JSON.stringify(out) + '\n' };
  }
}

interface ParsedRequest {
  readonly method: string;
  readonly params: unknown;
  readonly id: Id;
  readonly v2: boolean;
  readonly notification: boolean;
}

function idOf(obj: Record<string, unknown>): Id {
  const id = obj.id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

/** Core's JSONRPCRequest::parse (src/rpc/request.cpp): version, method, params. */
function parseRequest(obj: Record<string, unknown>): ParsedRequest | RpcError {
  let v2 = false;
  if (Object.hasOwn(obj, 'jsonrpc')) {
    if (obj.jsonrpc === '2.0') v2 = true;
    else if (obj.jsonrpc !== '1.0' && obj.jsonrpc !== '1.1') return new RpcError(RPC_INVALID_REQUEST, 'JSON-RPC version not supported');
  }
  const hasId = Object.hasOwn(obj, 'id');
  const id = idOf(obj);
  if (!Object.hasOwn(obj, 'method')) return new RpcError(RPC_INVALID_REQUEST, 'Missing method');
  if (typeof obj.method !== 'string') return new RpcError(RPC_INVALID_REQUEST, 'Method must be a string');
  const params = obj.params;
  if (params !== undefined && params !== null && typeof params !== 'object') return new RpcError(RPC_INVALID_REQUEST, 'Params must be an array or object');
  return { method: obj.method, params, id, v2, notification: v2 && !hasId };
}

function replyObj(v2: boolean, id: Id, result: unknown, error: { code: number; message: string } | null): Record<string, unknown> {
  if (!v2) return { result: error === null ? result : null, error, id };
  return error === null ? { jsonrpc: '2.0', result, id } : { jsonrpc: '2.0', error, id };
}

function legacyError(code: number, message: string, id: Id): Reply {
  return { status: legacyErrorStatus(code), body: JSON.stringify(replyObj(false, id, null, { code, message })) + '\n' };
}

function toRpcError(err: unknown, log: Logger | undefined): RpcError {
  if (err instanceof RpcError) return err;
  log?.warn('rpc call failed', { err: String((err as Error)?.stack ?? err) });
  return new RpcError(-1, (err as Error)?.message ?? String(err));
}

/** The body as text, or null when it passes MAX_RPC_BODY_BYTES. */
function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.byteLength;
      if (size > MAX_RPC_BODY_BYTES) {
        over = true;
        chunks.length = 0;
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
