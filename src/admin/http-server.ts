/**
 * The admin endpoint: read-only JSON, Prometheus metrics and a status page for loopback clients, and
 * cookie-authenticated POSTs that change the node. Everything is answered here; no exception thrown
 * by a handler or the backend reaches node:http (which would drop the socket without a reply).
 *
 * Threats it is built against: a process on another host (reads need the token off loopback), a web
 * page in the operator's browser (mutations need a header a cross-site page cannot set without a CORS
 * preflight we never answer; reads check the Host header against DNS rebinding; the status page
 * writes peer-supplied strings as text only), and a client that sends an endless body (capped).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { hasErrorCode } from '../errors.js';
import { AdminHttpError, httpStatusOf, type AdminErrorBody } from './admin-error.js';
import { currentHealth, type AdminBackend, type FlowOrder } from './backend.js';
import { tokenMatches, writeCookie, type AdminCookie } from './cookie.js';
import { renderStatusPage, STATUS_VIEW_PATH } from './status-page.js';
import { buildStatusView } from './status-view.js';
import { formatHostPort } from '../util/host-port.js';
import { isLoopbackAddress, isLoopbackHostHeader, parseBanTarget, parsePeerAddress } from './targets.js';

/** Admin bodies are a few fields; 64 KiB is generous and still bounds memory per connection. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
/** Prometheus text exposition format, as prom-client's `register.contentType` reports it. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const DEFAULT_FLOWS_TOP = 20;
export const MAX_FLOWS_TOP = 1000;
/** Longest ban a request may ask for: ten years is "forever" for a peer address. */
const MAX_BAN_DURATION_MS = 10 * 365 * 24 * 3600 * 1000;
const MAX_REASON_LENGTH = 256;
/**
 * Plenty for an operator and a dashboard; bounds sockets a local client can hold open. When all
 * are taken, a new connection closes the longest-idle one (no request in flight) rather than
 * being refused: idle sockets cannot lock the CLI out.
 */
export const MAX_CONNECTIONS = 128;
/** A connection must send its request headers within this (Node's headersTimeout). */
export const HEADERS_TIMEOUT_MS = 10_000;
/** A connection with no request in flight is closed after this long idle. */
export const IDLE_TIMEOUT_MS = 30_000;

/**
 * The warning for an admin endpoint bound beyond loopback (`--http 0.0.0.0:PORT`), or null. It is
 * allowed: the cookie still guards every write, and cross-site requests are still refused. But
 * anyone who can reach the port can read status, peers and metrics, and try the cookie.
 */
export function exposureWarning(host: string): string | null {
  if (isLoopbackAddress(host) || host === 'localhost') return null;
  const wildcard = host === '0.0.0.0' || host === '::' || host === '[::]';
  return (
    `the admin endpoint listens on ${wildcard ? 'every interface' : host}, not only loopback: anyone who can reach it ` +
    'can read status, peers and metrics (writes still need the cookie). Put it behind a firewall, or use --http 127.0.0.1:PORT'
  );
}

export interface AdminServerOptions {
  readonly backend: AdminBackend;
  /** Where the cookie is written; null = a fresh private temp dir (see `cookiePath`). */
  readonly dataDir: string | null;
  readonly maxBodyBytes?: number;
}

export interface AdminAddress {
  readonly host: string;
  readonly port: number;
  /** `HOST:PORT` (IPv6 bracketed), as NodeStatus.http reports it. */
  readonly addr: string;
}

type Access = 'read' | 'write';

interface Reply {
  readonly status: number;
  readonly type: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

interface RequestContext {
  readonly query: URLSearchParams;
  /** Decoded remainder after a prefix route (`/health/<peer>`). */
  readonly param: string | null;
  readonly body: Record<string, unknown>;
  /** Per-response nonce for the status page's inline script and style. */
  readonly nonce: string;
}

interface Route {
  readonly method: 'GET' | 'POST';
  readonly access: Access;
  handle(ctx: RequestContext): Reply | Promise<Reply>;
}

const JSON_TYPE = 'application/json; charset=utf-8';

function json(value: unknown, status = 200): Reply {
  return { status, type: JSON_TYPE, body: JSON.stringify(value) };
}

export class AdminServer {
  private readonly backend: AdminBackend;
  private readonly dataDir: string | null;
  private readonly maxBodyBytes: number;
  private readonly routes: ReadonlyMap<string, Route>;
  private readonly healthRoute: Route;
  private server: Server | null = null;
  private cookie: AdminCookie | null = null;
  private bound: AdminAddress | null = null;
  private closing = false;
  private drained: Promise<void> = Promise.resolve();

