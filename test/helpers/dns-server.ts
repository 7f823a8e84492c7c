/**
 * A tiny authoritative DNS server on 127.0.0.1 (UDP) for tests: answers A and AAAA queries from
 * a table, NXDOMAIN for names it does not know, and records every question. It lets discovery be
 * tested through node:dns with --dns-server, so no test resolves anything outside this machine.
 */
import { createSocket, type Socket } from 'node:dgram';
import { parseIp } from '../../src/util/ip.js';

export interface DnsServer {
  readonly addr: string;
  readonly questions: { name: string; type: 'A' | 'AAAA' | number }[];
  close(): Promise<void>;
}

const TYPE_A = 1;
const TYPE_AAAA = 28;

/** `records`: name (no trailing dot, lower case) → IPv4 and IPv6 texts. */
export async function startDnsServer(records: ReadonlyMap<string, readonly string[]>): Promise<DnsServer> {
  const questions: DnsServer['questions'] = [];
  const socket: Socket = createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    if (msg.length < 12) return;
    // Question: labels up to a zero byte, then type and class.
    const labels: string[] = [];
    let off = 12;
    while (off < msg.length && msg[off] !== 0) {
      const len = msg[off]!;
      labels.push(msg.subarray(off + 1, off + 1 + len).toString('latin1'));
      off += 1 + len;
    }
    const qEnd = off + 5;
    if (qEnd > msg.length) return;
    const qtype = msg.readUInt16BE(off + 1);
    const name = labels.join('.').toLowerCase();
    questions.push({ name, type: qtype === TYPE_A ? 'A' : qtype === TYPE_AAAA ? 'AAAA' : qtype });
    const known = records.get(name);
    const ips = (known ?? []).map((t) => parseIp(t)!).filter((ip) => {
      const v4 = ip.subarray(0, 12).every((b, i) => b === (i < 10 ? 0 : 0xff));
      return qtype === TYPE_A ? v4 : qtype === TYPE_AAAA ? !v4 : false;
    });
    const header = Buffer.alloc(12);
    header.writeUInt16BE(msg.readUInt16BE(0), 0); // id
    header.writeUInt16BE(known === undefined ? 0x8183 : 0x8180, 2); // response, RD, RA; NXDOMAIN when unknown
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(ips.length, 6);
    const answers = ips.map((ip) => {
      const v4 = qtype === TYPE_A;
      const rdata = v4 ? ip.subarray(12) : ip;
      const a = Buffer.alloc(12 + rdata.length);
      a.writeUInt16BE(0xc00c, 0); // pointer to the question's name
      a.writeUInt16BE(qtype, 2);
      a.writeUInt16BE(1, 4); // IN
      a.writeUInt32BE(60, 6);
      a.writeUInt16BE(rdata.length, 10);
      a.set(rdata, 12);
      return a;
    });
    socket.send(Buffer.concat([header, msg.subarray(12, qEnd), ...answers]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return {
    addr: `127.0.0.1:${socket.address().port}`,
    questions,
    close: () => new Promise<void>((r) => socket.close(() => r())),
  };
}
