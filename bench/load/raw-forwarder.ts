/**
 * Baseline (a): a TCP forwarder that copies bytes from each source connection to `fanout` sink
 * connections without looking at them — the ceiling for Node sockets on this machine.
 *
 * Sinks connect to one port and wait in arrival order; each source connection on the other port
 * takes the next `fanout` of them. Streams are paired rather than merged because two sources'
 * chunks interleaved on one sink socket would cut frames apart (merging needs framing, which is
 * exactly the work this baseline must not do). A source is paused while any of its sinks is
 * backed up, as `stream.pipe` would.
 */
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';

export interface RawForwarderPorts {
  readonly sourcePort: number;
  readonly sinkPort: number;
}

export class RawForwarder {
  private readonly waitingSinks: Socket[] = [];
  private readonly sockets = new Set<Socket>();
  private sourceServer: Server | undefined;
  private sinkServer: Server | undefined;
  bytesIn = 0;
  bytesOut = 0;

  /** Sink connections accepted and not yet paired with a source (tests wait on it). */
  get waitingSinkCount(): number {
    return this.waitingSinks.length;
  }

  constructor(private readonly fanout: number) {
    if (!Number.isInteger(fanout) || fanout < 1) throw new TypeError('fanout must be a positive integer');
  }

  async listen(host = '127.0.0.1'): Promise<RawForwarderPorts> {
    this.sinkServer = await listenOn(host, (s) => this.onSink(s));
    this.sourceServer = await listenOn(host, (s) => this.onSource(s));
    return { sourcePort: (this.sourceServer.address() as AddressInfo).port, sinkPort: (this.sinkServer.address() as AddressInfo).port };
  }

  private track(s: Socket): void {
    s.setNoDelay(true);
    this.sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => this.sockets.delete(s));
  }

  private onSink(s: Socket): void {
    this.track(s);
    this.waitingSinks.push(s);
    // Sinks only read here; anything they send (none in the harness) is discarded.
    s.on('data', () => {});
  }

  private onSource(src: Socket): void {
    this.track(src);
    const sinks = this.waitingSinks.splice(0, this.fanout);
    if (sinks.length === 0) {
      src.destroy();
      return;
    }
    let blocked = 0;
    const onDrain = (): void => {
      if (--blocked === 0) src.resume();
    };
    src.on('data', (chunk: Buffer) => {
      this.bytesIn += chunk.byteLength;
      for (const dst of sinks) {
        if (dst.destroyed) continue;
        this.bytesOut += chunk.byteLength;
        if (!dst.write(chunk)) {
          blocked++;
          dst.once('drain', onDrain);
        }
      }
      if (blocked > 0) src.pause();
    });
    src.on('close', () => {
      for (const dst of sinks) dst.end();
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all([this.sourceServer, this.sinkServer].map((srv) => (srv === undefined ? undefined : new Promise<void>((r) => srv.close(() => r())))));
  }
}

function listenOn(host: string, onConn: (s: Socket) => void): Promise<Server> {
  return new Promise((resolve, reject) => {
    const srv = createServer({ noDelay: true }, onConn);
    srv.once('error', reject);
    srv.listen(0, host, () => resolve(srv));
  });
}
