/**
 * A SOCKS5 server (RFC 1928, no authentication, CONNECT only) on loopback for tests: each
 * requested host name is looked up in `routes` and connected to that loopback address, so a
 * test can dial "xyz.onion:8333" through it without Tor and without leaving the machine. Every
 * request is recorded; `reply` forces a refusal code.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface Socks5Server {
  readonly port: number;
  readonly requests: { host: string; port: number }[];
  reply: number;
  close(): Promise<void>;
}

export async function startSocks5Server(routes: ReadonlyMap<string, { host: string; port: number }>): Promise<Socks5Server> {
  const requests: { host: string; port: number }[] = [];
  const sockets = new Set<Socket>();
  const state = { reply: 0 };
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    let stage = 0;
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      if (stage === 0) {
        if (buf.length < 2 || buf.length < 2 + buf[1]!) return;
        const methods = [...buf.subarray(2, 2 + buf[1]!)];
        buf = buf.subarray(2 + buf[1]!);
        if (!methods.includes(0)) {
          client.end(Uint8Array.of(5, 0xff));
          return;
        }
        client.write(Uint8Array.of(5, 0));
        stage = 1;
      }
      if (stage === 1) {
        if (buf.length < 5) return;
        const len = buf[4]!;
        if (buf[3] !== 3 || buf.length < 5 + len + 2) return;
        const host = buf.subarray(5, 5 + len).toString('latin1');
        const port = buf.readUInt16BE(5 + len);
        requests.push({ host, port });
        stage = 2;
        client.off('data', onData);
        const to = routes.get(host);
        if (state.reply !== 0 || to === undefined) {
          client.end(Uint8Array.of(5, state.reply !== 0 ? state.reply : 4, 0, 1, 0, 0, 0, 0, 0, 0));
          return;
        }
        const upstream = connect({ host: to.host, port: to.port }, () => {
          client.write(Uint8Array.of(5, 0, 0, 1, 127, 0, 0, 1, 0, 0));
          client.pipe(upstream);
          upstream.pipe(client);
        });
        sockets.add(upstream);
        upstream.on('close', () => sockets.delete(upstream));
        upstream.on('error', () => client.destroy());
      }
    };
    client.on('data', onData);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    requests,
    get reply() {
      return state.reply;
    },
    set reply(v: number) {
      state.reply = v;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
