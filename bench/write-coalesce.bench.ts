/**
 * How a peer's writer should hand one turn's frames to a real socket: one concatenated buffer and
 * one write, or cork() + one write per frame + uncork() (one writev). Loopback TCP to a reader that
 * discards; per turn F frames of 274 bytes (a 250-byte tx), as the relay writes them. Prints CPU
 * per frame of this process for each way and their ratio; writes bench/results/write-coalesce.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { cpus } from 'node:os';

const FRAME = 274;
const TOTAL_FRAMES = process.argv.includes('--quick') ? 200_000 : 1_000_000;
const PER_TURN = [8, 64, 256];
type Way = 'concat' | 'cork';

const frames = Array.from({ length: 256 }, (_, i) => Buffer.alloc(FRAME, i));

async function measure(sock: Socket, way: Way, perTurn: number): Promise<number> {
  const turns = Math.ceil(TOTAL_FRAMES / perTurn);
  const c0 = process.cpuUsage();
  for (let t = 0; t < turns; t++) {
    if (way === 'concat') {
      const out = Buffer.allocUnsafe(perTurn * FRAME);
      for (let i = 0; i < perTurn; i++) out.set(frames[i]!, i * FRAME);
      sock.write(out);
    } else {
      sock.cork();
      for (let i = 0; i < perTurn; i++) sock.write(frames[i]!);
      sock.uncork();
    }
    if (sock.writableLength > 1 << 20) await new Promise((r) => sock.once('drain', r));
    else await new Promise((r) => setImmediate(r));
  }
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / (turns * perTurn); // ns per frame
}

async function main(): Promise<void> {
  const server = createServer((s) => s.on('data', () => {}));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const sock = connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', noDelay: true });
  await new Promise((r) => sock.once('connect', r));
  console.log(`write-coalesce.bench  node ${process.version}  ${cpus()[0]?.model ?? '?'} ×${cpus().length}  ${TOTAL_FRAMES} frames of ${FRAME} B`);
  await measure(sock, 'concat', 64);
  await measure(sock, 'cork', 64);
  const rows: Record<string, unknown>[] = [];
  for (const perTurn of PER_TURN) {
    const concat: number[] = [];
    const cork: number[] = [];
    for (let r = 0; r < 3; r++) {
      concat.push(await measure(sock, 'concat', perTurn));
      cork.push(await measure(sock, 'cork', perTurn));
    }
    const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[1]!;
    const a = med(concat);
    const b = med(cork);
    console.log(`${String(perTurn).padStart(4)} frames/turn  concat ${a.toFixed(0)} ns/frame  cork ${b.toFixed(0)} ns/frame  cork/concat ${(b / a).toFixed(2)}×`);
    rows.push({ perTurn, concatNsPerFrame: a, corkNsPerFrame: b, corkOverConcat: b / a });
  }
  sock.destroy();
  server.close();
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/write-coalesce.json', `${JSON.stringify({ date: new Date().toISOString(), node: process.version, frameBytes: FRAME, rows }, null, 2)}\n`);
}

await main();