  constructor(options: AdminServerOptions) {
    this.backend = options.backend;
    this.dataDir = options.dataDir;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.routes = this.buildRoutes();
    this.healthRoute = { method: 'GET', access: 'read', handle: (ctx) => this.getHealth(ctx.param ?? '') };
  }

  /** Path of the cookie file while the server runs. */
  get cookiePath(): string | null {
    return this.cookie?.path ?? null;
  }

  get address(): AdminAddress | null {
    return this.bound;
  }

  /** Writes the cookie, then listens. Port 0 picks a free port; the bound address is returned. */
  async start(host: string, port: number): Promise<AdminAddress> {
    if (this.server !== null) throw new Error('admin server already started');
    const cookie = await writeCookie(this.dataDir);
    const server = createServer((req, res) => {
      void this.dispatch(req, res, cookie.token);
    });
    this.limitConnections(server);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host, port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      await cookie.remove();
      throw err;
    }
    this.drained = new Promise((resolve) => server.once('close', () => resolve()));
    const info = server.address() as AddressInfo;
    this.server = server;
    this.cookie = cookie;
    this.bound = { host: info.address, port: info.port, addr: formatHostPort({ host: info.address, port: info.port }) };
    return this.bound;
  }

  /**
   * Stops accepting connections and deletes the cookie. Requests already in flight still get their
   * answer, but close() does not wait for them: the node may call close() from inside `leave()`,
   * which a `POST /leave` is itself waiting on. `whenDrained()` waits for the last connection.
   */
  async close(): Promise<void> {
    if (this.server === null || this.closing) return;
    this.closing = true;
    this.server.close();
    this.server.closeIdleConnections();
    const cookie = this.cookie;
    this.cookie = null;
    await cookie?.remove();
  }

  whenDrained(): Promise<void> {
    return this.drained;
  }

  /**
   * Timeouts for slow or silent clients, and room for a new connection made by closing the
   * longest-idle one when MAX_CONNECTIONS are open. Sockets are kept in arrival order, and a
   * socket moves to the back each time a request on it finishes, so the first idle one found is
   * the longest idle.
   */
  private limitConnections(server: Server): void {
    const open = new Set<Socket>();
    const busy = new Set<Socket>();
    server.headersTimeout = HEADERS_TIMEOUT_MS;
    server.requestTimeout = 2 * HEADERS_TIMEOUT_MS;
    server.keepAliveTimeout = 5_000;
    server.on('connection', (socket: Socket) => {
      if (open.size >= MAX_CONNECTIONS) {
        let idle: Socket | undefined;
        for (const s of open) {
          if (!busy.has(s)) {
            idle = s;
            break;
          }
        }
        if (idle === undefined) {
          socket.destroy();
          return;
        }
        idle.destroy();
        open.delete(idle);
      }
      open.add(socket);
      // A socket that never sends a request is closed when idle this long.
      socket.setTimeout(IDLE_TIMEOUT_MS, () => {
        if (!busy.has(socket)) socket.destroy();
      });
      socket.once('close', () => {
        open.delete(socket);
        busy.delete(socket);
      });
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const socket = req.socket;
      busy.add(socket);
      res.once('close', () => {
        busy.delete(socket);
        if (open.delete(socket)) open.add(socket);
      });
    });
  }

