import { printJson, processIo, runAdminCommand, type CliIo } from '../../admin/cli-runner.js';
import type { PeerInfo } from '../../node/types.js';
import { formatBytes, renderTable, type Column } from '../format.js';

export const summary = "List a running node's peers";

const COLUMNS: readonly Column<PeerInfo>[] = [
  { header: 'ADDR', value: (p) => p.addr },
  { header: 'DIR', value: (p) => (p.direction === 'inbound' ? 'in' : 'out') + (p.mesh ? ',mesh' : p.permanent ? ',perm' : '') },
  { header: 'STATE', value: (p) => p.state },
  { header: 'TRANSPORT', value: (p) => p.transport },
  { header: 'SCORE', align: 'right', value: (p) => String(p.banScore) },
  { header: 'RTT', align: 'right', value: (p) => (p.rttMs === null ? '-' : `${Math.round(p.rttMs)}ms`) },
  { header: 'IN', align: 'right', value: (p) => formatBytes(p.bytesIn) },
  { header: 'OUT', align: 'right', value: (p) => formatBytes(p.bytesOut) },
  { header: 'HEIGHT', align: 'right', value: (p) => (p.startHeight === null ? '-' : String(p.startHeight)) },
  { header: 'AGENT', value: (p) => p.userAgent ?? '-' },
  // BIP324: compare out of band with the peer's operator; the full id is in --json.
  { header: 'SESSION', value: (p) => (p.sessionId === null ? '-' : p.sessionId.slice(0, 16)) },
];

export function run(args: string[], io: CliIo = processIo): Promise<number> {
  return runAdminCommand(
    {
      name: 'peers',
      synopsis: '[--http HOST:PORT] [--json]',
      minPositionals: 0,
      maxPositionals: 0,
      access: 'read',
      async exec({ client, json, io }) {
        const peers = (await client.get('/peers')) as PeerInfo[];
        if (json) printJson(io, peers);
        else if (peers.length === 0) io.out('no peers\n');
        else io.out(renderTable(COLUMNS, peers));
        return 0;
      },
    },
    args,
    io,
  );
}
