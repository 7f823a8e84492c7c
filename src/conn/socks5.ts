/**
 * Outbound connections through a SOCKS5 proxy (RFC 1928), as Core's -proxy / -onion
 * (src/netbase.cpp Socks5()): how the node reaches Tor. The target is always sent as a domain
 * name (ATYP 3), so the proxy resolves it and an onion name never touches our resolver. No
 * authentication (Core's -proxyrandomize uses username/password for stream isolation; not here).
 *
 * Route choice (Core): `onion` is the proxy for .onion addresses, `proxy` for everything
 * (including .onion when `onion` is not set). I2P and CJDNS addresses are never dialled: Core
 * reaches I2P through a SAM bridge and CJDNS through its own interface, and we do neither.
 */
import { connect, type Socket } from 'node:net';
import { RelayError } from '../errors.js';
import { parseOverlay } from '../util/overlay.js';
import { parseHostPort } from '../util/host-port.js';

export interface ProxyAddress {
  readonly host: string;
  readonly port: number;
}

export interface ProxySettings {
  /** `--proxy HOST:PORT`: every outbound connection goes through it. */
  readonly proxy: ProxyAddress | null;
  /** `--onion HOST:PORT`: .onion addresses go through it (default: `proxy`). */
  readonly onion: ProxyAddress | null;
}

export type Route = { readonly kind: 'direct' } | { readonly kind: 'socks5'; readonly proxy: ProxyAddress } | { readonly kind: 'unreachable'; readonly why: string };

/** The proxies of a configuration (`RelayConfig.proxy` / `.onion`, validated `HOST:PORT` text). */
export function proxySettings(config: { readonly proxy: string | null; readonly onion: string | null }): ProxySettings {
  const parse = (text: string | null): ProxyAddress | null => (text === null ? null : parseHostPort(text));
  return { proxy: parse(config.proxy), onion: parse(config.onion) };
}

/** How `addr` (`HOST:PORT` or an overlay key) is reached under `settings`. */
export function routeFor(addr: string, settings: ProxySettings): Route {
  const overlay = parseOverlay(addr);
  if (overlay !== null) {
    if (overlay.net === 'onion') {
      const p = settings.onion ?? settings.proxy;
      return p === null ? { kind: 'unreachable', why: `${addr}: Tor needs --onion or --proxy` } : { kind: 'socks5', proxy: p };
    }
    return { kind: 'unreachable', why: `${addr}: ${overlay.net === 'i2p' ? 'I2P' : 'CJDNS'} addresses are stored and relayed, never dialled` };
  }
  return settings.proxy === null ? { kind: 'direct' } : { kind: 'socks5', proxy: settings.proxy };
}

/** True when a Tor address can be dialled under `settings`. */
export function onionReachable(settings: ProxySettings): boolean {
  return (settings.onion ?? settings.proxy) !== null;
}

/** RFC 1928 §6 reply codes. */
const REPLY_TEXT: Readonly<Record<number, string>> = {
  1: 'general failure',
  2: 'connection not allowed by ruleset',
  3: 'network unreachable',
  4: 'host unreachable',
  5: 'connection refused',
  6: 'TTL expired',
  7: 'command not supported',
  8: 'address type not supported',
};

const proxyError = (message: string, details: Record<string, unknown> = {}): RelayError => new RelayError('ERR_PROXY', message, details);

/**
 * Opens a TCP connection to `target` (`HOST:PORT`, host a name, an onion name or an IP) through
 * the SOCKS5 proxy. Resolves with the socket once the proxy reports success; rejects with
 * ERR_PROXY on a refusal or a protocol violation, ERR_TIMEOUT after `timeoutMs`.
 */
export function socks5Connect(proxy: ProxyAddress, target: string, opts: { timeoutMs?: number } = {}): Promise<Socket> {
  const overlay = parseOverlay(target);
  const hp = overlay === null ? parseHostPort(target) : { host: target.slice(0, target.lastIndexOf(':')), port: overlay.port };
  if (hp === null) return Promise.reject(proxyError(`socks5: "${target}" is not HOST:PORT`));
  const host = Buffer.from(hp.host, 'latin1');
  if (host.length === 0 || host.length > 255) return Promise.reject(proxyError(`socks5: host name of ${host.length} bytes`));
  return new Promise<Socket>((resolve, reject) => {
    const socket = connect({ host: proxy.host, port: proxy.port, noDelay: true });
    let buf = Buffer.alloc(0);
    let stage: 'greeting' | 'connect' | 'done' = 'greeting';
    const timer = setTimeout(() => fail(new RelayError('ERR_TIMEOUT', `socks5: no answer from ${proxy.host}:${proxy.port} within ${opts.timeoutMs ?? 10_000} ms`)), opts.timeoutMs ?? 10_000);
    function fail(err: Error): void {
      if (stage === 'done') return;
      stage = 'done';
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    }
    socket.once('error', (err) => fail(proxyError(`socks5: proxy ${proxy.host}:${proxy.port}: ${err.message}`, { cause: err.message })));
    socket.once('close', () => fail(proxyError('socks5: the proxy closed the connection')));
    socket.once('connect', () => socket.write(Uint8Array.of(5, 1, 0))); // version 5, one method: no auth
    socket.on('data', onData);
    function onData(chunk: Buffer): void {
      buf = Buffer.concat([buf, chunk]);
      if (stage === 'greeting') {
        if (buf.length < 2) return;
        if (buf[0] !== 5 || buf[1] !== 0) return fail(proxyError(`socks5: the proxy wants method ${buf[1]}, we offer no authentication only`));
        buf = buf.subarray(2);
        stage = 'connect';
        const port = Buffer.alloc(2);
        port.writeUInt16BE(hp!.port);
        socket.write(Buffer.concat([Uint8Array.of(5, 1, 0, 3, host.length), host, port]));
      }
      if (stage === 'connect') {
        if (buf.length < 5) return;
        if (buf[0] !== 5) return fail(proxyError(`socks5: reply version ${buf[0]}`));
        if (buf[1] !== 0) return fail(proxyError(`socks5: ${REPLY_TEXT[buf[1]!] ?? `reply ${buf[1]}`} for ${target}`, { reply: buf[1] }));
        // Bound address: IPv4 (4), domain (1 + n) or IPv6 (16), then the port.
        const atyp = buf[3];
        const addrLen = atyp === 1 ? 4 : atyp === 4 ? 16 : atyp === 3 ? 1 + buf[4]! : -1;
        if (addrLen < 0) return fail(proxyError(`socks5: reply address type ${atyp}`));
        const total = 4 + addrLen + 2;
        if (buf.length < total) return;
        stage = 'done';
        clearTimeout(timer);
        socket.off('data', onData);
        socket.removeAllListeners('close');
        socket.removeAllListeners('error');
        const rest = buf.subarray(total);
        if (rest.length > 0) socket.unshift(rest);
        resolve(socket);
      }
    }
  });
}