  private buildRoutes(): Map<string, Route> {
    const b = this.backend;
    const routes = new Map<string, Route>();
    const get = (path: string, handle: Route['handle']): void => {
      routes.set(path, { method: 'GET', access: 'read', handle });
    };
    const post = (path: string, handle: Route['handle']): void => {
      routes.set(path, { method: 'POST', access: 'write', handle });
    };
    get('/', (ctx) => ({
      status: 200,
      type: 'text/html; charset=utf-8',
      body: renderStatusPage(ctx.nonce, b),
      headers: {
        'Content-Security-Policy':
          `default-src 'none'; script-src 'nonce-${ctx.nonce}'; style-src 'nonce-${ctx.nonce}'; ` +
          "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      },
    }));
    get('/status', () => json(b.status()));
    get(STATUS_VIEW_PATH, () => json(buildStatusView(b)));
    get('/peers', () => json(b.peers()));
    get('/bans', () => json(b.bans()));
    get('/flows', (ctx) => json(b.flows(...parseFlowQuery(ctx.query))));
    get('/health', () => json(currentHealth(b)));
    get('/metrics', async () => ({ status: 200, type: METRICS_CONTENT_TYPE, body: await b.metricsText() }));
    post('/ban', async ({ body }) => {
      allowFields(body, ['target', 'durationMs', 'reason']);
      const target = banTargetField(body);
      const durationMs = optionalDuration(body.durationMs);
      const reason = optionalReason(body.reason);
      await b.ban(target, {
        ...(durationMs !== undefined ? { durationMs } : {}),
        ...(reason !== undefined ? { reason } : {}),
      });
      return json({ ok: true, ban: b.bans().find((x) => x.target === target) ?? null });
    });
    post('/unban', async ({ body }) => {
      allowFields(body, ['target']);
      const target = banTargetField(body);
      if (!(await b.unban(target))) throw new AdminHttpError('ERR_UNKNOWN_TARGET', `${target} is not banned`);
      return json({ ok: true });
    });
    post('/connect', ({ body }) => {
      allowFields(body, ['addr', 'permanent', 'transport']);
      const addr = addrField(body);
      if (body.permanent !== undefined && typeof body.permanent !== 'boolean') {
        throw new AdminHttpError('ERR_BAD_REQUEST', '"permanent" must be a boolean');
      }
      if (body.transport !== undefined && body.transport !== 'v1' && body.transport !== 'v2') {
        throw new AdminHttpError('ERR_BAD_REQUEST', '"transport" must be "v1" or "v2"');
      }
      b.connect(addr, { ...(body.permanent === true ? { permanent: true } : {}), ...(body.transport === undefined ? {} : { transport: body.transport }) });
      return json({ ok: true });
    });
    post('/disconnect', ({ body }) => {
      allowFields(body, ['addr']);
      const addr = addrField(body);
      if (!b.disconnect(addr)) throw new AdminHttpError('ERR_UNKNOWN_TARGET', `no peer ${addr}`);
      return json({ ok: true });
    });
    post('/leave', async ({ body }) => {
      allowFields(body, []);
      await b.leave();
      return json({ ok: true });
    });
    return routes;
  }

  private getHealth(param: string): Reply {
    const parsed = parsePeerAddress(param);
    if (parsed === null) throw new AdminHttpError('ERR_BAD_TARGET', `"${param}" is not HOST:PORT`);
    const info = this.backend.health(parsed.addr);
    if (info === null) throw new AdminHttpError('ERR_UNKNOWN_TARGET', `no health record for ${parsed.addr}`);
    return json(info);
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, token: string): Promise<void> {
    try {
      const reply = await this.handle(req, token);
      this.send(res, reply);
    } catch (err) {
      this.send(res, errorReply(err));
    }
  }

  private async handle(req: IncomingMessage, token: string): Promise<Reply> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));

    let route: Route | undefined = this.routes.get(path);
    let param: string | null = null;
    if (route === undefined && path.startsWith('/health/')) {
      route = this.healthRoute;
      try {
        param = decodeURIComponent(path.slice('/health/'.length));
      } catch {
        throw new AdminHttpError('ERR_BAD_TARGET', 'bad percent-encoding in the peer address');
      }
    }
    if (route === undefined) throw new AdminHttpError('ERR_NOT_FOUND', `no route ${path}`);

    const method = req.method === 'HEAD' && route.method === 'GET' ? 'GET' : req.method;
    if (method !== route.method) {
      const allow = route.method === 'GET' ? 'GET, HEAD' : 'POST';
      throw new AdminHttpError('ERR_METHOD_NOT_ALLOWED', `${path} takes ${route.method}`, { Allow: allow });
    }

    this.authorize(req, route.access, token);
    // Only read a body once the caller is known to be allowed to make us buffer one.
    const body = route.method === 'POST' ? await readJsonBody(req, this.maxBodyBytes) : {};
    return route.handle({ query, param, body, nonce: randomBytes(16).toString('base64') });
  }

  private authorize(req: IncomingMessage, access: Access, token: string): void {
    const header = req.headers.authorization;
    if (header !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (m === null || !tokenMatches(m[1]!, token)) {
        throw unauthorized('bad token (read it from the cookie file in the data directory)');
      }
      return;
    }
    if (access === 'write') throw unauthorized('this call needs Authorization: Bearer <token from the cookie file>');
    if (!isLoopbackAddress(req.socket.remoteAddress)) {
      throw unauthorized('read access without a token is for loopback clients only');
    }
    // Browsers always send Host; a missing one cannot be a rebinding page.
    if (req.headers.host !== undefined && !isLoopbackHostHeader(req.headers.host)) {
      throw new AdminHttpError('ERR_FORBIDDEN', 'use 127.0.0.1, [::1] or localhost in the URL, or send the token');
    }
  }

  private send(res: ServerResponse, reply: Reply): void {
    if (res.headersSent) {
      // Nothing sensible can follow a half-written reply; drop the connection so the client sees it.
      res.destroy();
      return;
    }
    const headers: Record<string, string> = {
      'Content-Type': reply.type,
      'Content-Length': String(Buffer.byteLength(reply.body)),
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      ...reply.headers,
    };
    if (this.closing) headers.Connection = 'close';
    res.writeHead(reply.status, headers);
    res.end(reply.body);
  }
}

function unauthorized(message: string): AdminHttpError {
  return new AdminHttpError('ERR_UNAUTHORIZED', message, { 'WWW-Authenticate': 'Bearer realm="wirerelay"' });
}

function errorReply(err: unknown): Reply {
  let status = 500;
  let code = 'ERR_INTERNAL';
  let message = err instanceof Error ? err.message : String(err);
  let headers: Readonly<Record<string, string>> = {};
  if (err instanceof AdminHttpError) {
    ({ status, code, headers } = err);
  } else if (hasErrorCode(err)) {
    // The status follows the code (HTTP_STATUS): a refusal is the caller's, "not now" is 503.
    code = err.code;
    status = httpStatusOf(err.code);
    message = err.message;
  }
  const body: AdminErrorBody = { error: { code, message } };
  return { status, type: JSON_TYPE, body: JSON.stringify(body), headers };
}

/** Reads at most `limit` bytes; a declared or actual excess answers 413 without buffering it. */
async function readJsonBody(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const tooLarge = (): AdminHttpError =>
    new AdminHttpError('ERR_BODY_TOO_LARGE', `body exceeds ${limit} bytes`, { Connection: 'close' });
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) throw tooLarge();
  const text = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        // Keep draining without buffering: closing with unread bytes would make the kernel send a
        // RST, which can destroy the 413 before the client reads it. Memory stays bounded either way,
        // and the connection ends once the reply is out (Connection: close).
        req.off('data', onData);
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new AdminHttpError('ERR_BAD_JSON', `body is not JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AdminHttpError('ERR_BAD_JSON', 'body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

// A misspelt optional field ("duration" for "durationMs") would otherwise be silently ignored.
function allowFields(body: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) throw new AdminHttpError('ERR_BAD_REQUEST', `unknown field "${key}"`);
  }
}

function banTargetField(body: Record<string, unknown>): string {
  const t = body.target;
  if (typeof t !== 'string') throw new AdminHttpError('ERR_BAD_REQUEST', '"target" (IP or CIDR) is required');
  const target = parseBanTarget(t);
  if (target === null) throw new AdminHttpError('ERR_BAD_TARGET', `"${t}" is not an IP address or CIDR subnet`);
  return target;
}

function addrField(body: Record<string, unknown>): string {
  const a = body.addr;
  if (typeof a !== 'string') throw new AdminHttpError('ERR_BAD_REQUEST', '"addr" (HOST:PORT) is required');
  const parsed = parsePeerAddress(a);
  if (parsed === null) throw new AdminHttpError('ERR_BAD_TARGET', `"${a}" is not HOST:PORT`);
  return parsed.addr;
}

function optionalDuration(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0 || v > MAX_BAN_DURATION_MS) {
    throw new AdminHttpError('ERR_BAD_REQUEST', '"durationMs" must be a positive integer of at most ten years');
  }
  return v;
}

function optionalReason(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length > MAX_REASON_LENGTH) {
    throw new AdminHttpError('ERR_BAD_REQUEST', `"reason" must be a string of at most ${MAX_REASON_LENGTH} chars`);
  }
  return v;
}

function parseFlowQuery(query: URLSearchParams): [number, FlowOrder] {
  const topText = query.get('top');
  let top = DEFAULT_FLOWS_TOP;
  if (topText !== null) {
    top = /^[0-9]{1,4}$/.test(topText) ? Number(topText) : NaN;
    if (!(top >= 1 && top <= MAX_FLOWS_TOP)) {
      throw new AdminHttpError('ERR_BAD_REQUEST', `"top" must be an integer from 1 to ${MAX_FLOWS_TOP}`);
    }
  }
  const by = query.get('by') ?? 'bytes';
  if (by !== 'bytes' && by !== 'rate') throw new AdminHttpError('ERR_BAD_REQUEST', '"by" must be bytes or rate');
  return [top, by];
}
